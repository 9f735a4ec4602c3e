package access

import (
	"meter-sync/account"
	"meter-sync/store"
)

// IssueToken makes an API token for an account and returns its secret, to
// be shown once.
func (s *Service) IssueToken(by Actor, accountID, label string) (string, account.Token, error) {
	secret, t := account.NewToken(accountID, label, s.now(), s.opt.TokenLifetime)
	err := s.st.Update(func(tx store.Tx) error {
		if _, err := tx.Account(accountID); err != nil {
			return err
		}
		if err := tx.PutToken(t); err != nil {
			return err
		}
		return s.audit(tx, by, "token.issue", t.ID, nil, t, label)
	})
	return secret, t, err
}

// RevokeToken stops a token at once.
func (s *Service) RevokeToken(by Actor, id string) error {
	return s.st.Update(func(tx store.Tx) error {
		t, err := tx.Token(id)
		if err != nil {
			return err
		}
		if !t.RevokedAt.IsZero() {
			return nil
		}
		before := t
		t.RevokedAt = s.now()
		if err := tx.PutToken(t); err != nil {
			return err
		}
		return s.audit(tx, by, "token.revoke", id, before, t, "")
	})
}

// PairDevice pairs a handheld and returns it with its key, to be shown once
// and entered in the handheld. Pairing an id again gives it a new key.
func (s *Service) PairDevice(by Actor, id, name, readerID string) (account.Device, error) {
	d, err := account.PairDevice(id, name, readerID, by.ID, s.now())
	if err != nil {
		return d, reject(err)
	}
	err = s.st.Update(func(tx store.Tx) error {
		if err := knownReader(tx, readerID); err != nil {
			return err
		}
		before, _, err := tx.PutDevice(d)
		if err != nil {
			return err
		}
		var b any
		if before != nil {
			b = *before
		}
		return s.audit(tx, by, "device.pair", id, b, d, name)
	})
	return d, err
}

// RevokeDevice stops a handheld: at its next dock it gets nothing.
func (s *Service) RevokeDevice(by Actor, id string) error {
	return s.st.Update(func(tx store.Tx) error {
		d, err := tx.Device(id)
		if err != nil {
			return err
		}
		if !d.Active() {
			return nil
		}
		before := d
		d.RevokedAt = s.now()
		if _, _, err := tx.PutDevice(d); err != nil {
			return err
		}
		return s.audit(tx, by, "device.revoke", id, before, d, "")
	})
}

// AuthenticateDevice checks a handheld's answer to a challenge. Only a
// paired, unrevoked device with the right key passes; every attempt is
// audited, for the docking log.
func (s *Service) AuthenticateDevice(id string, challenge, proof []byte) (account.Device, error) {
	var d account.Device
	err := s.st.View(func(tx store.ReadTx) error {
		var err error
		d, err = tx.Device(id)
		return err
	})
	ok := err == nil && d.VerifyProof(challenge, proof)
	action := map[bool]string{true: "device.auth", false: "device.auth.failed"}[ok]
	aerr := s.st.Update(func(tx store.Tx) error {
		return s.audit(tx, Actor{ID: id, Device: id}, action, id, nil, nil, "")
	})
	if !ok {
		return account.Device{}, ErrUnauthenticated
	}
	return d, aerr
}
