package server

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/store"
	"meter-sync/vee"
)

type dockingData struct {
	layoutData
	Ports   []portRow
	Readers []option // for accounts that see every reader; else a free field
	Form    dockingForm
	Error   string
	Jobs    []dockJobView
}

type portRow struct{ Path, USB, Product, Serial string }

type dockingForm struct {
	Port, Mode, Reader, Cycle, Expect string
	Import, Export                    bool
}

// dockJobView is a job as the page renders it.
type dockJobView struct {
	DockJob
	ModeZh, StateZh, CycleZh, StartedZh, FinishedZh string
	SkewZh                                          string // the handheld's clock against the server's
	Percent                                         int    // -1 when the total is unknown
	Anomalies                                       []anomalyRow
}

type anomalyRow struct {
	Code, Name string
	Count      int
	Blocking   bool
}

var modeZh = map[string]string{"device": "设备协议", "ymodem": "YMODEM"}

var stateZh = map[string]string{DockRunning: "对接中", DockDone: "已完成", DockFailed: "失败"}

func (s *Server) dockingPage(c echo.Context) error {
	f := dockingForm{Mode: "device", Cycle: s.thisMonth().String(), Import: true, Export: true}
	return s.renderDocking(c, http.StatusOK, f, "")
}

func (s *Server) renderDocking(c echo.Context, code int, form dockingForm, msg string) error {
	st, err := s.station()
	if err != nil {
		return err
	}
	d := dockingData{layoutData: s.layout(c, "对接抄表机 · 抄表管理"), Form: form, Error: msg}
	if d.Ports, err = s.portRows(); err != nil {
		return err
	}
	if principal(c).Account.Can(account.PermViewRoutes) {
		err = s.opt.Store.View(func(tx store.ReadTx) error {
			rs, err := tx.Readers()
			d.Readers = readerOptions(rs, form.Reader)
			return err
		})
		if err != nil {
			return err
		}
	}
	for _, j := range st.DockJobs() {
		d.Jobs = append(d.Jobs, newDockJobView(j))
	}
	return s.render(c, code, "docking", d)
}

// portRows lists the machine's serial ports; a listing that fails is
// logged and shown as none: the path can still be typed.
func (s *Server) portRows() ([]portRow, error) {
	if s.opt.Ports == nil {
		return nil, nil
	}
	ports, err := s.opt.Ports()
	if err != nil {
		s.log.Warn("listing serial ports", "err", err)
		return nil, nil
	}
	rows := make([]portRow, len(ports))
	for i, p := range ports {
		rows[i] = portRow{Path: p.Path, Product: p.Product, Serial: p.SerialNumber}
		if p.USB {
			rows[i].USB = p.VID + ":" + p.PID
		}
	}
	return rows, nil
}

func newDockJobView(j DockJob) dockJobView {
	v := dockJobView{DockJob: j, ModeZh: modeZh[j.Mode], StateZh: stateZh[j.State], CycleZh: cycleZh(j.Cycle), StartedZh: timeZh(j.Started), Percent: -1}
	if j.Finished != nil {
		v.FinishedZh = timeZh(*j.Finished)
	}
	if j.Total > 0 {
		v.Percent = int(min(100, 100*j.Done/j.Total))
	}
	if j.Report != nil {
		v.SkewZh = skewZh(time.Duration(j.Report.SkewMs) * time.Millisecond)
	}
	if j.Report != nil && j.Report.Import != nil {
		v.Anomalies = anomalyRows(j.Report.Import.Anomalies)
	}
	return v
}

// skewZh says how far a handheld's clock was off: 快2小时0分3秒, 慢1.2秒.
func skewZh(d time.Duration) string {
	dir := "快"
	if d < 0 {
		dir, d = "慢", -d
	}
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("抄表机时钟%s%d小时%d分%d秒", dir, int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
	case d >= time.Minute:
		return fmt.Sprintf("抄表机时钟%s%d分%d秒", dir, int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("抄表机时钟%s%.1f秒", dir, d.Seconds())
}

// anomalyRows lists anomaly counts in the codes' order, with their names.
func anomalyRows(counts map[string]int) []anomalyRow {
	var rows []anomalyRow
	for _, c := range vee.Codes() {
		if n := counts[string(c)]; n > 0 {
			rows = append(rows, anomalyRow{Code: string(c), Name: c.Chinese(), Count: n, Blocking: c.Blocking()})
		}
	}
	return rows
}

func (s *Server) startDockForm(c echo.Context) error {
	f, err := postForm(c)
	if err != nil {
		return err
	}
	form := dockingForm{Port: f.Get("port"), Mode: f.Get("mode"), Reader: f.Get("reader"), Cycle: f.Get("cycle"),
		Expect: f.Get("expect"), Import: formCheckbox(f, "import"), Export: formCheckbox(f, "export")}
	in, err := dockInputFromForm(f)
	if err == nil {
		var req DockRequest
		if req, err = in.request(principal(c).Account.ID); err == nil {
			var j DockJob
			if j, err = s.startDock(req); err == nil {
				return c.Redirect(http.StatusSeeOther, "/docking#job-"+url.PathEscape(j.ID))
			}
		}
	}
	if ce, ok := err.(*clientError); ok {
		return s.renderDocking(c, ce.code, form, ce.zh)
	}
	return err
}

func (s *Server) apiDockJobs(c echo.Context) error {
	st, err := s.station()
	if err != nil {
		return err
	}
	jobs := st.DockJobs()
	if jobs == nil {
		jobs = []DockJob{}
	}
	return c.JSON(http.StatusOK, jobs)
}

func (s *Server) apiDockJob(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	st, err := s.station()
	if err != nil {
		return err
	}
	j, ok := st.DockJob(id)
	if !ok {
		return notFound("docking job", "对接任务", id)
	}
	return c.JSON(http.StatusOK, j)
}

func (s *Server) apiStartDock(c echo.Context) error {
	var in dockInput
	if err := readJSONBody(c, &in); err != nil {
		return err
	}
	req, err := in.request(principal(c).Account.ID)
	if err != nil {
		return err
	}
	j, err := s.startDock(req)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/docking/jobs/"+url.PathEscape(j.ID))
	return c.JSON(http.StatusAccepted, j)
}

// cycleZh writes a job's month for staff: 2026年3月(单月); "" when none.
func cycleZh(cycle string) string {
	m, err := domain.ParseMonth(cycle)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s(%s)", monthZh(m), m.Group())
}
