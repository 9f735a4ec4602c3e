package access

import (
	"encoding/json"
	"errors"
	"fmt"

	"meter-sync/account"
	"meter-sync/store"
)

// NewAccount is what AddAccount needs.
type NewAccount struct {
	ID          string
	Name        string
	Role        account.Role
	CanDispatch bool
	ReaderID    string
	Password    string // "" makes one, returned once
}

// AddAccount creates an account and returns its password (the one given, or
// a generated one to be shown once).
func (s *Service) AddAccount(by Actor, n NewAccount) (string, error) {
	pw := n.Password
	if pw == "" {
		var err error
		if pw, err = account.RandomPassword(); err != nil {
			return "", err
		}
	}
	if err := account.CheckPasswordRules(pw); err != nil {
		return "", reject(err)
	}
	hash, err := account.HashPassword(pw, s.opt.Hash)
	if err != nil {
		return "", err
	}
	now := s.now()
	a := account.Account{ID: n.ID, Name: n.Name, Role: n.Role, CanDispatch: n.CanDispatch, ReaderID: n.ReaderID,
		Password: hash, CreatedAt: now, UpdatedAt: now}
	if err := a.Validate(); err != nil {
		return "", reject(err)
	}
	err = s.st.Update(func(tx store.Tx) error {
		if err := knownReader(tx, a.ReaderID); err != nil && a.Role == account.RoleReader {
			return err
		}
		if _, err := tx.Account(a.ID); err == nil {
			return fail("账号%s已存在", a.ID)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if _, _, err := tx.PutAccount(a); err != nil {
			return err
		}
		return s.audit(tx, by, "account.add", a.ID, nil, a, "")
	})
	return pw, err
}

// EnsureFirstAdmin creates the administrator account id if there is no
// account at all, and returns its password to be printed once; ok is false
// when accounts exist already.
func (s *Service) EnsureFirstAdmin(id string) (password string, ok bool, err error) {
	var n int
	if err := s.st.View(func(tx store.ReadTx) error {
		as, err := tx.Accounts()
		n = len(as)
		return err
	}); err != nil || n > 0 {
		return "", false, err
	}
	pw, err := s.AddAccount(Actor{ID: "system"}, NewAccount{ID: id, Name: "管理员", Role: account.RoleAdmin})
	return pw, err == nil, err
}

// SetPassword replaces an account's password and signs out its sessions.
func (s *Service) SetPassword(by Actor, id, pw string) error {
	if err := account.CheckPasswordRules(pw); err != nil {
		return reject(err)
	}
	hash, err := account.HashPassword(pw, s.opt.Hash)
	if err != nil {
		return err
	}
	now := s.now()
	return s.change(by, id, "account.password", func(a *account.Account) { a.Password, a.SessionsFrom = hash, now })
}

// SetDisabled disables or enables an account. A disabled account's
// sessions and tokens stop working at once, as every request re-reads it.
func (s *Service) SetDisabled(by Actor, id string, disabled bool) error {
	if by.ID == id && disabled {
		return fail("不能停用自己的账号")
	}
	action := map[bool]string{true: "account.disable", false: "account.enable"}[disabled]
	return s.change(by, id, action, func(a *account.Account) { a.Disabled = disabled })
}

// SetRole changes an account's role and dispatch permission.
func (s *Service) SetRole(by Actor, id string, role account.Role, canDispatch bool, readerID string) error {
	return s.change(by, id, "account.role", func(a *account.Account) {
		a.Role, a.CanDispatch, a.ReaderID = role, canDispatch, readerID
	})
}

func (s *Service) change(by Actor, id, action string, edit func(*account.Account)) error {
	return s.st.Update(func(tx store.Tx) error {
		a, err := tx.Account(id)
		if err != nil {
			return err
		}
		before := a
		edit(&a)
		a.UpdatedAt = s.now()
		if err := a.Validate(); err != nil {
			return reject(err)
		}
		if _, _, err := tx.PutAccount(a); err != nil {
			return err
		}
		return s.audit(tx, by, action, id, before, a, "")
	})
}

// redactedJSON is the audit form of a record: secrets (password hashes,
// device keys, token digests) never enter the audit trail.
func redactedJSON(v any) (json.RawMessage, error) {
	switch r := v.(type) {
	case nil:
		return nil, nil
	case account.Account:
		r.Password = redact(r.Password)
		v = r
	case account.Device:
		r.Key = nil
		v = r
	case account.Token:
		r.Digest = account.Digest{}
		v = r
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("access: audit record: %w", err)
	}
	return b, nil
}

func redact(secret string) string {
	if secret == "" {
		return ""
	}
	return "(已设置)"
}

// knownReader refuses a 抄表员编号 the store does not know; "" is no reader.
func knownReader(tx store.ReadTx, id string) error {
	if id == "" {
		return nil
	}
	_, err := tx.Reader(id)
	if errors.Is(err, store.ErrNotFound) {
		return fail("抄表员“%s”不存在。", id)
	}
	return err
}
