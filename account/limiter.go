package account

import (
	"sync"
	"time"
)

// Limiter slows down password guessing: after MaxFailures failed sign-ins
// within Window for one key (an account, or an address), that key is locked
// for Lockout. Time is passed in.
type Limiter struct {
	MaxFailures int
	Window      time.Duration
	Lockout     time.Duration

	mu    sync.Mutex
	state map[string]*limitState
}

type limitState struct {
	failures    []time.Time
	lockedUntil time.Time
}

// maxTracked bounds the memory an attacker can make the limiter use.
const maxTracked = 100_000

// Locked reports whether key may not try now, and until when.
func (l *Limiter) Locked(key string, now time.Time) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.state[key]
	if st == nil || !now.Before(st.lockedUntil) {
		return false, time.Time{}
	}
	return true, st.lockedUntil
}

// Fail records a failed attempt for key.
func (l *Limiter) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state == nil {
		l.state = map[string]*limitState{}
	}
	if len(l.state) >= maxTracked {
		l.prune(now)
	}
	st := l.state[key]
	if st == nil {
		st = &limitState{}
		l.state[key] = st
	}
	recent := st.failures[:0]
	for _, t := range st.failures {
		if now.Sub(t) < l.Window {
			recent = append(recent, t)
		}
	}
	st.failures = append(recent, now)
	if len(st.failures) >= l.MaxFailures {
		st.lockedUntil = now.Add(l.Lockout)
		st.failures = nil
	}
}

// Succeed forgets key's failures.
func (l *Limiter) Succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.state, key)
}

func (l *Limiter) prune(now time.Time) {
	for k, st := range l.state {
		if !now.Before(st.lockedUntil) && (len(st.failures) == 0 || now.Sub(st.failures[len(st.failures)-1]) >= l.Window) {
			delete(l.state, k)
		}
	}
}
