package device

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"meter-sync/domain"
	"meter-sync/internal/ptytest"
)

// TestDockYMODEMWithLrzsz docks lrzsz as a generic handheld: sb sends the
// readings file the generator made for R001, and rb takes the route; the
// readings end in the store through the one import path, with their
// source, and the route rb wrote is the route of the store.
func TestDockYMODEMWithLrzsz(t *testing.T) {
	ptytest.NeedPrograms(t, "sb", "rb")
	c := newCity(t)
	src := t.TempDir()
	data, err := os.ReadFile(c.readingsFile(testReader))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "readings.csv"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	sb := ptytest.Start(t, src, "sb", "readings.csv")
	var steps []Progress
	rep, err := c.host.DockYMODEM(ctxFor(t, time.Minute), sb.TTY, "generic-1",
		Job{Import: true, Reader: testReader, Cycle: c.city.Cycle, Expect: -1, Progress: func(p Progress) { steps = append(steps, p) }})
	if err != nil {
		t.Fatalf("import by YMODEM: %v\nsb: %s", err, sb.Stderr)
	}
	sb.Wait(t)
	res := rep.Import.Result
	if rep.Import.Rows == 0 || res.Created+res.Updated+res.Skipped != rep.Import.Rows || !res.Committed {
		t.Fatalf("import report %+v", rep.Import)
	}
	if len(rep.Import.NotInRoute) == 0 || rep.Import.Read > rep.Import.Route {
		t.Errorf("the generator plants households not in the route; report %+v", rep.Import)
	}
	if len(steps) == 0 || steps[len(steps)-1].Done != int64(len(data)) {
		t.Errorf("progress: %d steps, last %+v; want the file's %d bytes", len(steps), steps[len(steps)-1:], len(data))
	}
	vs := c.versions(t, testReader)
	if len(vs) != res.Created+res.Updated || vs[0].Source != domain.FromYMODEM || vs[0].DeviceID != "generic-1" {
		t.Errorf("%d versions stored (want %d), first %+v", len(vs), rep.Import.Result.Created, vs[0])
	}

	dst := t.TempDir()
	rb := ptytest.Start(t, dst, "rb")
	next := c.city.Cycle.Add(1)
	rep, err = c.host.DockYMODEM(ctxFor(t, time.Minute), rb.TTY, "generic-1", Job{Export: true, Reader: testReader, Cycle: next, Expect: -1})
	if err != nil {
		t.Fatalf("export by YMODEM: %v\nrb: %s", err, rb.Stderr)
	}
	rb.Wait(t)
	got, err := os.ReadFile(filepath.Join(dst, "route-"+testReader+"-"+next.String()+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	route := c.route(t, testReader, next)
	lines := strings.Count(strings.TrimSpace(string(got)), "\n")
	if rep.Export.System != len(route) || lines != len(route) {
		t.Errorf("route file holds %d households, reconciliation says %d, store %d", lines, rep.Export.System, len(route))
	}
	if !bytes.Contains(got, []byte(route[0].ID)) {
		t.Errorf("route file does not name the route's first household %s", route[0].ID)
	}
}

// TestDockYMODEMNeedsReader: a generic handheld cannot say whose it is.
func TestDockYMODEMNeedsReader(t *testing.T) {
	c := &Host{}
	if _, err := c.DockYMODEM(ctxFor(t, time.Second), nil, "x", Job{Import: true}); err != ErrNoReader {
		t.Fatalf("err = %v, want ErrNoReader", err)
	}
}
