package account

import (
	"errors"
	"strings"
	"testing"
)

// fastParams keep the tests quick; the costs themselves are measured by
// BenchmarkVerifyPassword.
var fastParams = HashParams{Memory: 64, Time: 1, Threads: 1}

func TestPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery", fastParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q does not carry its costs", h)
	}
	if err := VerifyPassword(h, "correct horse battery"); err != nil {
		t.Errorf("right password: %v", err)
	}
	if err := VerifyPassword(h, "correct horse batterY"); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("wrong password: %v, want ErrWrongPassword", err)
	}
	h2, _ := HashPassword("correct horse battery", fastParams)
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=999999999,t=1,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$!!$a2V5a2V5a2V5a2V5a2V5"} {
		if err := VerifyPassword(h, "x"); err == nil || errors.Is(err, ErrWrongPassword) {
			t.Errorf("VerifyPassword(%q) = %v, want a malformed-hash error", h, err)
		}
	}
}

// BenchmarkVerifyPassword measures one sign-in's hashing at the default
// costs: BENCHMARKS.md records it (goal 50-250 ms on the server).
func BenchmarkVerifyPassword(b *testing.B) {
	h, err := HashPassword("correct horse battery", DefaultHashParams)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := VerifyPassword(h, "correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}
