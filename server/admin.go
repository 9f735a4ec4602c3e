package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"meter-sync/domain"
)

// authorizedAdmin reports whether the request carries the admin bearer
// token. Both sides are hashed first so that the comparison takes the same
// time whatever the length of the guess.
func (s *Server) authorizedAdmin(r *http.Request) bool {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return false
	}
	got := sha256.Sum256([]byte(h[len(prefix):]))
	want := sha256.Sum256([]byte(s.opt.AdminToken))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// adminBackup streams a consistent copy of the store, so that `meter-sync
// backup` works while the server holds the store's lock.
func (s *Server) adminBackup(c echo.Context) error {
	if s.opt.AdminToken == "" {
		return echo.ErrNotFound
	}
	if !s.authorizedAdmin(c.Request()) {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="meter-sync admin"`)
		return &clientError{code: http.StatusUnauthorized, en: "admin token required", zh: "需要管理令牌"}
	}
	name := "meter-sync-" + s.now().In(domain.Local).Format("20060102-150405") + ".db"
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMEOctetStream)
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	n, err := s.opt.Store.Backup(c.Response())
	if err == nil {
		s.log.Info("backup sent", "bytes", n)
		return nil
	}
	if !c.Response().Committed {
		h.Del(echo.HeaderContentDisposition)
		return err // a 500, as JSON
	}
	// Part of the copy is gone: cut the connection so that the client sees a
	// broken transfer, never a short file that looks whole.
	s.log.Error("backup failed after sending", "bytes", n, "err", err)
	panic(http.ErrAbortHandler)
}
