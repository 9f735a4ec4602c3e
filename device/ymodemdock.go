package device

import (
	"context"
	"errors"
	"fmt"
	"io"

	"meter-sync/device/link"
	"meter-sync/device/ymodem"
	"meter-sync/domain"
)

// Progress is how far a docking step has gone, for the docking screen and
// the command line's progress bar.
type Progress struct {
	Step  string `json:"step"` // e.g. "导出抄表路线", "导入抄表记录"
	Done  int64  `json:"done"`
	Total int64  `json:"total"` // -1 when unknown
}

// Job says what one dock does. Whatever it says, the clock is checked and
// corrected first (device protocol only), then readings come in, then the
// route and the re-reads go out: a handheld is never loaded over readings
// it has not yet handed back.
type Job struct {
	// Import takes the handheld's readings into the store.
	Import bool
	// Export loads Reader's route for Cycle (单月/双月 by the month).
	Export bool
	// Reader is whose route to load. With the device protocol it defaults
	// to the reader the handheld was paired for, else the one its loaded
	// route names; a generic (YMODEM) handheld must be told.
	Reader string
	// Cycle is the month the exported route is read in, and for a generic
	// (YMODEM) handheld the month of the readings it brings back. With the
	// device protocol, readings come in for the month the handheld's
	// loaded route names.
	Cycle domain.Month
	// Expect is the count the reader expects (下月需抄表的数量, [003:1205]);
	// -1 when not given.
	Expect int
	// Progress, when set, is called as transfers and imports advance.
	Progress func(Progress)
}

func (j *Job) progress(step string) func(done, total int64) {
	return func(done, total int64) {
		if j.Progress != nil {
			j.Progress(Progress{Step: step, Done: done, Total: total})
		}
	}
}

// Report says what a dock did.
type Report struct {
	DeviceID  string `json:"device_id"`
	Mode      string `json:"mode"` // "device" or "ymodem"
	Firmware  string `json:"firmware,omitempty"`
	SkewMs    int64  `json:"skew_ms"`   // handheld − server before correction
	Corrected bool   `json:"corrected"` // the clock was set
	// Import and Export are set when the job did them.
	Import  *ImportReport   `json:"import,omitempty"`
	Export  *Reconciliation `json:"export,omitempty"`
	Rereads []string        `json:"rereads,omitempty"` // households sent back for a re-read
	Cleared int             `json:"cleared"`           // readings the handheld deleted once stored
	// Link is what the device protocol's link did (frames sent and resent,
	// bytes); nil for a YMODEM dock.
	Link *link.Stats `json:"link,omitempty"`
}

// ErrNoReader is returned when a job must name a reader and does not.
var ErrNoReader = errors.New("device: no reader: name the reader (抄表员编号) whose route to load")

// DockYMODEM docks a generic handheld that speaks only YMODEM: its readings
// come as a readings file (the interchange CSV, GBK or UTF-8), its route
// goes as a route file, each by a YMODEM batch; readings go through the one
// import path. Such a handheld can neither prove who it is nor be told the
// time: the clerk who docks it names the reader, and the readings' times
// are checked against the server's clock at import.
func (h *Host) DockYMODEM(ctx context.Context, rw io.ReadWriter, label string, job Job) (Report, error) {
	rep := Report{DeviceID: label, Mode: "ymodem"}
	if job.Reader == "" || job.Cycle == 0 {
		return rep, ErrNoReader
	}
	if job.Import {
		r, err := h.receiveReadingsYMODEM(ctx, rw, label, job)
		rep.Import = r
		if err != nil {
			return rep, err
		}
	}
	if job.Export {
		rec, rereads, err := h.sendRouteYMODEM(ctx, rw, job)
		rep.Export, rep.Rereads = rec, rereads
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func (h *Host) receiveReadingsYMODEM(ctx context.Context, rw io.ReadWriter, label string, job Job) (*ImportReport, error) {
	step := job.progress("接收抄表记录")
	files, err := ymodem.Receive(ctx, rw, &ymodem.Options{Logger: h.opt.Logger,
		Progress: func(p ymodem.Progress) { step(p.Done, p.Total) }})
	if err != nil {
		return nil, fmt.Errorf("device: receiving readings by YMODEM: %w", err)
	}
	if len(files) == 0 {
		return nil, errors.New("device: the handheld sent no readings file")
	}
	var last *ImportReport
	for _, f := range files {
		r, err := h.importReadings(f.Data, Arrival{Source: domain.FromYMODEM, DeviceID: label, Reader: job.Reader, Cycle: job.Cycle})
		if err != nil {
			return &r, fmt.Errorf("device: readings file %q: %w", f.Name, err)
		}
		last = &r
	}
	return last, nil
}

// sendRouteYMODEM sends the route and, when there are any, the households
// of the cycle returned for a re-read, as two files of one batch. A generic
// handheld holds one cycle: the clerk docks it with the cycle's route again
// to hand it the re-reads.
func (h *Host) sendRouteYMODEM(ctx context.Context, rw io.ReadWriter, job Job) (*Reconciliation, []string, error) {
	data, rec, err := h.routeFile(job.Reader, job.Cycle, job.Expect, h.opt.RouteEncoding)
	if err != nil {
		return nil, nil, err
	}
	files := []ymodem.File{{Name: fmt.Sprintf("route-%s-%s.csv", job.Reader, job.Cycle), Data: data}}
	reread, ids, err := h.rereadFile(job.Reader, job.Cycle, h.opt.RouteEncoding)
	if err != nil {
		return &rec, nil, err
	}
	if len(ids) > 0 {
		files = append(files, ymodem.File{Name: fmt.Sprintf("reread-%s-%s.csv", job.Reader, job.Cycle), Data: reread})
	}
	step := job.progress("导出抄表路线")
	err = ymodem.Send(ctx, rw, files, &ymodem.Options{Logger: h.opt.Logger,
		Progress: func(p ymodem.Progress) { step(p.BatchDone, p.BatchTotal) }})
	if err != nil {
		return &rec, nil, fmt.Errorf("device: sending the route by YMODEM: %w", err)
	}
	return &rec, ids, nil
}
