package access

import (
	"errors"
	"time"

	"meter-sync/account"
	"meter-sync/store"
)

// Principal is who a request comes from, once authenticated.
type Principal struct {
	Account account.Account
	Session *account.Session // when signed in with a browser session
	TokenID string           // when signed in with an API token
}

// Actor is the principal as the audit trail names it.
func (p *Principal) Actor() Actor { return Actor{ID: p.Account.ID, Role: p.Account.Role} }

// dummyHash is checked when an account does not exist, so that a guesser
// cannot tell unknown accounts by how fast they fail.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() { s.dummy, _ = account.HashPassword("not a password of anyone", s.opt.Hash) })
	return s.dummy
}

// SignIn checks a password and starts a browser session: it returns the
// cookie value to set. Failures count per account and per address; either
// locked refuses the attempt before any password is checked.
func (s *Service) SignIn(id, password, addr string) (string, *account.Session, error) {
	now := s.now()
	if locked, _ := s.users.Locked(id, now); locked {
		return "", nil, s.recordSignIn(id, addr, "signin.locked", ErrLocked)
	}
	if locked, _ := s.addrs.Locked(addr, now); locked {
		return "", nil, s.recordSignIn(id, addr, "signin.locked", ErrLocked)
	}
	var a account.Account
	err := s.st.View(func(tx store.ReadTx) error {
		var err error
		a, err = tx.Account(id)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		account.VerifyPassword(s.dummyHash(), password)
		return "", nil, s.failSignIn(id, addr, now)
	case err != nil:
		return "", nil, err
	case a.Disabled || a.Password == "" || account.VerifyPassword(a.Password, password) != nil:
		return "", nil, s.failSignIn(id, addr, now)
	}
	s.users.Succeed(id)
	s.addrs.Succeed(addr)
	cookie, sess := account.NewSession(a.ID, addr, now, s.opt.SessionLifetime)
	err = s.st.Update(func(tx store.Tx) error {
		if err := tx.PutSession(sess); err != nil {
			return err
		}
		return s.audit(tx, Actor{ID: a.ID, Role: a.Role}, "signin", a.ID, nil, nil, "from "+addr)
	})
	return cookie, &sess, err
}

func (s *Service) failSignIn(id, addr string, now time.Time) error {
	s.users.Fail(id, now)
	s.addrs.Fail(addr, now)
	return s.recordSignIn(id, addr, "signin.failed", ErrBadCredentials)
}

// recordSignIn audits a refused sign-in and returns why it was refused.
func (s *Service) recordSignIn(id, addr, action string, why error) error {
	err := s.st.Update(func(tx store.Tx) error {
		return s.audit(tx, Actor{ID: id}, action, id, nil, nil, "from "+addr)
	})
	return errors.Join(why, err)
}

// ChangePassword replaces the principal's own password, given the old one.
// A wrong old password counts as a failed sign-in of the account, so that a
// browser left signed in cannot be used to guess it.
func (s *Service) ChangePassword(p *Principal, old, pw string) error {
	id, now := p.Account.ID, s.now()
	if locked, _ := s.users.Locked(id, now); locked {
		return ErrLocked
	}
	if p.Account.Password == "" || account.VerifyPassword(p.Account.Password, old) != nil {
		s.users.Fail(id, now)
		return errors.Join(ErrBadCredentials, s.st.Update(func(tx store.Tx) error {
			return s.audit(tx, p.Actor(), "account.password.failed", id, nil, nil, "")
		}))
	}
	return s.SetPassword(p.Actor(), id, pw)
}

// SignOut ends a session.
func (s *Service) SignOut(p *Principal) error {
	if p.Session == nil {
		return nil
	}
	return s.st.Update(func(tx store.Tx) error {
		if err := tx.DeleteSession(p.Session.Digest); err != nil {
			return err
		}
		return s.audit(tx, p.Actor(), "signout", p.Account.ID, nil, nil, "")
	})
}

// touchEvery bounds how often a session's last-seen time is written: a
// write per request would cost more than the request.
const touchEvery = time.Minute

// Session authenticates a browser by its cookie value.
func (s *Service) Session(cookie string) (*Principal, error) {
	now := s.now()
	var p Principal
	err := s.st.View(func(tx store.ReadTx) error {
		sess, err := tx.Session(account.DigestOf(cookie))
		if err != nil {
			return err
		}
		if !sess.Live(now, s.opt.SessionIdle) {
			return ErrUnauthenticated
		}
		a, err := tx.Account(sess.AccountID)
		p = Principal{Account: a, Session: &sess}
		return err
	})
	if err != nil || p.Account.Disabled || p.Session.CreatedAt.Before(p.Account.SessionsFrom) {
		return nil, ErrUnauthenticated
	}
	if now.Sub(p.Session.LastSeen) >= touchEvery {
		p.Session.LastSeen = now
		s.st.Update(func(tx store.Tx) error { return tx.PutSession(*p.Session) })
	}
	return &p, nil
}

// Token authenticates an API token secret.
func (s *Service) Token(secret string) (*Principal, error) {
	id, ok := account.TokenID(secret)
	if !ok {
		return nil, ErrUnauthenticated
	}
	now := s.now()
	var p Principal
	err := s.st.View(func(tx store.ReadTx) error {
		t, err := tx.Token(id)
		if err != nil {
			return err
		}
		if !t.Matches(secret) || !t.Active(now) {
			return ErrUnauthenticated
		}
		a, err := tx.Account(t.AccountID)
		p = Principal{Account: a, TokenID: t.ID}
		return err
	})
	if err != nil || p.Account.Disabled {
		return nil, ErrUnauthenticated
	}
	return &p, nil
}
