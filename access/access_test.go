package access

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/store"
	"meter-sync/store/bolt"
)

// clock is a settable time for tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newService(t *testing.T) (*Service, *bolt.DB, *clock) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{t: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	opt := DefaultOptions()
	opt.Hash = account.HashParams{Memory: 64, Time: 1, Threads: 1} // fast in tests; the real cost is benchmarked
	return New(db, opt, c.now), db, c
}

var admin = Actor{ID: "admin", Role: account.RoleAdmin}

func TestSignInSessionAndSignOut(t *testing.T) {
	s, db, c := newService(t)
	if _, err := s.AddAccount(admin, NewAccount{ID: "clerk1", Name: "王芳", Role: account.RoleClerk, Password: "long enough pw"}); err != nil {
		t.Fatal(err)
	}
	cookie, _, err := s.SignIn("clerk1", "long enough pw", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Session(cookie)
	if err != nil || p.Account.ID != "clerk1" {
		t.Fatalf("Session: %+v, %v", p, err)
	}
	c.t = c.t.Add(3 * time.Hour) // idle beyond session_idle
	if _, err := s.Session(cookie); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("idle session: %v, want ErrUnauthenticated", err)
	}
	cookie, _, _ = s.SignIn("clerk1", "long enough pw", "10.0.0.1")
	p, _ = s.Session(cookie)
	if err := s.SignOut(p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(cookie); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("after sign-out: %v", err)
	}
	var actions []string
	db.View(func(tx store.ReadTx) error {
		es, _ := tx.SearchAudit(store.AuditQuery{})
		for _, e := range es {
			actions = append(actions, e.Action)
			if strings.Contains(string(e.After), "argon2") {
				t.Errorf("audit entry %s holds a password hash: %s", e.Action, e.After)
			}
		}
		return nil
	})
	if got := strings.Join(actions, " "); got != "signout signin signin account.add" {
		t.Errorf("audit trail: %s", got)
	}
}

func TestNewPasswordSignsOutEverywhere(t *testing.T) {
	s, _, c := newService(t)
	s.AddAccount(admin, NewAccount{ID: "clerk1", Role: account.RoleClerk, Password: "long enough pw"})
	cookie, _, err := s.SignIn("clerk1", "long enough pw", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Minute)
	if err := s.SetPassword(admin, "clerk1", "another long pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(cookie); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("session begun before the password change: %v, want ErrUnauthenticated", err)
	}
	c.t = c.t.Add(time.Minute)
	fresh, _, err := s.SignIn("clerk1", "another long pw", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(fresh); err != nil {
		t.Errorf("session begun after the change: %v", err)
	}
}

func TestRepeatedFailuresLockAccountAndAddress(t *testing.T) {
	s, _, c := newService(t)
	s.AddAccount(admin, NewAccount{ID: "clerk1", Role: account.RoleClerk, Password: "long enough pw"})
	s.AddAccount(admin, NewAccount{ID: "clerk2", Role: account.RoleClerk, Password: "long enough pw"})
	for i := 0; i < 5; i++ {
		if _, _, err := s.SignIn("clerk1", "wrong", "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, _, err := s.SignIn("clerk1", "long enough pw", "10.0.0.9"); !errors.Is(err, ErrLocked) {
		t.Errorf("right password on a locked account: %v, want ErrLocked", err)
	}
	if _, _, err := s.SignIn("clerk2", "long enough pw", "10.0.0.1"); !errors.Is(err, ErrLocked) {
		t.Errorf("another account from a locked address: %v, want ErrLocked", err)
	}
	c.t = c.t.Add(16 * time.Minute)
	if _, _, err := s.SignIn("clerk1", "long enough pw", "10.0.0.1"); err != nil {
		t.Errorf("after the lockout: %v", err)
	}
	if _, _, err := s.SignIn("nobody", "x", "10.0.0.2"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("unknown account: %v, want the same error as a wrong password", err)
	}
}

func TestDisabledAccountAndRevokedToken(t *testing.T) {
	s, _, _ := newService(t)
	s.AddAccount(admin, NewAccount{ID: "cis", Role: account.RoleClerk, Password: "long enough pw"})
	secret, tok, err := s.IssueToken(admin, "cis", "CIS 导入")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.Token(secret); err != nil || p.Account.ID != "cis" {
		t.Fatalf("token: %+v %v", p, err)
	}
	if _, err := s.Token(secret + "x"); err == nil {
		t.Error("a tampered token passed")
	}
	cookie, _, _ := s.SignIn("cis", "long enough pw", "10.0.0.1")
	if err := s.SetDisabled(admin, "cis", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(secret); err == nil {
		t.Error("a disabled account's token still works")
	}
	if _, err := s.Session(cookie); err == nil {
		t.Error("a disabled account's session still works")
	}
	s.SetDisabled(admin, "cis", false)
	if err := s.RevokeToken(admin, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(secret); err == nil {
		t.Error("a revoked token still works")
	}
}

func TestRevokedHandheldGetsNothing(t *testing.T) {
	s, db, _ := newService(t)
	if _, err := s.PairDevice(admin, "HH-0001", "一号机", "R001"); err == nil || !errors.Is(err, ErrRejected) {
		t.Fatalf("pairing to an unknown reader: %v, want a rejection", err)
	}
	if err := db.Update(func(tx store.Tx) error {
		_, _, err := tx.PutReader(domain.Reader{ID: "R001", Name: "林嘉华"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	d, err := s.PairDevice(admin, "HH-0001", "一号机", "R001")
	if err != nil {
		t.Fatal(err)
	}
	challenge := []byte("nonce-1")
	if _, err := s.AuthenticateDevice("HH-0001", challenge, account.Prove(d.Key, challenge)); err != nil {
		t.Fatalf("paired handheld: %v", err)
	}
	if _, err := s.AuthenticateDevice("HH-0001", challenge, account.Prove(make([]byte, 32), challenge)); err == nil {
		t.Error("a wrong key passed")
	}
	if _, err := s.AuthenticateDevice("HH-9999", challenge, account.Prove(d.Key, challenge)); err == nil {
		t.Error("an unpaired handheld passed")
	}
	if err := s.RevokeDevice(admin, "HH-0001"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateDevice("HH-0001", challenge, account.Prove(d.Key, challenge)); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("revoked handheld: %v, want ErrUnauthenticated", err)
	}
}

func TestFirstAdminOnlyOnce(t *testing.T) {
	s, _, _ := newService(t)
	pw, ok, err := s.EnsureFirstAdmin("admin")
	if err != nil || !ok || len(pw) < account.MinPasswordLen {
		t.Fatalf("first admin: %q %v %v", pw, ok, err)
	}
	if _, ok, err := s.EnsureFirstAdmin("admin"); ok || err != nil {
		t.Errorf("second call: ok=%v err=%v, want nothing done", ok, err)
	}
	if _, _, err := s.SignIn("admin", pw, "127.0.0.1"); err != nil {
		t.Errorf("signing in with the printed password: %v", err)
	}
}
