package device

import (
	"context"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"meter-sync/internal/ptytest"
	"meter-sync/tools/linesim"
)

// pullAt pulls l's cable for d the first time step reaches percent.
func pullAt(l *linesim.Line, step string, percent int64, d time.Duration) func(Progress) {
	var once sync.Once
	return func(p Progress) {
		if p.Step == step && p.Total > 0 && p.Done*100/p.Total >= percent {
			once.Do(func() { l.Pull(d) })
		}
	}
}

// TestDockOverANoisyLineWithPulledCable docks at 115,200 baud with bit
// errors (1e-5, then 1e-4 so that some surely land), and pulls the cable
// for a second in the middle of the route and again of the readings: both
// docks complete, nothing is lost.
func TestDockOverANoisyLineWithPulledCable(t *testing.T) {
	c := newCity(t)
	em := newEmulator(t, c, "HH-0004", testReader, false)
	route := c.route(t, testReader, c.city.Cycle)

	l := newLine(t, linesim.Options{Baud: 115200, BitErrorRate: 1e-5, Seed: 3})
	p := em.dock(l.B())
	pull := pullAt(l, "导出抄表路线", 40, time.Second)
	var partway int
	rep, err := c.host.Dock(ctxFor(t, 2*time.Minute), serverEnd(t, l),
		Job{Export: true, Cycle: c.city.Cycle, Expect: -1, Progress: func(pr Progress) {
			if pr.Done > 0 && pr.Done < pr.Total {
				partway++
			}
			pull(pr)
		}})
	if err != nil || rep.Export.Handheld != len(route) {
		t.Fatalf("export over a bad line: %v, %+v\n%s", err, rep.Export, tail(p.Stderr.String(), 2000))
	}
	if partway < 3 {
		t.Errorf("the route's progress was shown part way %d times; the clerk sees it move", partway)
	}
	<-p.Exited()
	if s := l.Stats(); s.AB.Dropped == 0 {
		t.Errorf("the cable was never pulled: %+v", s)
	}

	em.run("walk", "--from", c.readingsFile(testReader))
	walked := pendingOn(t, em)
	l = newLine(t, linesim.Options{Baud: 115200, BitErrorRate: 1e-4, Seed: 4})
	p = em.dock(l.B())
	rep, err = c.host.Dock(ctxFor(t, 2*time.Minute), serverEnd(t, l),
		Job{Import: true, Expect: -1, Progress: pullAt(l, "导入抄表记录", 40, time.Second)})
	if err != nil || rep.Import.Rows != walked || rep.Cleared != walked {
		t.Fatalf("import over a bad line: %v; %d rows, %d cleared, want %d", err, rep.Import.Rows, rep.Cleared, walked)
	}
	<-p.Exited()
	if s := l.Stats(); s.BA.Dropped == 0 || s.BA.Flipped+s.AB.Flipped == 0 {
		t.Errorf("the line was clean: %+v", s)
	}
}

// TestCutImportResumes: the server gives up on a dock half-way through the
// readings (the clerk pulls the cable and cancels); the next dock resumes
// the file where the server's copy ended, and stores it once.
func TestCutImportResumes(t *testing.T) {
	c := newCity(t)
	var log ptytest.Buffer
	host, err := NewHost(c.db, c.acc, Options{SpoolDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	em := newEmulator(t, c, "HH-0005", testReader, false)
	if _, err := c.dockOnce(t, em, Job{Export: true, Cycle: c.city.Cycle, Expect: -1}); err != nil {
		t.Fatal(err)
	}
	em.run("walk", "--from", c.readingsFile(testReader))
	walked := pendingOn(t, em)

	l := newLine(t, linesim.Options{Baud: 38400})
	p := em.dockLine(l.B())
	ctx, cancel := context.WithCancel(ctxFor(t, time.Minute))
	var once sync.Once
	_, err = host.Dock(ctx, serverEnd(t, l), Job{Import: true, Expect: -1, Progress: func(pr Progress) {
		if pr.Total > 0 && pr.Done*2 >= pr.Total {
			once.Do(func() { l.Pull(time.Minute); cancel() })
		}
	}})
	if err == nil {
		t.Fatal("the cut dock succeeded")
	}
	p.Cmd.Process.Kill()
	<-p.Exited()

	l = newLine(t, linesim.Options{Baud: 38400})
	p = em.dockLine(l.B())
	rep, err := host.Dock(ctxFor(t, time.Minute), serverEnd(t, l), Job{Import: true, Expect: -1})
	if err != nil || rep.Import.Rows != walked || rep.Cleared != walked {
		t.Fatalf("the dock after the cut: %v, %+v", err, rep.Import)
	}
	<-p.Exited()
	offsets := regexp.MustCompile(`receiving file.*offset=(\d+)`).FindAllStringSubmatch(log.String(), -1)
	if len(offsets) != 2 {
		t.Fatalf("want two transfers of the readings in the log:\n%s", log.String())
	}
	if resumed, _ := strconv.Atoi(offsets[1][1]); resumed == 0 {
		t.Errorf("the second dock started the readings from 0; log:\n%s", log.String())
	}
	if households, versions := c.storedCount(t); households != walked || versions != walked {
		t.Errorf("%d households in %d versions stored, want %d once each", households, versions, walked)
	}
}

func (c *testCity) storedCount(t *testing.T) (households, versions int) {
	t.Helper()
	vs := c.versions(t, testReader)
	seen := map[string]bool{}
	for _, v := range vs {
		seen[v.CustomerID] = true
	}
	return len(seen), len(vs)
}
