package device

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"meter-sync/device/link"
)

// KeepFinished is how many finished jobs a Station remembers, newest kept.
const KeepFinished = 50

// ErrPortBusy is returned by Station.Start when a dock is already running
// on the port asked for.
var ErrPortBusy = errors.New("device: a dock is already running on this port")

// ErrInvalidRequest is returned (wrapped, with the reason) by Station.Start
// for a request that cannot be docked as it stands.
var ErrInvalidRequest = errors.New("device: invalid docking request")

// ErrStationClosed is returned by Station.Start once the Station is closed.
var ErrStationClosed = errors.New("device: the docking station is closed")

// Station runs docks in the background for the server: one job per port at
// a time, several ports at once. A job's progress can be read while it
// runs; its report is kept after it ends, for the last KeepFinished jobs.
// It is safe for concurrent use.
type Station struct {
	host *Host
	open func(path string) (io.ReadWriteCloser, error)
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu     sync.Mutex
	jobs   map[string]*JobState
	order  []string                 // job ids, oldest first
	busy   map[string]string        // port path → id of the job running there
	done   map[string]chan struct{} // closed when the job ends
	closed bool
}

// StationRequest asks a Station for one dock.
type StationRequest struct {
	Port string // the serial port's path, e.g. /dev/ttyUSB0
	Mode string // "device" (meter-sync handhelds) or "ymodem" (generic handhelds)
	Job  Job    // what the dock does; its Progress is replaced by the Station's
	Who  string // the account that started it
}

// JobState is a docking job as a Station knows it at one moment.
type JobState struct {
	ID       string
	Port     string
	Mode     string
	Who      string
	Job      Job // as asked, without Progress
	Started  time.Time
	Finished time.Time // zero while the job runs
	Step     string    // the step under way or last reported, e.g. "导出抄表路线"
	Done     int64     // of the step
	Total    int64     // of the step; -1 when unknown
	Report   *Report   // what the dock did, once it ended (also when it failed)
	Error    string    // why it failed, for staff in Chinese; "" when it did not
	Detail   string    // the error as the code said it, for logs and support
}

// Running reports whether the job has not ended yet.
func (j *JobState) Running() bool { return j.Finished.IsZero() }

// NewStation makes a Station that docks with host on the ports open opens.
// Close it to stop its jobs.
func NewStation(host *Host, open func(path string) (io.ReadWriteCloser, error)) *Station {
	ctx, stop := context.WithCancel(context.Background())
	return &Station{host: host, open: open, ctx: ctx, stop: stop,
		jobs: map[string]*JobState{}, busy: map[string]string{}, done: map[string]chan struct{}{}}
}

// Start starts a dock on req.Port and returns its job id at once. It
// refuses with ErrPortBusy while another job runs on the port, and with
// ErrInvalidRequest (wrapped, saying why) a request that cannot be docked.
func (s *Station) Start(req StationRequest) (string, error) {
	req.Port = filepath.Clean(req.Port)
	if err := req.check(); err != nil {
		return "", err
	}
	if req.Mode == "device" && !req.Job.Export {
		req.Job.Cycle = 0 // the readings' month is the one of the route the handheld holds
	}
	id, err := newJobID()
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", ErrStationClosed
	}
	if other, ok := s.busy[req.Port]; ok {
		return "", fmt.Errorf("%w: %s (job %s)", ErrPortBusy, req.Port, other)
	}
	req.Job.Progress = nil
	s.jobs[id] = &JobState{ID: id, Port: req.Port, Mode: req.Mode, Who: req.Who, Job: req.Job,
		Started: s.host.opt.Now(), Step: "连接抄表机", Total: -1}
	s.order = append(s.order, id)
	s.busy[req.Port] = id
	s.done[id] = make(chan struct{})
	s.wg.Add(1)
	go s.run(id, req)
	return id, nil
}

// Job returns the job id, if the Station still remembers it.
func (s *Station) Job(id string) (JobState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return JobState{}, false
	}
	return *j, true
}

// Jobs returns the running and remembered jobs, newest first.
func (s *Station) Jobs() []JobState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]JobState, 0, len(s.order))
	for i := len(s.order) - 1; i >= 0; i-- {
		out = append(out, *s.jobs[s.order[i]])
	}
	return out
}

// Close cancels the running jobs, waits for them to end and refuses new
// ones.
func (s *Station) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.stop()
	s.wg.Wait()
}

func (s *Station) run(id string, req StationRequest) {
	defer s.wg.Done()
	job := req.Job
	job.Progress = func(p Progress) { s.progress(id, p) }
	rep, err := s.dock(req, job)
	s.finish(id, req.Port, rep, err)
}

