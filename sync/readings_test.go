package sync

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/protocol/syncwire"
	"meter-sync/store"
)

// stubReadings applies every row as a new version 1 and lists no route.
type stubReadings struct{ rows int }

func (s *stubReadings) Route(store.ReadTx, string, domain.Month, time.Time) ([]syncwire.Household, error) {
	return nil, nil
}

func (s *stubReadings) Import(_ store.Tx, b ReadingBatch) ([]ReadingOutcome, error) {
	s.rows += len(b.Rows)
	return make([]ReadingOutcome, len(b.Rows)), nil
}

// TestPushKindsByRole: a reader pushes readings, not receipts; a
// technician receipts, not readings; each refusal is that mutation's only.
func TestPushKindsByRole(t *testing.T) {
	f := newFixture(t)
	stub := &stubReadings{}
	f.svc.opt.Readings = stub
	reader := Caller{Account: account.Account{ID: "reader1", Role: account.RoleReader, ReaderID: "R001"}, Device: "AND-1", DeviceTime: now}
	reading := `{"id":"%s","kind":"reading","made_at":"2026-03-13T09:00:00+08:00","reading":{"cycle":"2026-03","customer_id":"c1","value":12,"read_at":"2026-03-13T09:00:00+08:00"}}`
	receipt := `{"id":"%s","kind":"receipt","order_id":"PG0000000001","base_version":1,"made_at":"2026-03-13T09:00:00+08:00","receipt":{"customer_id":"c1","business":"封表","outcome":"未完成","remark":"x"}}`
	for _, tc := range []struct {
		name   string
		c      Caller
		body   string
		status []string
	}{
		{"reader", reader, `{"mutations":[` + fmt.Sprintf(reading, uuid(1)) + `,` + fmt.Sprintf(receipt, uuid(2)) + `]}`,
			[]string{syncwire.StatusApplied, syncwire.StatusRejected}},
		{"technician", tech1, `{"mutations":[` + fmt.Sprintf(reading, uuid(3)) + `]}`, []string{syncwire.StatusRejected}},
		{"reader, a cycle out of range", reader, `{"mutations":[` +
			`{"id":"` + uuid(4) + `","kind":"reading","made_at":"2026-03-13T09:00:00+08:00","reading":{"cycle":"2025-01","customer_id":"c1","value":12,"read_at":"x"}}]}`,
			[]string{syncwire.StatusRejected}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := f.svc.Push(tc.c, []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tc.status {
				if r := resp.Results[i]; r.Status != want {
					t.Errorf("result %d: %+v; want %s", i, r, want)
				} else if want == syncwire.StatusRejected && r.Problems[0].Rule != "role" && r.Problems[0].Rule != "range" {
					t.Errorf("result %d refused for %+v", i, r.Problems)
				}
			}
		})
	}
	if stub.rows != 1 {
		t.Errorf("%d rows reached the import; want the reader's one", stub.rows)
	}
	if _, err := f.svc.PullRoute(tech1, "", ""); !errors.Is(err, ErrNotReader) {
		t.Errorf("a technician's route pull: %v", err)
	}
}
