package device

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/masterdata"
	"meter-sync/store"
	"meter-sync/vee"
)

// Arrival says how a readings file came from a handheld.
type Arrival struct {
	Source    domain.Source // FromHandheld, FromYMODEM or FromNetwork
	DeviceID  string
	Reader    string
	Cycle     domain.Month
	ClockSkew time.Duration // handheld − server, measured at this dock before correction
	Actor     string        // for the audit trail; default the device id
}

// ImportReport says what a readings import from a handheld did: the count
// read against the route ([003:1219] 核对抄表户数), and the households read
// that are not in the reader's route, which are reported, never dropped.
type ImportReport struct {
	File       string            `json:"file"` // the spooled copy, as it came
	Digest     string            `json:"digest"`
	Reader     string            `json:"reader"`
	Cycle      domain.Month      `json:"cycle"`
	Rows       int               `json:"rows"`  // readings in the file
	Route      int               `json:"route"` // households in the route
	Read       int               `json:"read"`  // households of the route with a reading now
	NotInRoute []string          `json:"not_in_route,omitempty"`
	Result     masterdata.Result `json:"result"`
}

// Explain says, in Chinese, what the import found, for the docking screen.
func (r *ImportReport) Explain() string {
	s := fmt.Sprintf("抄表员%s %s: 导入%d条抄表记录(新增%d, 更新%d, 已有%d); 应抄%d户, 已抄%d户",
		r.Reader, r.Cycle, r.Rows, r.Result.Created, r.Result.Updated, r.Result.Unchanged, r.Route, r.Read)
	if len(r.NotInRoute) > 0 {
		s += fmt.Sprintf("; 不在抄表路线中的用户%d户: %v", len(r.NotInRoute), r.NotInRoute)
	}
	return s
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// importReadings spools a readings file as it came, then imports it by the
// one readings path (masterdata, validated with vee) in one transaction. It
// returns only once the readings are durably stored, or with nothing
// stored: only then may the handheld delete them (DESIGN §5.9).
func (h *Host) importReadings(data []byte, a Arrival) (ImportReport, error) {
	rep := ImportReport{Reader: a.Reader, Cycle: a.Cycle}
	var err error
	if rep.File, rep.Digest, err = spool(h.opt.SpoolDir, data, a); err != nil {
		return rep, err
	}
	res, err := masterdata.Import(h.st, importOptions(rep.File, a, h.opt.Now, h.opt.Logger, h.opt.Validation))
	rep.Result, rep.Rows = res, res.Rows
	if err != nil {
		return rep, err
	}
	return rep, h.countRead(&rep)
}

// spool writes a readings file as it came into dir, named by device,
// reader, cycle and digest, durably: every readings path keeps what
// arrived before importing it.
func spool(dir string, data []byte, a Arrival) (path, digest string, err error) {
	sum := sha256.Sum256(data)
	digest = hex.EncodeToString(sum[:])
	name := fmt.Sprintf("readings-%s-%s-%s-%s.csv", unsafeName.ReplaceAllString(a.DeviceID, "_"),
		unsafeName.ReplaceAllString(a.Reader, "_"), a.Cycle, digest[:16])
	path = filepath.Join(dir, name)
	return path, digest, writeDurably(path, data)
}

// importOptions is the readings import of a spooled file that arrived as a
// says, validated with p (nil: masterdata's defaults) as of now: whatever
// clock p holds, the import's is the one readings are checked against.
func importOptions(path string, a Arrival, now func() time.Time, log *slog.Logger, p *vee.Params) masterdata.Options {
	if p != nil {
		q := *p
		q.Now = time.Time{} // masterdata sets it to now
		p = &q
	}
	return masterdata.Options{Kind: interchange.Readings, Path: path, Reader: a.Reader, Cycle: a.Cycle,
		Actor: cmp.Or(a.Actor, a.DeviceID), Now: now, Logger: log, Validation: p,
		Source: a.Source, DeviceID: a.DeviceID, ClockSkew: a.ClockSkew}
}

// countRead fills the route count, the households read and those read but
// not in the route (UNKNOWN anomalies name them).
func (h *Host) countRead(rep *ImportReport) error {
	return h.st.View(func(tx store.ReadTx) error {
		route, err := tx.Route(rep.Reader, rep.Cycle)
		if err != nil {
			return err
		}
		vs, err := tx.ReadingsOf(rep.Cycle, rep.Reader)
		if err != nil {
			return err
		}
		inRoute := idsOf(route)
		read := map[string]bool{}
		for i := range vs {
			id := vs[i].CustomerID
			if read[id] {
				continue
			}
			read[id] = true
			if inRoute[id] {
				rep.Read++
			}
		}
		rep.Route = len(route)
		as, err := tx.Anomalies(rep.Cycle, rep.Reader)
		for i := range as {
			if as[i].Code == string(vee.CodeUnknown) {
				rep.NotInRoute = append(rep.NotInRoute, as[i].CustomerID)
			}
		}
		return err
	})
}

// writeDurably writes a file and syncs it and its directory, so that what
// the server acknowledges survives a crash.
func writeDurably(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("device: spooling %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
