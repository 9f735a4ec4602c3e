package device

import (
	"errors"
	"strings"
	"testing"
	"time"

	"meter-sync/domain"
	"meter-sync/store"
)

// TestDockRouteThenReadings is DOMAIN §2 with the emulator as the handheld:
// a dock on a clock three hours fast sets it and loads R001's route, the
// three counts reconciled; the reader walks it (with the generator's
// readings, anomalies and strangers included); the next dock imports the
// readings with the device, the reader and the skew, and only then the
// handheld deletes them; a third dock changes nothing.
func TestDockRouteThenReadings(t *testing.T) {
	c := newCity(t)
	em := newEmulator(t, c, "HH-0001", testReader, false)
	em.run("clock", "--offset", "3h")
	route := c.route(t, testReader, c.city.Cycle)

	rep, err := c.dockOnce(t, em, Job{Export: true, Cycle: c.city.Cycle, Expect: len(route) + 2})
	if err != nil {
		t.Fatalf("export dock: %v", err)
	}
	if !rep.Corrected || rep.SkewMs < (3*time.Hour-5*time.Second).Milliseconds() || rep.SkewMs > (3*time.Hour+5*time.Second).Milliseconds() {
		t.Errorf("clock: skew %d ms, corrected %v; want about +3h, corrected", rep.SkewMs, rep.Corrected)
	}
	if clock := em.run("clock"); !strings.Contains(clock, "offset") {
		t.Logf("handheld clock after the dock: %s", clock)
	}
	x := rep.Export
	if x == nil || x.System != len(route) || x.Handheld != len(route) || x.Expected != len(route)+2 || x.Agrees() {
		t.Fatalf("reconciliation %+v, want system = handheld = %d and the reader's count off by 2", x, len(route))
	}
	if !strings.Contains(x.Explain(), "数量不符") {
		t.Errorf("a count off by two must be explained: %s", x.Explain())
	}
	if stats := em.run("stats"); !strings.Contains(stats, itoa(len(route))) {
		t.Errorf("抄表统计 does not show the %d households loaded:\n%s", len(route), stats)
	}

	em.run("walk", "--from", c.readingsFile(testReader))
	rep, err = c.dockOnce(t, em, Job{Import: true, Expect: -1})
	if err != nil {
		t.Fatalf("import dock: %v", err)
	}
	imp := rep.Import
	if imp == nil || imp.Rows == 0 || rep.Cleared != imp.Rows || imp.Result.Rejected != 0 {
		t.Fatalf("import %+v, cleared %d", imp, rep.Cleared)
	}
	if len(imp.NotInRoute) == 0 {
		t.Errorf("the generator's strangers were not reported: %+v", imp)
	}
	vs := c.versions(t, testReader)
	if len(vs) != imp.Result.Created+imp.Result.Updated {
		t.Errorf("%d versions stored, want %d", len(vs), imp.Result.Created+imp.Result.Updated)
	}
	for _, v := range vs[:3] {
		if v.Source != domain.FromHandheld || v.DeviceID != "HH-0001" || v.ReaderID != testReader || v.ClockSkew.Abs() > 5*time.Second {
			t.Errorf("stored %+v; want from the handheld HH-0001, reader %s, and the skew after correction", v, testReader)
		}
	}
	if pending := em.run("readings"); strings.Count(strings.TrimSpace(pending), "\n") != 0 {
		t.Errorf("readings left on the handheld after the server stored them:\n%s", pending)
	}

	rep, err = c.dockOnce(t, em, Job{Import: true, Expect: -1})
	if err != nil {
		t.Fatalf("third dock: %v", err)
	}
	if rep.Import == nil || rep.Import.Result.Created+rep.Import.Result.Updated != 0 || len(c.versions(t, testReader)) != len(vs) {
		t.Errorf("a dock with nothing new changed the store: %+v", rep.Import)
	}
}

// TestDockWrongKeyGetsNothing: a handheld that cannot prove its key gets
// no route and gives no readings, and the failure is audited.
func TestDockWrongKeyGetsNothing(t *testing.T) {
	c := newCity(t)
	em := newEmulator(t, c, "HH-0002", testReader, true)
	_, err := c.dockOnce(t, em, Job{Export: true, Import: true, Cycle: c.city.Cycle, Expect: -1})
	if !errors.Is(err, ErrUnpaired) {
		t.Fatalf("err = %v, want ErrUnpaired", err)
	}
	if stats := em.run("manage"); strings.Contains(stats, testReader) {
		t.Errorf("an unpaired handheld holds a route:\n%s", stats)
	}
	var failed int
	if err := c.db.View(func(tx store.ReadTx) error {
		es, err := tx.SearchAudit(store.AuditQuery{Action: "device.dock.failed"})
		failed = len(es)
		return err
	}); err != nil || failed != 1 {
		t.Errorf("audit: %d failed docks recorded (%v), want 1", failed, err)
	}
}
