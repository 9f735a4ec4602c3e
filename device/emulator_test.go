package device

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/internal/ptytest"
	"meter-sync/tools/linesim"
)

// emulator is a handheld emulator's data folder; each command runs the
// real cmd/handheld program on it.
type emulator struct {
	t   *testing.T
	dir string
}

// newEmulator pairs a handheld with the store (for reader) and sets up an
// emulator holding the key it was given; a wrong key makes it an impostor.
func newEmulator(t *testing.T, c *testCity, id, reader string, wrongKey bool) *emulator {
	t.Helper()
	d, err := c.acc.PairDevice(access.Actor{ID: "clerk1", Role: account.RoleClerk}, id, "一组"+id, reader)
	if err != nil {
		t.Fatal(err)
	}
	key := d.KeyText()
	if wrongKey {
		key = hex.EncodeToString(bytes.Repeat([]byte{7}, 32))
	}
	em := &emulator{t: t, dir: t.TempDir()}
	em.run("init", "--id", id, "--key", key)
	return em
}

// run runs a handheld command to its end and returns what it printed.
func (em *emulator) run(args ...string) string {
	em.t.Helper()
	out, err := exec.Command(bin.handheld, append([]string{"--data", em.dir}, args...)...).CombinedOutput()
	if err != nil {
		em.t.Fatalf("handheld %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// dock starts the emulator waiting on port for one docking session.
func (em *emulator) dock(port string) *ptytest.Peer {
	em.t.Helper()
	return ptytest.StartProcess(em.t, bin.handheld, "--data", em.dir, "dock", "--port", port, "--once", "--verbose")
}

// newLine joins the server and a handheld through a simulated cable.
func newLine(t *testing.T, opt linesim.Options) *linesim.Line {
	t.Helper()
	l, err := linesim.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// serverEnd opens the server's end of a line, for a Host in the test.
func serverEnd(t *testing.T, l *linesim.Line) *os.File {
	t.Helper()
	a, err := l.OpenA()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// dockOnce docks the emulator once over a clean line and waits for it to
// finish its side.
func (c *testCity) dockOnce(t *testing.T, em *emulator, job Job) (Report, error) {
	t.Helper()
	l := newLine(t, linesim.Options{})
	p := em.dock(l.B())
	rep, err := c.host.Dock(ctxFor(t, time.Minute), serverEnd(t, l), job)
	select {
	case <-p.Exited():
	case <-time.After(30 * time.Second):
		t.Fatalf("the emulator did not end its session\n%s", p.Stderr)
	}
	if err != nil {
		t.Logf("the emulator's side:\n%s\n%s", p.Stdout, tail(p.Stderr.String(), 3000))
	}
	return rep, err
}

var _ = context.Background

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
