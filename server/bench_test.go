package server

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"meter-sync/access"
	"meter-sync/account"
)

// BenchmarkAuthOverhead measures what authentication adds to a request: the
// API document (a cheap handler, no store read) asked for with a session
// cookie and with an API token, against the same handler registered as a
// public route and asked for without credentials. Each iteration of the
// session and token cases sends one public request beside the
// authenticated one; added-p50-ns and added-p99-ns are the differences of
// the percentiles of the two (goal: added-p99-ns under 1 ms).
//
//	go test ./server -run '^$' -bench AuthOverhead -benchtime 20000x
func BenchmarkAuthOverhead(b *testing.B) {
	st := openStore(b)
	seed(b, st)
	acc := fastAccess(st, func() time.Time { return march })
	if _, err := acc.AddAccount(access.Actor{ID: "bench"}, access.NewAccount{ID: "clerk", Name: "营业员",
		Role: account.RoleClerk, Password: testPassword}); err != nil {
		b.Fatal(err)
	}
	s := New(Options{Store: st, Access: acc, Now: func() time.Time { return march }})
	s.public(http.MethodGet, "/bench/openapi.json", s.openAPI)
	cookie, _, err := acc.SignIn("clerk", testPassword, "192.0.2.1")
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := acc.IssueToken(access.Actor{ID: "bench"}, "clerk", "bench")
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	public := func() *http.Request { return httptest.NewRequest(http.MethodGet, "/bench/openapi.json", nil) }
	cases := []struct {
		name string
		req  func() *http.Request
	}{
		{"session", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/openapi.json", nil)
			r.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
			return r
		}},
		{"token", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/openapi.json", nil)
			r.Header.Set("Authorization", "Bearer "+token)
			return r
		}},
	}
	b.Run("public", func(b *testing.B) {
		var ds []time.Duration
		for b.Loop() {
			ds = append(ds, serveTimed(b, h, public()))
		}
		reportPercentiles(b, ds)
	})
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var auth, base []time.Duration
			for b.Loop() {
				auth = append(auth, serveTimed(b, h, tc.req()))
				base = append(base, serveTimed(b, h, public()))
			}
			p50, p99 := reportPercentiles(b, auth)
			b50, b99 := percentiles(base)
			b.ReportMetric(float64(p50-b50), "added-p50-ns")
			b.ReportMetric(float64(p99-b99), "added-p99-ns")
		})
	}
}

// serveTimed serves one request and returns how long it took.
func serveTimed(b *testing.B, h http.Handler, r *http.Request) time.Duration {
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, r)
	d := time.Since(start)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s = %d", r.URL.Path, rec.Code)
	}
	return d
}

func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)*50/100], s[min(len(s)-1, len(s)*99/100)]
}

func reportPercentiles(b *testing.B, ds []time.Duration) (p50, p99 time.Duration) {
	p50, p99 = percentiles(ds)
	b.ReportMetric(float64(p50), "p50-ns")
	b.ReportMetric(float64(p99), "p99-ns")
	return p50, p99
}
