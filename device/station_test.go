package device

import (
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"meter-sync/access"
	"meter-sync/device/serialport"
	"meter-sync/domain"
	"meter-sync/store/bolt"
	"meter-sync/tools/linesim"
)

// waitJob waits for a Station's job to end and returns its final state.
func waitJob(t *testing.T, s *Station, id string) JobState {
	t.Helper()
	s.mu.Lock()
	done, running := s.done[id]
	s.mu.Unlock()
	if running {
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			t.Fatalf("job %s did not end", id)
		}
	}
	j, ok := s.Job(id)
	if !ok || j.Running() {
		t.Fatalf("job %s: %+v, %v; want it finished", id, j, ok)
	}
	return j
}

// openSerial opens ports as the server does.
func openSerial(path string) (io.ReadWriteCloser, error) {
	return serialport.Open(path, serialport.DefaultMode())
}

// TestStationDocksTheEmulator runs DOMAIN §2 through a Station, with the
// emulator as a real process on a simulated cable: R001's route is loaded,
// the progress of the transfer is kept, the report reconciles the counts;
// then a handheld with the wrong key fails in words staff understand.
func TestStationDocksTheEmulator(t *testing.T) {
	c := newCity(t)
	s := NewStation(c.host, openSerial)
	defer s.Close()
	route := c.route(t, testReader, c.city.Cycle)

	em := newEmulator(t, c, "HH-0101", testReader, false)
	l := newLine(t, linesim.Options{})
	p := em.dock(l.B())
	id, err := s.Start(StationRequest{Port: l.A(), Mode: "device", Who: "clerk1",
		Job: Job{Export: true, Cycle: c.city.Cycle, Expect: len(route)}})
	if err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, s, id)
	<-p.Exited()
	if j.Error != "" {
		t.Fatalf("dock failed: %s (%s)\n%s", j.Error, j.Detail, tail(p.Stderr.String(), 2000))
	}
	x := j.Report.Export
	if x == nil || x.System != len(route) || x.Handheld != len(route) || !x.Agrees() {
		t.Errorf("reconciliation %+v, want %d households on both sides", x, len(route))
	}
	if j.Who != "clerk1" || j.Port != l.A() || j.Job.Cycle != c.city.Cycle || j.Finished.Before(j.Started) {
		t.Errorf("job state %+v", j)
	}
	if j.Step != "导出抄表路线" || j.Total <= 0 || j.Done != j.Total {
		t.Errorf("last progress: %s %d/%d, want the route's transfer complete", j.Step, j.Done, j.Total)
	}

	bad := newEmulator(t, c, "HH-0102", testReader, true)
	l2 := newLine(t, linesim.Options{})
	p2 := bad.dock(l2.B())
	id, err = s.Start(StationRequest{Port: l2.A(), Mode: "device", Job: Job{Import: true, Expect: -1}})
	if err != nil {
		t.Fatal(err)
	}
	j = waitJob(t, s, id)
	<-p2.Exited()
	if !strings.Contains(j.Error, "未配对") || !strings.Contains(j.Detail, "not paired") {
		t.Errorf("a wrong key says %q (%s)", j.Error, j.Detail)
	}
	if jobs := s.Jobs(); len(jobs) != 2 || jobs[0].ID != id {
		t.Errorf("jobs %+v, want the two, newest first", jobs)
	}
}

