package storetest

import (
	"testing"

	"meter-sync/store"
)

// testReceipts: receipt versions are appended, never replaced; each gets the
// next version of its id and the next Seq; they are listed by id, by order,
// by household, by status and after a Seq; the store gives an id when none
// is sent.
func testReceipts(t *testing.T, s store.Store) {
	settle := 12.5
	rec := func(id, order, customer, status string) store.ReceiptRecord {
		return store.ReceiptRecord{Receipt: store.Receipt{ID: id, OrderID: order, CustomerID: customer, Business: "封表",
			Outcome: "合格", SettleM3: &settle, ArrivedAt: day, Attachments: []store.Attachment{{Kind: "photo", SHA256: "ab"}}},
			Status: status, By: "tech1", Device: "TAB-1", At: day, BaseVersion: 2, OrderVersion: 3,
			Problems: []store.ReceiptProblem{{Path: "settle_m3", Rule: "required", Message: "须填写结算方数", Source: "[003:1427]"}}}
	}
	var made []store.ReceiptRecord
	update(t, s, func(tx store.Tx) error {
		for _, r := range []store.ReceiptRecord{
			rec("r1", "PG1", "c1", store.ReceiptRejected), rec("r1", "PG1", "c1", store.ReceiptAccepted),
			rec("r2", "PG2", "c2", store.ReceiptConflict), rec("", "", "c1", store.ReceiptRejected),
		} {
			got, err := tx.AppendReceipt(r)
			if err != nil {
				return err
			}
			made = append(made, got)
		}
		if _, err := tx.AppendReceipt(made[0]); err == nil {
			t.Error("AppendReceipt accepted a record with a version")
		}
		return nil
	})
	if made[0].Version != 1 || made[1].Version != 2 || made[2].Version != 1 || made[3].ID == "" || made[3].Version != 1 {
		t.Fatalf("appended %+v", made)
	}
	for i := 1; i < len(made); i++ {
		if made[i].Seq <= made[i-1].Seq {
			t.Fatalf("seq %d after %d", made[i].Seq, made[i-1].Seq)
		}
	}
	view(t, s, func(tx store.ReadTx) error {
		vs, err := tx.ReceiptVersions("r1")
		if err != nil || len(vs) != 2 || vs[0].Status != store.ReceiptRejected || vs[1].Status != store.ReceiptAccepted ||
			*vs[1].SettleM3 != 12.5 || !vs[1].ArrivedAt.Equal(day) || len(vs[0].Problems) != 1 || vs[0].Problems[0].Source != "[003:1427]" {
			t.Errorf("ReceiptVersions(r1) = %+v, %v", vs, err)
		}
		if none, err := tx.ReceiptVersions("r9"); err != nil || len(none) != 0 {
			t.Errorf("ReceiptVersions of none = %v, %v", none, err)
		}
		for name, tc := range map[string]struct {
			q    store.ReceiptQuery
			want []uint64
		}{
			"all":      {store.ReceiptQuery{}, []uint64{made[0].Seq, made[1].Seq, made[2].Seq, made[3].Seq}},
			"order":    {store.ReceiptQuery{OrderID: "PG1"}, []uint64{made[0].Seq, made[1].Seq}},
			"customer": {store.ReceiptQuery{CustomerID: "c1"}, []uint64{made[0].Seq, made[1].Seq, made[3].Seq}},
			"status":   {store.ReceiptQuery{Status: store.ReceiptRejected}, []uint64{made[0].Seq, made[3].Seq}},
			"after":    {store.ReceiptQuery{After: made[1].Seq}, []uint64{made[2].Seq, made[3].Seq}},
			"page":     {store.ReceiptQuery{CustomerID: "c1", Limit: 1, After: made[0].Seq}, []uint64{made[1].Seq}},
			"no order": {store.ReceiptQuery{OrderID: "PG9"}, nil},
		} {
			got, err := tx.Receipts(tc.q)
			if err != nil {
				return err
			}
			var seqs []uint64
			for _, r := range got {
				seqs = append(seqs, r.Seq)
			}
			if len(seqs) != len(tc.want) || len(seqs) > 0 && !equalSeqs(seqs, tc.want) {
				t.Errorf("%s: Receipts = %v, want %v", name, seqs, tc.want)
			}
		}
		return nil
	})
}

func equalSeqs(a, b []uint64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
