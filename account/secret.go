package account

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// Secrets (session cookies, API tokens) are random 32-byte values shown to
// their holder once; the store keeps only their SHA-256, so a copy of the
// store signs nobody in.

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("account: no randomness: " + err.Error()) // crypto/rand does not fail on Linux
	}
	return b
}

// Digest is the SHA-256 of a secret, the only form in which it is stored.
type Digest [sha256.Size]byte

// DigestOf hashes a secret.
func DigestOf(secret string) Digest { return sha256.Sum256([]byte(secret)) }

// Session is a signed-in browser.
type Session struct {
	Digest    Digest // of the cookie value
	AccountID string
	CSRF      string // the token every form and cookie-authenticated API write must carry
	Addr      string // the address it signed in from
	CreatedAt time.Time
	LastSeen  time.Time
	ExpiresAt time.Time // absolute end, whatever the activity
}

// NewSession starts a session for an account; cookie is the value to set in
// the browser, the session is what to store.
func NewSession(accountID, addr string, now time.Time, lifetime time.Duration) (cookie string, s Session) {
	cookie = base64.RawURLEncoding.EncodeToString(randomBytes(32))
	return cookie, Session{Digest: DigestOf(cookie), AccountID: accountID, Addr: addr,
		CSRF:      base64.RawURLEncoding.EncodeToString(randomBytes(32)),
		CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(lifetime)}
}

// Live reports whether the session may still be used at now: before its end
// and not idle longer than idle.
func (s *Session) Live(now time.Time, idle time.Duration) bool {
	return now.Before(s.ExpiresAt) && now.Sub(s.LastSeen) < idle
}

// CheckCSRF compares a submitted CSRF token with the session's in constant time.
func (s *Session) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRF)) == 1
}

// Token is an API token for a device or an integration (the CIS, a tablet,
// Prometheus), acting as its account.
type Token struct {
	ID        string // public part, shown in lists
	AccountID string
	Label     string // what it is for, e.g. "平板 T-07"
	Digest    Digest // of the whole secret
	CreatedAt time.Time
	ExpiresAt time.Time // zero: never
	RevokedAt time.Time // zero: not revoked
}

const tokenPrefix = "mst_"

// NewToken makes a token; secret is shown once to whoever asked for it.
func NewToken(accountID, label string, now time.Time, lifetime time.Duration) (secret string, t Token) {
	id := hex.EncodeToString(randomBytes(6))
	secret = tokenPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(randomBytes(32))
	t = Token{ID: id, AccountID: accountID, Label: label, Digest: DigestOf(secret), CreatedAt: now}
	if lifetime > 0 {
		t.ExpiresAt = now.Add(lifetime)
	}
	return secret, t
}

// TokenID is the public id inside a token secret, to find it in the store.
func TokenID(secret string) (string, bool) {
	rest, ok := strings.CutPrefix(secret, tokenPrefix)
	id, _, ok2 := strings.Cut(rest, "_")
	return id, ok && ok2 && len(id) == 12
}

// Matches reports, in constant time, whether secret is this token's.
func (t *Token) Matches(secret string) bool {
	d := DigestOf(secret)
	return subtle.ConstantTimeCompare(d[:], t.Digest[:]) == 1
}

// Active reports whether the token may be used at now.
func (t *Token) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// Device is a paired handheld (抄表机). Its key proves it in the device
// protocol's challenge-response; unlike passwords and tokens the server must
// hold the key itself to check a proof, so the store file is as secret as
// the keys it holds.
type Device struct {
	ID        string // e.g. the handheld's serial number
	Name      string
	ReaderID  string // the 抄表员 it belongs to, if fixed
	Key       []byte // 32 bytes
	PairedAt  time.Time
	PairedBy  string
	RevokedAt time.Time
}

// PairDevice makes a device record with a fresh key.
func PairDevice(id, name, readerID, by string, now time.Time) (Device, error) {
	if !validID(id) {
		return Device{}, errors.New("抄表机编号无效: 应为1到32个字母、数字、点、横线或下划线")
	}
	return Device{ID: id, Name: name, ReaderID: readerID, Key: randomBytes(32), PairedAt: now, PairedBy: by}, nil
}

// Active reports whether the device may dock.
func (d *Device) Active() bool { return d.RevokedAt.IsZero() }

// Prove answers a challenge with the device key: HMAC-SHA256(key, challenge).
func Prove(key, challenge []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(challenge)
	return m.Sum(nil)
}

// VerifyProof checks a device's answer to a challenge. A revoked device never
// passes, whatever it answers.
func (d *Device) VerifyProof(challenge, proof []byte) bool {
	return d.Active() && len(d.Key) == 32 && hmac.Equal(Prove(d.Key, challenge), proof)
}

// KeyText is how a device key is shown once at pairing, to be entered in the
// handheld.
func (d *Device) KeyText() string { return hex.EncodeToString(d.Key) }
