//go:build unix

package link

import (
	"bytes"
	"os"
	"testing"
	"time"

	"meter-sync/internal/ptytest"
	"meter-sync/protocol/dock"
)

// openPTY opens a pty pair, the terminal side raw, and returns both sides
// non-blocking, so that deadlines work on them as on a serial port opened
// by path.
func openPTY(t testing.TB) (master, tty *os.File) {
	t.Helper()
	m, s := ptytest.OpenRaw(t)
	return ptytest.Pollable(t, m), ptytest.Pollable(t, s)
}

// TestOverPTY moves a file and messages over a real pty, behind boot noise
// the handheld printed before it docked; Close then leaves the line usable
// by a new Conn.
func TestOverPTY(t *testing.T) {
	master, tty := openPTY(t)
	if _, err := tty.Write([]byte("BOOT v2.3.1\r\n\xa5\x4d\x00garbage")); err != nil {
		t.Fatal(err)
	}
	host, dev := Open(master, dock.LinkConfig{}, Options{}), Open(tty, dock.LinkConfig{}, Options{})
	ctx := ctxFor(t, 30*time.Second)
	data := noise(150<<10, 4)
	got, _, err := transferOnce(t, ctx, dev, host, data, &MemPartials{})
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("%v, %d bytes", err, len(got))
	}
	if d := host.Stats().Link.Discarded; d < 13 {
		t.Errorf("discarded %d bytes, want the boot noise", d)
	}
	host.Close()
	dev.Close()
	host, dev = Open(master, dock.LinkConfig{}, Options{}), Open(tty, dock.LinkConfig{}, Options{})
	defer host.Close()
	defer dev.Close()
	if err := host.Send(ctx, dock.MsgBye, dock.Bye{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Expect[dock.Bye](ctx, dev, dock.MsgBye); err != nil {
		t.Fatal(err)
	}
}
