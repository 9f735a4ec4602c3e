package main

import (
	"errors"
	"io"

	"meter-sync/device"
	"meter-sync/device/serialport"
	"meter-sync/server"
)

// The server's docking page drives a device.Station through the server's
// own narrow Station interface: package server does not import package
// device (which brings the import path, DESIGN §3), so the two meet here.

// newStation makes the docking station of the server: ports opened in line
// mode, docked with host.
func newStation(host *device.Host, line serialport.Mode) *device.Station {
	return device.NewStation(host, func(path string) (io.ReadWriteCloser, error) {
		return serialport.Open(path, line)
	})
}

// dockStation is a device.Station as the server sees it.
type dockStation struct{ st *device.Station }

func (d dockStation) StartDock(r server.DockRequest) (string, error) {
	id, err := d.st.Start(device.StationRequest{Port: r.Port, Mode: r.Mode, Who: r.Who,
		Job: device.Job{Import: r.Import, Export: r.Export, Reader: r.Reader, Cycle: r.Cycle, Expect: r.Expect}})
	busy := errors.Is(err, device.ErrPortBusy)
	if busy || errors.Is(err, device.ErrInvalidRequest) {
		return "", &server.DockRefused{Busy: busy, Reason: err.Error(), ReasonZh: device.Describe(err)}
	}
	return id, err
}

func (d dockStation) DockJob(id string) (server.DockJob, bool) {
	j, ok := d.st.Job(id)
	return dockJob(&j), ok
}

func (d dockStation) DockJobs() []server.DockJob {
	jobs := d.st.Jobs()
	out := make([]server.DockJob, len(jobs))
	for i := range jobs {
		out[i] = dockJob(&jobs[i])
	}
	return out
}

func dockJob(j *device.JobState) server.DockJob {
	out := server.DockJob{ID: j.ID, Port: j.Port, Mode: j.Mode, StartedBy: j.Who, Import: j.Job.Import, Export: j.Job.Export,
		Reader: j.Job.Reader, Expect: j.Job.Expect, State: server.DockRunning, Started: j.Started,
		Step: j.Step, Done: j.Done, Total: j.Total, Error: j.Error}
	if j.Job.Cycle != 0 {
		out.Cycle = j.Job.Cycle.String()
	}
	if !j.Running() {
		finished := j.Finished
		out.Finished, out.State = &finished, server.DockDone
		if j.Error != "" {
			out.State = server.DockFailed
		}
	}
	if j.Report != nil && j.Report.DeviceID != "" {
		out.Report = dockReport(j.Report)
	}
	return out
}

func dockReport(r *device.Report) *server.DockReport {
	out := &server.DockReport{DeviceID: r.DeviceID, Mode: r.Mode, Firmware: r.Firmware, SkewMs: r.SkewMs,
		Corrected: r.Corrected, Rereads: r.Rereads, Cleared: r.Cleared}
	if x := r.Export; x != nil {
		out.Export = &server.DockExport{Reader: x.Reader, Cycle: x.Cycle.String(), System: x.System, Expected: x.Expected,
			Handheld: x.Handheld, Agrees: x.Agrees(), Explanation: x.Explain()}
	}
	if m := r.Import; m != nil {
		out.Import = &server.DockImport{Reader: m.Reader, Cycle: m.Cycle.String(), Rows: m.Rows, Created: m.Result.Created,
			Updated: m.Result.Updated, Unchanged: m.Result.Unchanged, Route: m.Route, Read: m.Read,
			NotInRoute: m.NotInRoute, Anomalies: m.Result.Anomalies, Explanation: m.Explain()}
	}
	return out
}

// serialPorts lists the machine's serial ports for the docking page.
func serialPorts() ([]server.PortInfo, error) {
	ports, err := serialport.List()
	out := make([]server.PortInfo, len(ports))
	for i, p := range ports {
		out[i] = server.PortInfo{Path: p.Path, USB: p.USB, VID: p.VID, PID: p.PID, SerialNumber: p.SerialNumber, Product: p.Product}
	}
	return out, err
}
