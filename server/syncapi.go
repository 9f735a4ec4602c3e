package server

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/labstack/echo/v4"

	"meter-sync/account"
	"meter-sync/protocol/syncwire"
	tabsync "meter-sync/sync"
)

// The tablets' delta sync (docs/SYNC.md): parse, authorise, call package
// sync, answer in JSON compressed as the client accepts.

// maxSyncBody bounds a push body once decompressed (100 receipts of at
// most 64 KiB each, with room for the envelope).
const maxSyncBody = 8 << 20

var errNoSync = &clientError{code: http.StatusServiceUnavailable, en: "tablet sync is not configured on this server",
	zh: "本服务未配置平板同步"}

func (s *Server) syncService() (*tabsync.Service, error) {
	if s.opt.Sync == nil {
		return nil, errNoSync
	}
	return s.opt.Sync, nil
}

// syncCaller is the request's technician and tablet.
func syncCaller(c echo.Context, needTime bool) (tabsync.Caller, error) {
	var caller tabsync.Caller
	p := principal(c)
	if p == nil {
		return caller, errors.New("server: sync route without a principal")
	}
	caller.Account = p.Account
	h := c.Request().Header
	var err error
	if caller.Device, err = syncwire.ParseDeviceID(h.Get(syncwire.HeaderDevice)); err != nil {
		return caller, err
	}
	if v := h.Get(syncwire.HeaderVersion); v != "" && v != strconv.Itoa(syncwire.Version) {
		return caller, &syncwire.FieldError{Path: syncwire.HeaderVersion, Rule: "version",
			Msg: "this server speaks version " + strconv.Itoa(syncwire.Version)}
	}
	if t := h.Get(syncwire.HeaderTime); t != "" || needTime {
		if caller.DeviceTime, err = syncwire.ParseDeviceTime(t); err != nil {
			return caller, err
		}
	}
	return caller, nil
}

// syncError answers err as the sync API does: the status, and a body that
// names the field at fault or the code a client acts on.
func (s *Server) syncError(c echo.Context, err error) error {
	var fe *syncwire.FieldError
	var oe *tabsync.OffsetError
	body := syncwire.ErrorBody{Error: err.Error()}
	status := 0
	switch {
	case errors.As(err, &fe):
		status, body.Error, body.Path = http.StatusBadRequest, fe.Msg, fe.Path
		if fe.Rule == "too_many" {
			status = http.StatusRequestEntityTooLarge
		}
	case errors.Is(err, tabsync.ErrResync):
		status, body.Code = http.StatusGone, "resync_required"
		body.Error = "the cursor is behind the change log's horizon or ahead of its head: pull from the empty cursor"
	case errors.Is(err, tabsync.ErrUnavailable):
		status, body.Error = http.StatusServiceUnavailable, "receipts or attachments are not available on this server"
	case errors.Is(err, tabsync.ErrNotReader):
		status, body.Error = http.StatusForbidden, "not a reader's account"
	case errors.Is(err, tabsync.ErrNotFound):
		status, body.Error = http.StatusNotFound, "not found"
	case errors.Is(err, tabsync.ErrTooLarge):
		status, body.Error = http.StatusRequestEntityTooLarge, "too large"
	case errors.As(err, &oe):
		status, body.Error, body.Path = http.StatusConflict, "the chunk does not start at the received length", syncwire.HeaderOffset
		c.Response().Header().Set(syncwire.HeaderOffset, strconv.FormatInt(oe.Offset, 10))
	case errors.Is(err, tabsync.ErrDigest):
		status, body.Code = http.StatusUnprocessableEntity, "digest_mismatch"
		body.Error = "the bytes do not have this SHA-256; they were dropped: upload again from offset 0"
	default:
		var ce *clientError
		if errors.As(err, &ce) {
			status, body.Error = ce.code, ce.en
		} else {
			return err // a 500, logged by handleError
		}
	}
	if status >= 400 && status < 500 {
		s.log.Warn("sync request refused", "route", s.routeLabel(c), "status", status, "path", body.Path)
	}
	return writeSyncJSON(c, status, body)
}

