package bolt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	bbolt "go.etcd.io/bbolt"

	"meter-sync/account"
	"meter-sync/store"
)

// Accounts, sessions, tokens and devices are few and small: JSON values keyed
// by id (sessions by the digest of their cookie).

func getJSON[T any](b *bbolt.Bucket, key []byte, what string, v *T) error {
	raw := b.Get(key)
	if raw == nil {
		return fmt.Errorf("%s %s: %w", what, printable(key), store.ErrNotFound)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s %s: %w", what, printable(key), err)
	}
	return nil
}

func printable(key []byte) string {
	if bytes.ContainsFunc(key, func(r rune) bool { return r < ' ' || r > '~' }) {
		return fmt.Sprintf("%x", key[:min(len(key), 4)])
	}
	return string(key)
}

func listJSON[T any](b *bbolt.Bucket, keep func(*T) bool) ([]T, error) {
	var out []T
	err := b.ForEach(func(k, raw []byte) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("record %s: %w", printable(k), err)
		}
		if keep == nil || keep(&v) {
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

// putJSON stores v under key and reports what was there before.
func putJSON[T any](b *bbolt.Bucket, key []byte, v T) (*T, bool, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, false, err
	}
	old, changed, err := putIfChanged(b, key, raw)
	if old == nil || err != nil {
		return nil, changed, err
	}
	before := new(T)
	return before, changed, json.Unmarshal(old, before)
}

// Account implements store.Accounts.
func (t *tx) Account(id string) (account.Account, error) {
	var a account.Account
	return a, getJSON(t.b(bucketAccounts), []byte(id), "账号", &a)
}

// Accounts implements store.Accounts.
func (t *tx) Accounts() ([]account.Account, error) {
	return listJSON[account.Account](t.b(bucketAccounts), nil)
}

// PutAccount implements store.Tx.
func (t *tx) PutAccount(a account.Account) (*account.Account, bool, error) {
	if err := a.Validate(); err != nil {
		return nil, false, err
	}
	return putJSON(t.b(bucketAccounts), []byte(a.ID), a)
}

// Session implements store.Accounts.
func (t *tx) Session(d account.Digest) (account.Session, error) {
	var s account.Session
	return s, getJSON(t.b(bucketSessions), d[:], "session", &s)
}

// PutSession implements store.Tx.
func (t *tx) PutSession(s account.Session) error {
	_, _, err := putJSON(t.b(bucketSessions), s.Digest[:], s)
	return err
}

// DeleteSession implements store.Tx.
func (t *tx) DeleteSession(d account.Digest) error {
	return t.b(bucketSessions).Delete(d[:])
}

// Token implements store.Accounts.
func (t *tx) Token(id string) (account.Token, error) {
	var tok account.Token
	return tok, getJSON(t.b(bucketTokens), []byte(id), "token", &tok)
}

// Tokens implements store.Accounts.
func (t *tx) Tokens(accountID string) ([]account.Token, error) {
	return listJSON(t.b(bucketTokens), func(tok *account.Token) bool {
		return accountID == "" || tok.AccountID == accountID
	})
}

// PutToken implements store.Tx.
func (t *tx) PutToken(tok account.Token) error {
	_, _, err := putJSON(t.b(bucketTokens), []byte(tok.ID), tok)
	return err
}

// Device implements store.Accounts.
func (t *tx) Device(id string) (account.Device, error) {
	var d account.Device
	return d, getJSON(t.b(bucketDevices), []byte(id), "抄表机", &d)
}

// Devices implements store.Accounts.
func (t *tx) Devices() ([]account.Device, error) {
	return listJSON[account.Device](t.b(bucketDevices), nil)
}

// PutDevice implements store.Tx.
func (t *tx) PutDevice(d account.Device) (*account.Device, bool, error) {
	return putJSON(t.b(bucketDevices), []byte(d.ID), d)
}

// SearchAudit implements store.AuditLog: a backward scan from q.Before. The
// log is append-only and read newest first, so a page costs what it returns
// unless the filter is narrow.
func (t *tx) SearchAudit(q store.AuditQuery) ([]store.AuditEntry, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	var out []store.AuditEntry
	c := t.b(bucketAudit).Cursor()
	k, v := c.Last()
	if q.Before > 0 {
		k, v = c.Seek(seqKey(q.Before))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	for ; k != nil && len(out) < q.Limit; k, v = c.Prev() {
		var e store.AuditEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("audit %x: %w", k, err)
		}
		if !q.From.IsZero() && e.At.Before(q.From) {
			break // entries are appended in time order
		}
		if matches(q, &e) {
			out = append(out, e)
		}
	}
	return out, nil
}

func matches(q store.AuditQuery, e *store.AuditEntry) bool {
	switch {
	case q.Actor != "" && e.Actor != q.Actor,
		q.Action != "" && !strings.HasPrefix(e.Action, q.Action),
		q.Key != "" && e.Key != q.Key,
		!q.To.IsZero() && !e.At.Before(q.To):
		return false
	}
	if q.Text == "" {
		return true
	}
	return strings.Contains(e.Note, q.Text) || bytes.Contains(e.Before, []byte(q.Text)) || bytes.Contains(e.After, []byte(q.Text))
}
