package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"meter-sync/access"
	"meter-sync/store"
	"meter-sync/store/bolt"
)

func TestBackupNeedsAnAdministrator(t *testing.T) {
	s, st := newTestServer(t)
	noToken := New(Options{Store: st, Access: s.opt.Access})
	adminToken, _, err := s.opt.Access.IssueToken(access.Actor{ID: "test"}, "admin", "备份脚本")
	if err != nil {
		t.Fatal(err)
	}
	clerkToken, _, err := s.opt.Access.IssueToken(access.Actor{ID: "test"}, "clerk", "导入")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		h      http.Handler
		header []string
		status int
	}{
		{"no AdminToken configured, empty bearer", noToken.Handler(), []string{"Authorization: Bearer "}, http.StatusUnauthorized},
		{"no AdminToken configured, the test's", noToken.Handler(), []string{"Authorization: Bearer " + testToken}, http.StatusUnauthorized},
		{"no Authorization", s.Handler(), nil, http.StatusUnauthorized},
		{"wrong token", s.Handler(), []string{"Authorization: Bearer wrong"}, http.StatusUnauthorized},
		{"token as a prefix", s.Handler(), []string{"Authorization: Bearer " + testToken[:5]}, http.StatusUnauthorized},
		{"token with more", s.Handler(), []string{"Authorization: Bearer " + testToken + "x"}, http.StatusUnauthorized},
		{"basic scheme", s.Handler(), []string{"Authorization: Basic " + testToken}, http.StatusUnauthorized},
		{"empty bearer", s.Handler(), []string{"Authorization: Bearer "}, http.StatusUnauthorized},
		{"a clerk's API token", s.Handler(), []string{"Authorization: Bearer " + clerkToken}, http.StatusForbidden},
		{"a clerk's session", signedIn(t, s, "clerk"), nil, http.StatusForbidden},
		{"a reader's session", signedIn(t, s, "reader"), nil, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, tc.h, http.MethodPost, "/api/v1/admin/backup", nil, tc.header...)
			wantJSONError(t, rec, tc.status, "")
			if tc.status == http.StatusUnauthorized && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge: %v", rec.Header())
			}
			if rec.Header().Get("Content-Disposition") != "" {
				t.Errorf("refusal carries Content-Disposition")
			}
		})
	}
	for name, h := range map[string]http.Handler{"admin session": signedIn(t, s, "admin"),
		"admin API token": withBearer(s.Handler(), adminToken), "AdminToken": asCLI(s)} {
		if rec := do(t, h, http.MethodPost, "/api/v1/admin/backup", nil); rec.Code != http.StatusOK {
			t.Errorf("backup with an %s: %d %s", name, rec.Code, rec.Body)
		}
	}
	wantJSONError(t, do(t, s.Handler(), http.MethodGet, "/api/v1/admin/backup", nil, "Authorization: Bearer "+testToken),
		http.StatusMethodNotAllowed, "")
}

func TestBackupStreamsAStore(t *testing.T) {
	s, _ := newTestServer(t)
	for _, scheme := range []string{"Bearer", "bearer"} {
		rec := do(t, s.Handler(), http.MethodPost, "/api/v1/admin/backup", nil, "Authorization: "+scheme+" "+testToken)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s token: status %d: %s", scheme, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/octet-stream" {
			t.Errorf("Content-Type = %q", ct)
		}
		if cd := rec.Header().Get("Content-Disposition"); cd != `attachment; filename="meter-sync-20260315-100000.db"` {
			t.Errorf("Content-Disposition = %q", cd)
		}
		checkBackup(t, rec.Body.Bytes())
	}
}

// checkBackup opens backup bytes as a store and checks it holds the seed.
func checkBackup(t *testing.T, b []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	copy, err := bolt.Open(path, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("backup does not open as a store: %v", err)
	}
	defer copy.Close()
	if err := copy.Check(); err != nil {
		t.Fatalf("backup fails Check: %v", err)
	}
	err = copy.View(func(tx store.ReadTx) error {
		n, err := tx.CountCustomers()
		if err != nil {
			return err
		}
		route, err := tx.Route("R1", domainMarch())
		if n != 8 || len(route) != 4 {
			t.Errorf("backup holds %d customers and a route of %d, want 8 and 4", n, len(route))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBackupBodyLimit(t *testing.T) {
	s, _ := newTestServer(t)
	body := bytes.Repeat([]byte("x"), 1<<20+1)
	rec := do(t, s.Handler(), http.MethodPost, "/api/v1/admin/backup", bytes.NewReader(body), "Authorization: Bearer "+testToken)
	wantJSONError(t, rec, http.StatusRequestEntityTooLarge, "")
}

func TestBackupOverHTTP(t *testing.T) {
	s, _ := newTestServer(t)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/admin/backup", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("backup over HTTP: %d %v", resp.StatusCode, err)
	}
	checkBackup(t, b)
}

// TestWithoutAccessService: a server without package access (Options.Access
// nil) still serves the local CLI, and refuses account changes with a 503
// rather than failing.
func TestWithoutAccessService(t *testing.T) {
	_, st := newTestServer(t)
	s := New(Options{Store: st, AdminToken: testToken})
	cli := asCLI(s)
	if rec := get(t, cli, "/admin/users"); rec.Code != http.StatusOK {
		t.Errorf("the account list: %d", rec.Code)
	}
	for _, target := range []string{"/admin/users", "/admin/users/clerk/disable", "/admin/devices"} {
		if rec := do(t, cli, http.MethodPost, target, strings.NewReader("id=x&name=y&role=clerk"),
			"Content-Type: application/x-www-form-urlencoded"); rec.Code != http.StatusServiceUnavailable {
			t.Errorf("POST %s: %d", target, rec.Code)
		}
	}
	if rec := get(t, withSession(s.Handler(), session{cookie: "anything"}), "/api/v1/readers"); rec.Code != http.StatusUnauthorized {
		t.Errorf("a cookie without package access: %d", rec.Code)
	}
}