// readSyncBody reads a request body, decompressing it as its
// Content-Encoding says (zstd, gzip or none), up to maxSyncBody bytes.
func readSyncBody(r *http.Request) ([]byte, error) {
	var body io.Reader = r.Body
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "zstd":
		zr, err := zstd.NewReader(r.Body, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxSyncBody))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		body = zr
	case "gzip":
		gr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, &syncwire.FieldError{Path: "Content-Encoding", Rule: "format", Msg: "the body is not gzip"}
		}
		body = gr
	default:
		return nil, &clientError{code: http.StatusUnsupportedMediaType, en: "Content-Encoding must be zstd, gzip or identity",
			zh: "不支持的压缩方式"}
	}
	b, err := io.ReadAll(io.LimitReader(body, maxSyncBody+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || len(b) > maxSyncBody:
		return nil, tabsync.ErrTooLarge
	case err != nil && r.Header.Get("Content-Encoding") != "":
		return nil, &syncwire.FieldError{Path: "Content-Encoding", Rule: "format", Msg: "the body does not decompress: " + err.Error()}
	}
	return b, err
}

// zstdEncoder compresses every response; EncodeAll is safe for concurrent use.
var zstdEncoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))

// acceptEncoding picks zstd, else gzip, else none from an Accept-Encoding.
func acceptEncoding(h string) string {
	best := ""
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if q := strings.TrimSpace(params); strings.HasPrefix(q, "q=") {
			if v, err := strconv.ParseFloat(q[2:], 64); err != nil || v == 0 {
				continue
			}
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "zstd":
			return "zstd"
		case "gzip":
			best = "gzip"
		}
	}
	return best
}

// writeSyncJSON answers v as JSON, compressed with what the client accepts.
func writeSyncJSON(c echo.Context, status int, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Type", "application/json")
	h.Add("Vary", "Accept-Encoding")
	h.Set(syncwire.HeaderServer, time.Now().UTC().Format(time.RFC3339Nano))
	switch acceptEncoding(c.Request().Header.Get("Accept-Encoding")) {
	case "zstd":
		h.Set("Content-Encoding", "zstd")
		raw = zstdEncoder.EncodeAll(raw, nil)
	case "gzip":
		h.Set("Content-Encoding", "gzip")
		c.Response().WriteHeader(status)
		gw := gzip.NewWriter(c.Response())
		if _, err := gw.Write(raw); err != nil {
			return err
		}
		return gw.Close()
	}
	return c.Blob(status, "application/json", raw)
}

// apiSyncChanges is GET /api/v1/sync/changes: one page of the caller's
// changes: a technician's orders, or a reader's route for a cycle.
func (s *Server) apiSyncChanges(c echo.Context) error {
	svc, err := s.syncService()
	if err != nil {
		return err
	}
	caller, err := syncCaller(c, true)
	if err != nil {
		return s.syncError(c, err)
	}
	limit, err := syncwire.ParseLimit(c.QueryParam("limit"))
	if err != nil {
		return s.syncError(c, err)
	}
	var page syncwire.ChangesPage
	if caller.Account.Role == account.RoleReader {
		page, err = svc.PullRoute(caller, c.QueryParam("cursor"), c.QueryParam("cycle"))
	} else {
		page, err = svc.Pull(caller, c.QueryParam("cursor"), limit)
	}
	if err != nil {
		return s.syncError(c, err)
	}
	c.Response().Header().Set(syncwire.HeaderSkew, strconv.FormatInt(page.SkewMs, 10))
	return writeSyncJSON(c, http.StatusOK, page)
}

// apiSyncPush is POST /api/v1/sync/push: a result per mutation.
func (s *Server) apiSyncPush(c echo.Context) error {
	svc, err := s.syncService()
	if err != nil {
		return err
	}
	caller, err := syncCaller(c, true)
	if err != nil {
		return s.syncError(c, err)
	}
	body, err := readSyncBody(c.Request())
	if err != nil {
		return s.syncError(c, err)
	}
	resp, err := svc.Push(caller, body)
	if err != nil {
		return s.syncError(c, err)
	}
	c.Response().Header().Set(syncwire.HeaderSkew, strconv.FormatInt(resp.SkewMs, 10))
	return writeSyncJSON(c, http.StatusOK, resp)
}

func blobHeaders(c echo.Context, st tabsync.BlobState) {
	h := c.Response().Header()
	h.Set(syncwire.HeaderOffset, strconv.FormatInt(st.Offset, 10))
	if st.Length > 0 {
		h.Set(syncwire.HeaderLength, strconv.FormatInt(st.Length, 10))
	}
	h.Set(syncwire.HeaderDone, strconv.FormatBool(st.Complete))
}

