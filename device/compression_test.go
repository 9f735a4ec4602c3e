package device

import (
	"strings"
	"testing"
	"time"

	"meter-sync/tools/linesim"
)

// TestDockWithoutCompression: a host with DisableCompression does not
// offer zstd, so the route goes identity-encoded, every byte of it on the
// line; the report's link stats say what crossed.
func TestDockWithoutCompression(t *testing.T) {
	c := newCity(t)
	host, err := NewHost(c.db, c.acc, Options{SpoolDir: t.TempDir(), DisableCompression: true})
	if err != nil {
		t.Fatal(err)
	}
	c.host = host
	em := newEmulator(t, c, "HH-0003", testReader, false)
	l := newLine(t, linesim.Options{})
	p := em.dock(l.B())
	rep, err := c.host.Dock(ctxFor(t, time.Minute), serverEnd(t, l), Job{Export: true, Cycle: c.city.Cycle, Expect: -1})
	select {
	case <-p.Exited():
	case <-time.After(30 * time.Second):
		t.Fatalf("the emulator did not end its session\n%s", p.Stderr)
	}
	if err != nil {
		t.Fatalf("dock: %v\n%s", err, tail(p.Stderr.String(), 3000))
	}
	log := p.Stderr.String()
	if !strings.Contains(log, "receiving file") || !strings.Contains(log, "encoding=identity") || strings.Contains(log, "encoding=zstd") {
		t.Errorf("the handheld did not receive an identity-encoded route:\n%s", tail(log, 3000))
	}
	route := len(c.route(t, testReader, c.city.Cycle))
	if rep.Export == nil || rep.Export.Handheld != route {
		t.Fatalf("export %+v, want %d households loaded", rep.Export, route)
	}
	if rep.Link == nil || rep.Link.Link.FramesSent == 0 || rep.Link.XferSent < int64(route)*100 {
		t.Errorf("link stats %+v: want the whole route's bytes (%d households) sent unencoded", rep.Link, route)
	}
}
