package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"meter-sync/account"
	"meter-sync/store"
)

func testAccounts(t *testing.T, s store.Store) {
	a := account.Account{ID: "clerk1", Name: "王芳", Role: account.RoleClerk, CanDispatch: true, Password: "$argon2id$x", CreatedAt: day}
	update(t, s, func(tx store.Tx) error {
		if _, changed, err := tx.PutAccount(a); !changed || err != nil {
			t.Errorf("new account: changed=%v err=%v", changed, err)
		}
		if _, changed, _ := tx.PutAccount(a); changed {
			t.Error("re-put of an equal account changed it")
		}
		b := a
		b.Disabled = true
		before, changed, err := tx.PutAccount(b)
		if !changed || before == nil || before.Disabled {
			t.Errorf("disable: changed=%v before=%+v", changed, before)
		}
		if _, _, err := tx.PutAccount(account.Account{ID: "bad id", Role: account.RoleAdmin}); err == nil {
			t.Error("an account with a space in its id was stored")
		}
		return err
	})
	view(t, s, func(tx store.ReadTx) error {
		got, err := tx.Account("clerk1")
		if err != nil || !got.Disabled || got.Name != "王芳" || !got.CanDispatch {
			t.Errorf("Account = %+v, %v", got, err)
		}
		if _, err := tx.Account("nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing account: %v", err)
		}
		all, err := tx.Accounts()
		if len(all) != 1 {
			t.Errorf("Accounts = %v", all)
		}
		return err
	})
}

func testSessionsAndTokens(t *testing.T, s store.Store) {
	cookie, sess := account.NewSession("clerk1", "10.0.0.1", day, time.Hour)
	secret, tok := account.NewToken("clerk1", "平板 T-07", day, 0)
	_, other := account.NewToken("admin", "Prometheus", day, 0)
	update(t, s, func(tx store.Tx) error {
		return errors.Join(tx.PutSession(sess), tx.PutToken(tok), tx.PutToken(other))
	})
	view(t, s, func(tx store.ReadTx) error {
		got, err := tx.Session(account.DigestOf(cookie))
		if err != nil || got.AccountID != "clerk1" || got.CSRF != sess.CSRF || !got.ExpiresAt.Equal(sess.ExpiresAt) {
			t.Errorf("Session = %+v, %v", got, err)
		}
		id, _ := account.TokenID(secret)
		gt, err2 := tx.Token(id)
		if err2 != nil || !gt.Matches(secret) || gt.Label != "平板 T-07" {
			t.Errorf("Token = %+v, %v", gt, err2)
		}
		mine, err3 := tx.Tokens("clerk1")
		all, err4 := tx.Tokens("")
		if len(mine) != 1 || len(all) != 2 {
			t.Errorf("Tokens(clerk1) = %d, Tokens() = %d; want 1 and 2", len(mine), len(all))
		}
		return errors.Join(err, err2, err3, err4)
	})
	update(t, s, func(tx store.Tx) error { return tx.DeleteSession(account.DigestOf(cookie)) })
	view(t, s, func(tx store.ReadTx) error {
		if _, err := tx.Session(account.DigestOf(cookie)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted session: %v", err)
		}
		return nil
	})
}

func testDevices(t *testing.T, s store.Store) {
	d, err := account.PairDevice("HH-0001", "一号抄表机", "R001", "admin", day)
	if err != nil {
		t.Fatal(err)
	}
	update(t, s, func(tx store.Tx) error { _, _, err := tx.PutDevice(d); return err })
	revoked := d
	revoked.RevokedAt = day.Add(time.Hour)
	update(t, s, func(tx store.Tx) error {
		before, changed, err := tx.PutDevice(revoked)
		if !changed || before == nil || !before.Active() {
			t.Errorf("revoke: changed=%v before=%+v", changed, before)
		}
		return err
	})
	view(t, s, func(tx store.ReadTx) error {
		got, err := tx.Device("HH-0001")
		challenge := []byte("challenge")
		if err != nil || got.Active() || got.VerifyProof(challenge, account.Prove(d.Key, challenge)) {
			t.Errorf("revoked device %+v (err %v) still active or still proves itself", got, err)
		}
		ds, err2 := tx.Devices()
		if len(ds) != 1 || string(ds[0].Key) != string(d.Key) {
			t.Errorf("Devices = %+v", ds)
		}
		return errors.Join(err, err2)
	})
}

func testSearchAudit(t *testing.T, s store.Store) {
	update(t, s, func(tx store.Tx) error {
		for i := 0; i < 10; i++ {
			e := store.AuditEntry{At: day.Add(time.Duration(i) * time.Hour), Actor: []string{"clerk1", "admin"}[i%2],
				Action: []string{"customer.update", "signin"}[i%2], Key: fmt.Sprint("c", i%3), Note: fmt.Sprint("note ", i)}
			if _, err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx store.ReadTx) error {
		got, err := tx.SearchAudit(store.AuditQuery{Actor: "clerk1", Limit: 3})
		if len(got) != 3 || got[0].Seq != 9 || got[1].Seq != 7 || got[2].Seq != 5 {
			t.Errorf("newest three of clerk1: %v", seqs(got))
		}
		page2, err2 := tx.SearchAudit(store.AuditQuery{Actor: "clerk1", Limit: 3, Before: got[2].Seq})
		if len(page2) != 2 || page2[0].Seq != 3 || page2[1].Seq != 1 {
			t.Errorf("next page: %v", seqs(page2))
		}
		keyed, err3 := tx.SearchAudit(store.AuditQuery{Action: "customer.", Key: "c0"})
		if len(keyed) != 2 { // entries 0 and 6 (seq 1 and 7)
			t.Errorf("customer.* of c0: %v", seqs(keyed))
		}
		window, err4 := tx.SearchAudit(store.AuditQuery{From: day.Add(2 * time.Hour), To: day.Add(4 * time.Hour)})
		text, err5 := tx.SearchAudit(store.AuditQuery{Text: "note 4"})
		if len(window) != 2 || len(text) != 1 || text[0].Seq != 5 {
			t.Errorf("time window %v, text %v", seqs(window), seqs(text))
		}
		return errors.Join(err, err2, err3, err4, err5)
	})
}

func seqs(es []store.AuditEntry) []uint64 {
	out := make([]uint64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}