// blobStateJSON is how much of an attachment has arrived.
type blobStateJSON struct {
	Offset   int64 `json:"offset"`
	Length   int64 `json:"length"`
	Complete bool  `json:"complete"`
}

// apiSyncBlobState is GET /api/v1/sync/blobs/:sha/state: how much has
// arrived, in the body and in the Upload-* headers.
func (s *Server) apiSyncBlobState(c echo.Context) error {
	svc, err := s.syncService()
	if err != nil {
		return err
	}
	if _, err := syncCaller(c, false); err != nil {
		return s.syncError(c, err)
	}
	st, err := svc.Blob(c.Param("sha"))
	if err != nil {
		return s.syncError(c, err)
	}
	blobHeaders(c, st)
	return writeSyncJSON(c, http.StatusOK, blobStateJSON{Offset: st.Offset, Length: st.Length, Complete: st.Complete})
}

// apiSyncBlobPatch is PATCH /api/v1/sync/blobs/:sha: one chunk at Upload-Offset.
func (s *Server) apiSyncBlobPatch(c echo.Context) error {
	svc, err := s.syncService()
	if err != nil {
		return err
	}
	caller, err := syncCaller(c, false)
	if err != nil {
		return s.syncError(c, err)
	}
	h := c.Request().Header
	if ct := h.Get("Content-Type"); ct != syncwire.ContentChunk {
		return s.syncError(c, &syncwire.FieldError{Path: "Content-Type", Rule: "format", Msg: "must be " + syncwire.ContentChunk})
	}
	offset, err := syncwire.ParseOffset(syncwire.HeaderOffset, h.Get(syncwire.HeaderOffset))
	if err != nil {
		return s.syncError(c, err)
	}
	length, err := syncwire.ParseOffset(syncwire.HeaderLength, h.Get(syncwire.HeaderLength))
	if err != nil {
		return s.syncError(c, err)
	}
	st, err := svc.WriteBlob(caller, c.Param("sha"), offset, length, c.Request().Body)
	if err != nil {
		blobHeaders(c, st)
		return s.syncError(c, err)
	}
	blobHeaders(c, st)
	return c.NoContent(http.StatusNoContent)
}

// apiSyncBlobGet is GET /api/v1/sync/blobs/:sha: a whole attachment, for the
// back office.
func (s *Server) apiSyncBlobGet(c echo.Context) error {
	svc, err := s.syncService()
	if err != nil {
		return err
	}
	f, _, err := svc.OpenBlob(c.Param("sha"))
	if err != nil {
		return s.syncError(c, err)
	}
	defer f.Close()
	return c.Stream(http.StatusOK, "application/octet-stream", f)
}

// apiSyncMutations is GET /api/v1/sync/mutations: the mutations the server
// refused (status=rejected, the default) or kept as conflicts, newest
// first, for the back office.
func (s *Server) apiSyncMutations(c echo.Context) error {
	svc, err := s.syncService()
	if err != nil {
		return err
	}
	status := c.QueryParam("status")
	switch status {
	case "":
		status = syncwire.StatusRejected
	case syncwire.StatusRejected, syncwire.StatusConflict, syncwire.StatusApplied:
	default:
		return s.syncError(c, &syncwire.FieldError{Path: "status", Rule: "enum", Msg: "must be rejected, conflict or applied"})
	}
	var before time.Time
	if cur := c.QueryParam("cursor"); cur != "" {
		n, err := strconv.ParseInt(cur, 10, 64)
		if err != nil {
			return s.syncError(c, &syncwire.FieldError{Path: "cursor", Rule: "format", Msg: "not a cursor this server gave"})
		}
		before = time.Unix(0, n)
	}
	const pageSize = 100
	list, err := svc.Rejected(status, before, pageSize)
	if err != nil {
		return err
	}
	page := syncwire.RejectedPage{Mutations: list}
	if page.Mutations == nil {
		page.Mutations = []syncwire.Rejected{}
	}
	if len(list) == pageSize {
		page.NextCursor = strconv.FormatInt(list[len(list)-1].At.UnixNano(), 10)
	}
	return writeSyncJSON(c, http.StatusOK, page)
}
