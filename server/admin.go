package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"meter-sync/domain"
)

// adminBackup streams a consistent copy of the store, so that `meter-sync
// backup` works while the server holds the store's lock. guard lets in an
// administrator's session or token (PermBackup) and the local AdminToken.
func (s *Server) adminBackup(c echo.Context) error {
	name := "meter-sync-" + s.now().In(domain.Local).Format("20060102-150405") + ".db"
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMEOctetStream)
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	n, err := s.opt.Store.Backup(c.Response())
	if err == nil {
		s.log.Info("backup sent", "bytes", n, "account", principal(c).Account.ID)
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
