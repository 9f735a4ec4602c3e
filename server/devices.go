package server

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/store"
)

// Handhelds (抄表机) are paired from the UI (PermPairDevice): pairing gives
// a key, shown once, that the reader's clerk enters in the handheld; the
// list shows who paired what and never a key; revoking stops a handheld at
// its next dock.

type devicesData struct {
	layoutData
	Devices []deviceRow
	Readers []option
	Form    deviceForm
	Error   string
}

type deviceRow struct {
	ID, Name, Reader, Paired, PairedBy, State, Revoke string
	Active                                            bool
}

type deviceForm struct{ ID, Name, Reader string }

func (s *Server) devicesPage(c echo.Context) error {
	return s.renderDevices(c, http.StatusOK, deviceForm{}, "")
}

func (s *Server) renderDevices(c echo.Context, code int, form deviceForm, msg string) error {
	d := devicesData{layoutData: s.layout(c, "抄表机配对 · 抄表管理"), Form: form, Error: msg}
	err := s.opt.Store.View(func(tx store.ReadTx) error {
		ds, err := tx.Devices()
		if err != nil {
			return err
		}
		rs, err := tx.Readers()
		d.Readers = readerOptions(rs, form.Reader)
		for _, dv := range ds {
			d.Devices = append(d.Devices, newDeviceRow(&dv, rs))
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.render(c, code, "devices", d)
}

func readerOptions(rs []domain.Reader, selected string) []option {
	out := []option{{Value: "", Text: "不指定", Selected: selected == ""}}
	for _, r := range rs {
		out = append(out, option{Value: r.ID, Text: r.ID + " " + r.Name, Selected: r.ID == selected})
	}
	return out
}

func newDeviceRow(d *account.Device, rs []domain.Reader) deviceRow {
	r := deviceRow{ID: d.ID, Name: d.Name, Reader: d.ReaderID, Paired: timeZh(d.PairedAt), PairedBy: d.PairedBy,
		State: "使用中", Active: d.Active(), Revoke: "/admin/devices/" + url.PathEscape(d.ID) + "/revoke"}
	for _, rd := range rs {
		if rd.ID == d.ReaderID {
			r.Reader += " " + rd.Name
		}
	}
	if !r.Active {
		r.State = "已停用(" + timeZh(d.RevokedAt) + ")"
	}
	return r
}

func (s *Server) pairDevice(c echo.Context) error {
	f, err := postForm(c)
	if err != nil {
		return err
	}
	var n deviceForm
	if n.ID, err = formField(f, "id", "抄表机编号", 32, true); err != nil {
		return err
	}
	if n.Name, err = formField(f, "name", "名称", 64, false); err != nil {
		return err
	}
	if n.Reader, err = formField(f, "reader_id", "抄表员", maxIDLen, false); err != nil {
		return err
	}
	acc, err := s.accessService()
	if err != nil {
		return err
	}
	d, err := acc.PairDevice(principal(c).Actor(), n.ID, n.Name, n.Reader)
	if errors.Is(err, access.ErrRejected) {
		return s.renderDevices(c, http.StatusBadRequest, n, err.Error())
	}
	if err != nil {
		return err
	}
	return s.renderOnce(c, onceData{Heading: "抄表机已配对", Lead: "抄表机 " + d.ID + " 的配对密钥(十六进制,64位):",
		Secret: groupHex(d.KeyText()),
		Note:   "请在抄表机的“配对”菜单中输入这串密钥(空格只为方便核对,可不输入)。再次配对同一台抄表机会生成新密钥,旧密钥随即失效。",
		Back:   "/admin/devices", BackText: "抄表机配对"})
}

// groupHex writes a key in groups of four, to be read out and typed.
func groupHex(h string) string {
	var b strings.Builder
	for i := 0; i < len(h); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h[i:min(i+4, len(h))])
	}
	return b.String()
}

func (s *Server) revokeDevice(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	acc, err := s.accessService()
	if err != nil {
		return err
	}
	err = acc.RevokeDevice(principal(c).Actor(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("handheld", "抄表机", id)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/devices")
}
