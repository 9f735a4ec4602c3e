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

	"meter-sync/store"
	"meter-sync/store/bolt"
)

func TestBackupNeedsToken(t *testing.T) {
	s, st := newTestServer(t)
	disabled := New(Options{Store: st})
	tests := []struct {
		name   string
		srv    *Server
		header []string
		status int
	}{
		{"admin disabled", disabled, []string{"Authorization: Bearer "}, http.StatusNotFound},
		{"admin disabled, any token", disabled, []string{"Authorization: Bearer " + testToken}, http.StatusNotFound},
		{"no Authorization", s, nil, http.StatusUnauthorized},
		{"wrong token", s, []string{"Authorization: Bearer wrong"}, http.StatusUnauthorized},
		{"token as a prefix", s, []string{"Authorization: Bearer " + testToken[:5]}, http.StatusUnauthorized},
		{"token with more", s, []string{"Authorization: Bearer " + testToken + "x"}, http.StatusUnauthorized},
		{"basic scheme", s, []string{"Authorization: Basic " + testToken}, http.StatusUnauthorized},
		{"empty bearer", s, []string{"Authorization: Bearer "}, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, tc.srv.Handler(), http.MethodPost, "/api/v1/admin/backup", nil, tc.header...)
			wantJSONError(t, rec, tc.status, "")
			if tc.status == http.StatusUnauthorized && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge: %v", rec.Header())
			}
			if rec.Header().Get("Content-Disposition") != "" {
				t.Errorf("refusal carries Content-Disposition")
			}
		})
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
