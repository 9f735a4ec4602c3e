package review

import (
	"path/filepath"
	"testing"
	"time"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/store"
	"meter-sync/store/bolt"
	"meter-sync/store/storetest"
	"meter-sync/vee"
)

var (
	jan, _    = domain.ParseMonth("2026-01")
	readAt    = time.Date(2026, 1, 10, 9, 0, 0, 0, domain.Local)
	imported  = time.Date(2026, 1, 12, 8, 0, 0, 0, domain.Local)
	now       = time.Date(2026, 1, 20, 10, 0, 0, 0, domain.Local)
	reviewer  = access.Actor{ID: "reviewer1", Role: account.RoleReviewer}
	reviewer2 = access.Actor{ID: "reviewer2", Role: account.RoleReviewer}
)

// city is a store with reader R1 and four households on its route for
// jan: c1 read (LARGE_VOLUME open), c2 read (UNAUTHORIZED_USE open, with a
// 点火 order), c3 read as an estimate (ESTIMATED, info), c4 not read; and
// x9, a reading of a household the store does not know (UNKNOWN).
func city(t *testing.T) store.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		s.Close()
	})
	err = s.Update(func(tx store.Tx) error {
		if _, _, err := tx.PutReader(domain.Reader{ID: "R1", Name: "王抄表"}); err != nil {
			return err
		}
		for i, id := range []string{"c1", "c2", "c3", "c4"} {
			c := storetest.Household(id, 1, 1, 1, 101+i, jan.Group())
			if i == 0 {
				if _, err := tx.Assign(domain.Assignment{Book: c.Book(), Reader: "R1", From: jan.Add(-12)}); err != nil {
					return err
				}
			}
			if _, _, err := tx.PutCustomer(&c); err != nil {
				return err
			}
			if _, _, err := tx.PutHistory(domain.HistoryReading{CustomerID: id, Date: readAt.AddDate(0, -2, 0), ValueM3: 100}); err != nil {
				return err
			}
		}
		for _, r := range []struct {
			id    string
			value float64
			flags domain.Flag
		}{{"c1", 400, 0}, {"c2", 120, 0}, {"c3", 110, domain.FlagEstimated | domain.FlagDoorClosed}, {"x9", 5, 0}} {
			if _, err := appendReading(tx, r.id, r.value, r.flags, imported); err != nil {
				return err
			}
		}
		for _, a := range []store.Anomaly{
			anomaly("c1", vee.CodeLargeVolume, nil),
			anomaly("c2", vee.CodeUnauthorizedUse, &store.OrderSuggestion{Business: "点火", Priority: "加急安排",
				Requirement: "私自点火,气费已收,请补签供用气合同", Source: "[003:927]"}),
			anomaly("c3", vee.CodeEstimated, nil),
			anomaly("x9", vee.CodeUnknown, nil),
		} {
			if _, err := tx.PutAnomaly(a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func appendReading(tx store.Tx, id string, value float64, flags domain.Flag, at time.Time) (domain.ReadingVersion, error) {
	v, _, err := tx.AppendReading(domain.ReadingVersion{Reading: domain.Reading{CustomerID: id, Cycle: jan, ValueM3: value,
		ReadAt: readAt, ReaderID: "R1", Flags: flags}, Source: domain.FromFile, RecordedAt: at, RecordedBy: "cli", Why: "导入"})
	return v, err
}

func anomaly(id string, code vee.Code, order *store.OrderSuggestion) store.Anomaly {
	return store.Anomaly{Cycle: jan, ReaderID: "R1", CustomerID: id, Code: string(code), Blocking: code.Blocking(),
		Evidence: []store.Fact{{Name: "用户编号", Value: id}}, Suggest: "核对", Order: order, Status: store.AnomalyOpen,
		DetectedAt: imported}
}

func key(id string, code vee.Code) store.AnomalyKey {
	return store.AnomalyKey{Cycle: jan, ReaderID: "R1", CustomerID: id, Code: string(code)}
}

func get(t *testing.T, s store.Store, k store.AnomalyKey) store.Anomaly {
	t.Helper()
	var a store.Anomaly
	err := s.View(func(rt store.ReadTx) error {
		var err error
		a, err = rt.Anomaly(k)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func params() vee.Params {
	p := vee.DefaultParams()
	p.Now = now
	return p
}
