// Package access carries out everything about who uses the server: adding
// and disabling accounts, passwords, signing in and out, API tokens, pairing
// and revoking handhelds, and authenticating each request. The server's
// pages and the CLI both call it, so each action is written, checked and
// audited in one place; the rules themselves (roles, permissions, hashing)
// are package account's.
package access

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"meter-sync/account"
	"meter-sync/store"
)

// Options are the costs and lifetimes of config [auth].
type Options struct {
	Hash            account.HashParams
	SessionLifetime time.Duration
	SessionIdle     time.Duration
	TokenLifetime   time.Duration // 0: tokens never expire
	MaxFailures     int
	FailureWindow   time.Duration
	Lockout         time.Duration
}

// DefaultOptions match the configuration's defaults.
func DefaultOptions() Options {
	return Options{Hash: account.DefaultHashParams, SessionLifetime: 12 * time.Hour, SessionIdle: 2 * time.Hour,
		TokenLifetime: 365 * 24 * time.Hour, MaxFailures: 5, FailureWindow: 15 * time.Minute, Lockout: 15 * time.Minute}
}

// Service acts on a store's accounts.
type Service struct {
	st    store.Store
	opt   Options
	now   func() time.Time
	users *account.Limiter // failed sign-ins per account
	addrs *account.Limiter // failed sign-ins per address

	dummyOnce sync.Once
	dummy     string
}

// New makes a service; now nil means time.Now.
func New(st store.Store, opt Options, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	lim := func() *account.Limiter {
		return &account.Limiter{MaxFailures: opt.MaxFailures, Window: opt.FailureWindow, Lockout: opt.Lockout}
	}
	return &Service{st: st, opt: opt, now: now, users: lim(), addrs: lim()}
}

// Actor is who does an action, for the audit trail.
type Actor struct {
	ID     string // account id, "cli" or "system"
	Role   account.Role
	Device string
}

// Errors callers branch on.
var (
	// ErrBadCredentials is returned for an unknown account, a wrong password
	// or a disabled account alike, so a guesser learns nothing.
	ErrBadCredentials = errors.New("账号或密码错误")
	// ErrLocked is returned while an account or address is locked after
	// repeated failures.
	ErrLocked = errors.New("尝试次数过多,请稍后再试")
	// ErrUnauthenticated is returned for a missing, expired or revoked
	// session or token.
	ErrUnauthenticated = errors.New("未登录或登录已失效")
)

func (s *Service) audit(tx store.Tx, by Actor, action, key string, before, after any, note string) error {
	e := store.AuditEntry{At: s.now(), Actor: by.ID, Role: string(by.Role), Device: by.Device, Action: action, Key: key, Note: note}
	var err error
	if e.Before, err = redactedJSON(before); err != nil {
		return err
	}
	if e.After, err = redactedJSON(after); err != nil {
		return err
	}
	_, err = tx.AppendAudit(e)
	return err
}

// ErrRejected is matched (errors.Is) by every error that refuses a request
// for what it asks: a field that breaks a rule, an id that exists already,
// disabling oneself. Its message, in Chinese, is for the person who asked;
// any other error is the store's.
var ErrRejected = errors.New("access: request rejected")

// rejected marks an error as ErrRejected and keeps its message.
type rejected struct{ err error }

func (r rejected) Error() string   { return r.err.Error() }
func (r rejected) Unwrap() []error { return []error{r.err, ErrRejected} }

func reject(err error) error {
	if err == nil {
		return nil
	}
	return rejected{err}
}

func fail(format string, args ...any) error { return reject(fmt.Errorf(format, args...)) }
