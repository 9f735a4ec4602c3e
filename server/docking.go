package server

import (
	"errors"
	"net/http"
	"time"

	"meter-sync/domain"
)

// Docking (对接抄表机) from the back office: the page and the API start a
// dock on a serial port of the server's machine and watch it. The docking
// itself is the Station's (package device, adapted by the command); the
// server parses, authorises (account.PermDock), starts and shows.

// Station runs docking jobs in the background, one per port at a time.
type Station interface {
	// StartDock starts a job and returns its id at once. A job it will not
	// start is a *DockRefused.
	StartDock(DockRequest) (string, error)
	// DockJob returns a running or remembered job.
	DockJob(id string) (DockJob, bool)
	// DockJobs returns the running and remembered jobs, newest first.
	DockJobs() []DockJob
}

// DockRefused is the error StartDock returns for a job it will not start.
type DockRefused struct {
	Busy     bool   // a job already runs on the port (409); else the request is at fault (400)
	Reason   string // why, in English, for the API
	ReasonZh string // why, in Chinese, for staff
}

func (e *DockRefused) Error() string { return e.Reason }

// DockRequest asks for one dock.
type DockRequest struct {
	Port   string       // the serial port's path
	Mode   string       // "device" (meter-sync handhelds) or "ymodem" (generic handhelds)
	Reader string       // 抄表员编号; "" lets a device-protocol handheld say whose it is
	Cycle  domain.Month // 抄表月份; 0 when not given
	Expect int          // the reader's count (核对数量); -1 when not given
	Import bool         // 导入抄表记录
	Export bool         // 导出抄表路线
	Who    string       // the account that starts it
}

// Dock job states.
const (
	DockRunning = "running"
	DockDone    = "done"
	DockFailed  = "failed"
)

// DockJob is a docking job as the page and the API show it.
type DockJob struct {
	ID        string      `json:"id"`
	Port      string      `json:"port"`
	Mode      string      `json:"mode"`
	StartedBy string      `json:"started_by"`
	Import    bool        `json:"import"`
	Export    bool        `json:"export"`
	Reader    string      `json:"reader"`
	Cycle     string      `json:"cycle"`  // YYYY-MM, "" when not given
	Expect    int         `json:"expect"` // -1 when not given
	State     string      `json:"state"`  // DockRunning, DockDone or DockFailed
	Started   time.Time   `json:"started"`
	Finished  *time.Time  `json:"finished,omitempty"`
	Step      string      `json:"step"`  // the step under way or last reported
	Done      int64       `json:"done"`  // of the step
	Total     int64       `json:"total"` // of the step; -1 when unknown
	Error     string      `json:"error,omitempty"`
	Report    *DockReport `json:"report,omitempty"` // once the job ended
}

// DockReport is what a dock did.
type DockReport struct {
	DeviceID  string      `json:"device_id"`
	Mode      string      `json:"mode"` // "device" or "ymodem": only the device protocol checks the clock
	Firmware  string      `json:"firmware,omitempty"`
	SkewMs    int64       `json:"skew_ms"`   // handheld − server before correction
	Corrected bool        `json:"corrected"` // the handheld's clock was set
	Import    *DockImport `json:"import,omitempty"`
	Export    *DockExport `json:"export,omitempty"`
	Rereads   []string    `json:"rereads,omitempty"` // households sent back for a re-read
	Cleared   int         `json:"cleared"`           // readings the handheld deleted once stored
}

// DockExport is a route export's three counts, reconciled.
type DockExport struct {
	Reader      string `json:"reader"`
	Cycle       string `json:"cycle"`
	System      int    `json:"system"`   // households in the route
	Expected    int    `json:"expected"` // the reader's count; -1 when not given
	Handheld    int    `json:"handheld"` // the handheld's 抄表统计; -1 when unknown
	Agrees      bool   `json:"agrees"`
	Explanation string `json:"explanation"` // in Chinese
}

// DockImport is what a readings import found.
type DockImport struct {
	Reader      string         `json:"reader"`
	Cycle       string         `json:"cycle"`
	Rows        int            `json:"rows"`
	Created     int            `json:"created"`
	Updated     int            `json:"updated"`
	Unchanged   int            `json:"unchanged"`
	Route       int            `json:"route"` // households in the route
	Read        int            `json:"read"`  // households of the route with a reading
	NotInRoute  []string       `json:"not_in_route,omitempty"`
	Anomalies   map[string]int `json:"anomalies,omitempty"` // the cycle's anomalies by code
	Explanation string         `json:"explanation"`
}

// PortInfo is a serial port of the server's machine.
type PortInfo struct {
	Path         string
	USB          bool
	VID, PID     string // 4 lowercase hex digits
	SerialNumber string
	Product      string
}

var errNoStation = &clientError{code: http.StatusServiceUnavailable,
	en: "docking is not configured on this server", zh: "本服务未配置抄表机对接"}

// station is the docking station, or a 503 when the server has none.
func (s *Server) station() (Station, error) {
	if s.opt.Station == nil {
		return nil, errNoStation
	}
	return s.opt.Station, nil
}

// startDock starts req, turning a refusal into the client error it is.
func (s *Server) startDock(req DockRequest) (DockJob, error) {
	st, err := s.station()
	if err != nil {
		return DockJob{}, err
	}
	id, err := st.StartDock(req)
	var refused *DockRefused
	if errors.As(err, &refused) {
		code := http.StatusBadRequest
		if refused.Busy {
			code = http.StatusConflict
		}
		return DockJob{}, &clientError{code: code, en: refused.Reason, zh: refused.ReasonZh}
	}
	if err != nil {
		return DockJob{}, err
	}
	j, ok := st.DockJob(id)
	if !ok {
		return DockJob{}, errors.New("server: a docking job started and is gone")
	}
	return j, nil
}
