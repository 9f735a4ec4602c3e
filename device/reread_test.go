package device

import (
	"strings"
	"testing"
	"time"

	"meter-sync/masterdata"
	"meter-sync/store"
	"meter-sync/vee"
)

// TestRereadGoesBackToTheSameHandheld: a household a reviewer returns for a
// re-read (退回重抄 [003:1219]) goes to the reader's handheld at its next
// dock, its new reading comes back through the same import as a re-read,
// and it is not sent again.
func TestRereadGoesBackToTheSameHandheld(t *testing.T) {
	c := newCity(t)
	em := newEmulator(t, c, "HH-0003", testReader, false)
	if _, err := c.dockOnce(t, em, Job{Export: true, Cycle: c.city.Cycle, Expect: -1}); err != nil {
		t.Fatal(err)
	}
	em.run("walk", "--from", c.readingsFile(testReader))
	if _, err := c.dockOnce(t, em, Job{Import: true, Expect: -1}); err != nil {
		t.Fatal(err)
	}
	returned := c.returnFirst(t, vee.CodeNegative)

	rep, err := c.dockOnce(t, em, Job{Import: true, Expect: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rereads) != 1 || rep.Rereads[0] != returned {
		t.Fatalf("re-reads sent %v, want [%s]", rep.Rereads, returned)
	}
	if stats := em.run("stats"); !strings.Contains(stats, "重抄") {
		t.Errorf("抄表统计 shows no re-read:\n%s", stats)
	}
	em.run("walk", "--seed", "3")
	rep, err = c.dockOnce(t, em, Job{Import: true, Expect: -1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Import.Rows == 0 || len(rep.Rereads) != 0 {
		t.Errorf("after the re-read: %d readings imported, re-reads sent again %v", rep.Import.Rows, rep.Rereads)
	}
	var vs []string
	for _, v := range c.versions(t, testReader) {
		if v.CustomerID == returned {
			vs = append(vs, v.Why)
		}
	}
	if len(vs) < 2 || vs[len(vs)-1] != masterdata.WhyReread {
		t.Errorf("versions of %s say %q; want the last one a re-read (%s)", returned, vs, masterdata.WhyReread)
	}
}

// returnFirst marks the reader's first anomaly of code as returned by a
// reviewer, as the review queue does, and returns its household.
func (c *testCity) returnFirst(t *testing.T, code vee.Code) string {
	t.Helper()
	var id string
	err := c.db.Update(func(tx store.Tx) error {
		as, err := tx.Anomalies(c.city.Cycle, testReader)
		if err != nil {
			return err
		}
		for _, a := range as {
			if a.Code == string(code) {
				a.Status = store.AnomalyReturned
				a.Decisions = append(a.Decisions, store.Decision{By: "reviewer1", Role: "reviewer", At: time.Now(), Action: "reread", Why: "读数倒退"})
				id = a.CustomerID
				_, err := tx.PutAnomaly(a)
				return err
			}
		}
		t.Fatalf("no %s anomaly to return", code)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}