// quietHost is a Host over an empty store, for jobs that never reach it.
func quietHost(t *testing.T) *Host {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "meter-sync.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h, err := NewHost(db, access.New(db, access.DefaultOptions(), nil), Options{SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// silentPort opens ports whose handheld never answers.
func silentPort(string) (io.ReadWriteCloser, error) {
	ours, theirs := net.Pipe()
	go func() { _, _ = io.Copy(io.Discard, theirs) }()
	return ours, nil
}

// TestStationOneJobPerPort: a second job on a busy port is refused while
// another port docks at once; closing the Station cancels both.
func TestStationOneJobPerPort(t *testing.T) {
	s := NewStation(quietHost(t), silentPort)
	req := StationRequest{Port: "/dev/ttyUSB0", Mode: "device", Job: Job{Import: true, Cycle: domain.MonthOf(time.Now())}}
	first, err := s.Start(req)
	if err != nil {
		t.Fatal(err)
	}
	if j, _ := s.Job(first); j.Job.Cycle != 0 {
		t.Errorf("a device-protocol import keeps the month asked (%v): the handheld's route says it", j.Job.Cycle)
	}
	req.Port = "/dev/../dev/ttyUSB0"
	if _, err := s.Start(req); !errors.Is(err, ErrPortBusy) || !strings.Contains(err.Error(), first) {
		t.Errorf("second job on a busy port: %v, want ErrPortBusy naming job %s", err, first)
	} else if zh := Describe(err); !strings.Contains(zh, "正在对接") {
		t.Errorf("busy in Chinese: %q", zh)
	}
	req.Port = "/dev/ttyUSB1"
	second, err := s.Start(req)
	if err != nil {
		t.Fatalf("another port: %v", err)
	}
	if j, _ := s.Job(second); !j.Running() || j.Step != "连接抄表机" || j.Total != -1 {
		t.Errorf("a job just started: %+v", j)
	}
	s.Close()
	for _, id := range []string{first, second} {
		if j := waitJob(t, s, id); !strings.Contains(j.Error, "已取消") {
			t.Errorf("job %s after Close: %q (%s)", id, j.Error, j.Detail)
		}
	}
	if _, err := s.Start(req); !errors.Is(err, ErrStationClosed) {
		t.Errorf("Start after Close: %v", err)
	}
}

// TestStationKeepsTheLastFinished: finished jobs are remembered up to
// KeepFinished, the oldest forgotten first; a port that does not open is a
// failed job that says so.
func TestStationKeepsTheLastFinished(t *testing.T) {
	s := NewStation(quietHost(t), func(path string) (io.ReadWriteCloser, error) {
		return nil, fmt.Errorf("open %s: no such file or directory", path)
	})
	defer s.Close()
	var ids []string
	for i := range KeepFinished + 5 {
		id, err := s.Start(StationRequest{Port: fmt.Sprintf("/dev/ttyS%d", i%3), Mode: "ymodem",
			Job: Job{Import: true, Reader: "R001", Cycle: domain.MonthOf(time.Now())}})
		if err != nil {
			t.Fatal(err)
		}
		if j := waitJob(t, s, id); !strings.Contains(j.Error, "无法打开串口 /dev/ttyS") {
			t.Fatalf("a port that does not open says %q", j.Error)
		}
		ids = append(ids, id)
	}
	jobs := s.Jobs()
	if len(jobs) != KeepFinished || jobs[0].ID != ids[len(ids)-1] || jobs[KeepFinished-1].ID != ids[5] {
		t.Errorf("remembered %d jobs, want the last %d, newest first", len(jobs), KeepFinished)
	}
	if _, ok := s.Job(ids[0]); ok {
		t.Errorf("the oldest job is still remembered")
	}
}

func TestStationRefusesWhatCannotBeDocked(t *testing.T) {
	s := NewStation(quietHost(t), silentPort)
	defer s.Close()
	march := domain.MonthOf(time.Date(2026, 3, 1, 0, 0, 0, 0, domain.Local))
	tests := []struct {
		name string
		req  StationRequest
		zh   string
	}{
		{"no port", StationRequest{Mode: "device", Job: Job{Import: true}}, "串口"},
		{"unknown mode", StationRequest{Port: "/dev/ttyS0", Mode: "zmodem", Job: Job{Import: true}}, "对接方式"},
		{"nothing to do", StationRequest{Port: "/dev/ttyS0", Mode: "device"}, "至少选择一项"},
		{"route without a month", StationRequest{Port: "/dev/ttyS0", Mode: "device", Job: Job{Export: true}}, "抄表月份"},
		{"ymodem without a reader", StationRequest{Port: "/dev/ttyS0", Mode: "ymodem", Job: Job{Import: true, Cycle: march}}, "抄表员编号"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Start(tc.req)
			if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(Describe(err), tc.zh) {
				t.Errorf("err %v (%q), want ErrInvalidRequest saying %q", err, Describe(err), tc.zh)
			}
		})
	}
	if len(s.Jobs()) != 0 {
		t.Errorf("refused requests left jobs: %+v", s.Jobs())
	}
}