// dock opens the port and docks the handheld on it by req.Mode.
func (s *Station) dock(req StationRequest, job Job) (Report, error) {
	port, err := s.open(req.Port)
	if err != nil {
		return Report{Mode: req.Mode}, &openError{path: req.Port, err: err}
	}
	defer port.Close()
	if req.Mode == "ymodem" {
		return s.host.DockYMODEM(s.ctx, port, req.Port, job)
	}
	return s.host.Dock(s.ctx, port, job)
}

func (s *Station) progress(id string, p Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[id]
	j.Step, j.Done, j.Total = p.Step, p.Done, p.Total
}

func (s *Station) finish(id, port string, rep Report, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[id]
	j.Finished, j.Report = s.host.opt.Now(), &rep
	if err != nil {
		j.Error, j.Detail = Describe(err), err.Error()
		s.host.opt.Logger.Warn("dock failed", "job", id, "port", port, "device", rep.DeviceID, "err", err)
	} else {
		s.host.opt.Logger.Info("dock done", "job", id, "port", port, "device", rep.DeviceID)
	}
	delete(s.busy, port)
	close(s.done[id])
	delete(s.done, id)
	s.forget()
}

// forget drops the oldest finished jobs beyond KeepFinished.
func (s *Station) forget() {
	finished := 0
	for _, id := range s.order {
		if !s.jobs[id].Running() {
			finished++
		}
	}
	kept := s.order[:0]
	for _, id := range s.order {
		if finished > KeepFinished && !s.jobs[id].Running() {
			delete(s.jobs, id)
			finished--
			continue
		}
		kept = append(kept, id)
	}
	s.order = kept
}

func newJobID() (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// check refuses what no dock could do: the rules of Job and DockYMODEM,
// said before a port is opened.
func (r *StationRequest) check() error {
	bad := func(en, zh string) error { return &requestError{en: en, zh: zh} }
	switch {
	case r.Port == "" || r.Port == ".":
		return bad("no port", "请填写串口")
	case r.Mode != "device" && r.Mode != "ymodem":
		return bad(fmt.Sprintf("mode %q: want device or ymodem", r.Mode), "对接方式应为设备协议或YMODEM")
	case !r.Job.Import && !r.Job.Export:
		return bad("nothing to do: import, export or both", "请至少选择一项操作:导入抄表记录或导出抄表路线")
	case r.Job.Export && r.Job.Cycle == 0:
		return bad("loading a route needs its month", "导出抄表路线需要抄表月份")
	case r.Mode == "ymodem" && (r.Job.Reader == "" || r.Job.Cycle == 0):
		return bad("a generic (YMODEM) handheld needs the reader and the month: it cannot say whose it is",
			"通用抄表机(YMODEM)无法识别抄表员:请填写抄表员编号和抄表月份")
	}
	return nil
}

// requestError is a request a Station will not start, with why in English
// and in Chinese.
type requestError struct{ en, zh string }

func (e *requestError) Error() string        { return ErrInvalidRequest.Error() + ": " + e.en }
func (e *requestError) Is(target error) bool { return target == ErrInvalidRequest }

// openError is a port that would not open.
type openError struct {
	path string
	err  error
}

func (e *openError) Error() string { return fmt.Sprintf("device: opening %s: %v", e.path, e.err) }
func (e *openError) Unwrap() error { return e.err }

// Describe says, in Chinese for the docking screen, why a dock or a
// Station's request failed; "" for nil.
func Describe(err error) string {
	var re *requestError
	var oe *openError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &re):
		return re.zh
	case errors.As(err, &oe):
		return fmt.Sprintf("无法打开串口 %s: %v", oe.path, oe.err)
	case errors.Is(err, ErrPortBusy):
		return "该串口正在对接,请等当前对接结束后再试"
	case errors.Is(err, ErrStationClosed), errors.Is(err, context.Canceled):
		return "服务器正在停止,对接已取消"
	case errors.Is(err, ErrUnpaired):
		return "抄表机未配对或密钥错误,未向其发送任何数据"
	case errors.Is(err, ErrReadingsPending):
		return "抄表机中还有未导入的抄表记录:请先导入抄表记录,再导出抄表路线"
	case errors.Is(err, ErrNoReader):
		return "未指定抄表员:请填写要导出路线的抄表员编号"
	case errors.Is(err, link.ErrPeerGone):
		return "与抄表机的连接中断(线缆松动或抄表机无响应),请检查连接后重新对接"
	}
	return "对接失败: " + err.Error()
}
