//go:build unix

package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"meter-sync/protocol/dock"
	"meter-sync/tools/linesim"
)

// zmodemTimeout bounds one ZMODEM transfer: a clean one of a 2,000-household
// route takes 40 s, one at a bit error rate of 1e-5 about three times that.
const zmodemTimeout = 15 * time.Minute

// ber is the bit error rate of the noisy runs.
const ber = 1e-5

// zmodemClean is the median of cfg.runs ZMODEM transfers on a clean line,
// measured once.
func (b *bench) zmodemClean() (time.Duration, []time.Duration, error) {
	if b.zClean == nil {
		for i := range b.cfg.runs {
			took, err := sendZMODEM(b.dir, linesim.Options{Baud: b.cfg.baud, Seed: 1}, b.city.csv, zmodemTimeout)
			if err != nil {
				return 0, nil, fmt.Errorf("ZMODEM: %w", err)
			}
			b.logf("ZMODEM run %d: %v, %s of line rate", i+1, sec(took), b.pct(len(b.city.csv), took))
			b.zClean = append(b.zClean, took)
		}
	}
	return median(b.zClean), b.zClean, nil
}

// dockClean is the median of cfg.runs clean docks with compression on or
// off, measured once; it returns the runs in the order made.
func (b *bench) dockClean(plain bool) (median dockRun, runs []dockRun, err error) {
	if b.clean[plain] == nil {
		for i := range b.cfg.runs {
			r, err := b.dockOnce(dockSpec{plain: plain, seed: 1})
			if err != nil {
				return dockRun{}, nil, fmt.Errorf("clean dock (compression off %v): %w", plain, err)
			}
			b.logf("dock (compression off %v) run %d: %v, route transfer %v, stream %d bytes, %+v",
				plain, i+1, sec(r.took), sec(r.transfer), r.stream, r.rep.Link.Link)
			b.clean[plain] = append(b.clean[plain], r)
		}
	}
	runs = b.clean[plain]
	sorted := slices.SortedFunc(slices.Values(runs), func(x, y dockRun) int { return int(x.took - y.took) })
	return sorted[len(sorted)/2], runs, nil
}

// measureZMODEM is the baseline: lrzsz's sz to rz on a clean line.
func (b *bench) measureZMODEM() error {
	med, runs, err := b.zmodemClean()
	if err != nil {
		return err
	}
	b.row(fmt.Sprintf("ZMODEM, lrzsz `sz` → `rz`, the route CSV (%s bytes), median of %d", thousands(len(b.city.csv)), len(runs)),
		fmt.Sprintf("**%s** (runs: %s), %s of line rate", sec(med), secs(runs), b.pct(len(b.city.csv), med)), "")
	return nil
}

// measureExport is our dock with compression on, against ZMODEM.
func (b *bench) measureExport() error {
	med, runs, err := b.dockClean(false)
	if err != nil {
		return err
	}
	b.row(fmt.Sprintf("dock, route export (zstd: %s bytes on the wire), median of %d", thousands(int(med.stream)), len(runs)),
		fmt.Sprintf("**%s** whole dock (runs: %s); route transfer %s", sec(med.took), secs(tooks(runs)), sec(med.transfer)), "")
	if !b.selected("zmodem") {
		return nil
	}
	z, _, err := b.zmodemClean()
	if err != nil {
		return err
	}
	ratio := med.took.Seconds() / z.Seconds()
	b.row("ratio dock / ZMODEM", fmt.Sprintf("**%.2f**", ratio), goal(ratio <= 0.5, "≤ 0.5"))
	return nil
}

// measurePlain is our dock with compression off: the link's own rate.
func (b *bench) measurePlain() error {
	med, runs, err := b.dockClean(true)
	if err != nil {
		return err
	}
	size := len(b.city.plain)
	b.row(fmt.Sprintf("dock, compression off (%s bytes identity), median of %d", thousands(size), len(runs)),
		fmt.Sprintf("%s whole dock (runs: %s); route transfer %s", sec(med.took), secs(tooks(runs)), sec(med.transfer)), "")
	if b.cfg.baud == 0 {
		b.row("goodput, compression off", "unpaced line: no line rate to compare with", "")
		return nil
	}
	g := b.share(size, med.transfer)
	b.row(fmt.Sprintf("goodput, compression off: route bytes / route transfer, of %s B/s", thousands(b.cfg.baud/10)),
		fmt.Sprintf("**%.1f %%** (whole dock: %.1f %%)", 100*g, 100*b.share(size, med.took)), goal(g >= 0.9, "≥ 90 %"))
	return nil
}

// measureBER docks on lines with bit errors, several seeds, with
// compression on and off, and ZMODEM on the same lines.
func (b *bench) measureBER() error {
	for _, plain := range []bool{false, true} {
		base, _, err := b.dockClean(plain)
		if err != nil {
			return err
		}
		var ratios []float64
		var resent int64
		for seed := 1; seed <= b.cfg.seeds; seed++ {
			r, err := b.dockOnce(dockSpec{plain: plain, ber: ber, seed: uint64(seed)})
			if err != nil {
				return fmt.Errorf("dock at BER %g, seed %d: %w", ber, seed, err)
			}
			ratios = append(ratios, r.took.Seconds()/base.took.Seconds())
			resent += r.rep.Link.Link.FramesResent
			b.logf("dock (compression off %v) at BER %g, seed %d: %v (%.2f×), %+v", plain, ber, seed, sec(r.took),
				ratios[len(ratios)-1], r.rep.Link.Link)
		}
		what := map[bool]string{false: "dock", true: "dock, compression off"}[plain]
		mean, worst := meanMax(ratios)
		b.row(fmt.Sprintf("%s at BER 1e-5 / clean median (%s), %d seeds", what, sec(base.took), len(ratios)),
			fmt.Sprintf("**mean %.2f×, worst %.2f×** (%s; %d frames re-sent in all)", mean, worst, ratioList(ratios), resent),
			goal(worst <= 1.15, "≤ 1.15"))
	}
	if b.selected("zmodem") {
		return b.zmodemBER()
	}
	return nil
}

// zmodemBER runs ZMODEM on the same noisy lines, for comparison.
func (b *bench) zmodemBER() error {
	base, _, err := b.zmodemClean()
	if err != nil {
		return err
	}
	var ratios []float64
	failed := 0
	for seed := 1; seed <= b.cfg.seeds; seed++ {
		took, err := sendZMODEM(b.dir, linesim.Options{Baud: b.cfg.baud, BitErrorRate: ber, Seed: uint64(seed)}, b.city.csv, zmodemTimeout)
		if err != nil {
			failed++
			b.logf("ZMODEM at BER %g, seed %d: failed: %v", ber, seed, err)
			continue
		}
		ratios = append(ratios, took.Seconds()/base.Seconds())
		b.logf("ZMODEM at BER %g, seed %d: %v (%.2f×)", ber, seed, sec(took), ratios[len(ratios)-1])
	}
	res := fmt.Sprintf("%d of %d transfers failed", failed, b.cfg.seeds)
	if len(ratios) > 0 {
		mean, worst := meanMax(ratios)
		res = fmt.Sprintf("mean %.2f×, worst %.2f× (%s)", mean, worst, ratioList(ratios))
		if failed > 0 {
			res += fmt.Sprintf("; %d failed", failed)
		}
	}
	b.row(fmt.Sprintf("ZMODEM at BER 1e-5 / its clean median (%s), same seeds", sec(base)), res, "for comparison (ANCHORS: ~2.9×)")
	return nil
}

// measurePull pulls the cable for cfg.pull when the route is half sent:
// the dock must complete, re-sending about a window.
func (b *bench) measurePull() error {
	base, _, err := b.dockClean(false)
	if err != nil {
		return err
	}
	var pulledAt int64 = -1
	r, err := b.dockOnce(dockSpec{seed: 1, progress: func(l *linesim.Line, done, total int64) {
		if pulledAt < 0 && 2*done >= total {
			pulledAt = done
			l.Pull(b.cfg.pull)
		}
	}})
	if err != nil {
		return fmt.Errorf("dock with the cable pulled: %w", err)
	}
	ls, cl := r.rep.Link.Link, base.rep.Link.Link
	frames := int64(dock.DefaultWindow)
	frameSize := int64(dock.DefaultMaxPayload + dock.Overhead)
	// What crossed the line beyond a clean dock's bytes, and frames the
	// handheld received twice: re-sends once the cable was back that were
	// not replacing a lost frame.
	crossedExtra := r.line.AB.Carried - base.line.AB.Carried
	dups := duplicates(r.handheld)
	b.logf("cable pulled at %d of %d: %v, %+v\nline %+v (clean %+v)\nthe handheld's side: %s",
		pulledAt, r.stream, sec(r.took), ls, r.line, base.line, received(r.handheld))
	b.row(fmt.Sprintf("cable pulled %v at %d %% of the route", b.cfg.pull, 100*pulledAt/max(r.stream, 1)),
		fmt.Sprintf("dock completes in %s (clean %s). The host re-sent **%d frames** (%s B: %d timeouts, %d probes, %d fast retransmits); "+
			"%s B of what it sent fell on the pulled cable. Once it was back the handheld received %d frames twice and the line carried "+
			"%s B more than in the clean dock: re-sent after reconnecting were only the frames lost in flight, at most one window (%d frames, %s B)",
			sec(r.took), sec(base.took), ls.FramesResent, thousands(int(ls.BytesSent-cl.BytesSent)), ls.Timeouts, ls.Probes, ls.FastRetransmits,
			thousands(int(r.line.AB.Dropped)), dups, thousands(int(crossedExtra)), frames, thousands(int(frames*frameSize))),
		goal(dups == 0 && crossedExtra <= frameSize, "re-sent after reconnecting ≤ one window")+
			fmt.Sprintf("; re-sent in all ≤ one window: %s", map[bool]string{true: "met", false: "**missed**"}[ls.FramesResent <= frames]))
	return nil
}

var dupRE = regexp.MustCompile(`msg="file received".*Duplicates:(\d+)`)

// duplicates is how many frames the emulator received twice in its route
// transfer, from its log; -1 when it did not log it.
func duplicates(log string) int {
	m := dupRE.FindStringSubmatch(log)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// measureResume cuts a dock off half-way (the host's context cancelled, the
// emulator stopped by SIGTERM), then docks again with a new emulator process
// on the same handheld and a new line: the transfer resumes where the
// handheld's saved prefix ends.
func (b *bench) measureResume() error {
	em, err := b.newEmulator()
	if err != nil {
		return err
	}
	ctx, cut := context.WithCancel(context.Background())
	defer cut()
	var acked int64 = -1
	p, err := b.prepare(dockSpec{seed: 1, em: em, ctx: ctx, progress: func(_ *linesim.Line, done, total int64) {
		if acked < 0 && 2*done >= total {
			acked = done
			cut()
		}
	}})
	if err != nil {
		return err
	}
	first, err := b.run(p)
	if err == nil || ctx.Err() == nil {
		p.close()
		return fmt.Errorf("the dock to be cut off ended by itself: %v", err)
	}
	stopErr := p.ses.stop()
	p.close()
	if stopErr != nil {
		return stopErr
	}
	second, err := b.dockOnce(dockSpec{seed: 1, em: em})
	if err != nil {
		return fmt.Errorf("dock after the cut: %w", err)
	}
	sent := first.rep.Link.XferSent
	resumed := second.rep.Link.ResumedOffset
	resent := sent - resumed
	b.logf("resume: cut at %d acknowledged, %d sent; resumed at %d; second dock %v, %+v", acked, sent, resumed, sec(second.took), second.rep.Link)
	b.row("dock cut off at 50 % (host cancelled, handheld SIGTERM), docked again",
		fmt.Sprintf("first attempt sent %s of %s stream bytes (%s acknowledged); resumed at %s; **re-sent %s bytes** (one window: %s); second dock %s",
			thousands(int(sent)), thousands(int(first.stream)), thousands(int(acked)), thousands(int(resumed)),
			thousands(int(resent)), thousands(int(window())), sec(second.took)),
		goal(resent <= window(), "re-sent ≤ one window"))
	return nil
}

// measureMany docks eight handhelds at once through one Host, against one
// alone, each the median of cfg.runs.
func (b *bench) measureMany() error {
	const n = 8
	var one, all []time.Duration
	for i := range b.cfg.runs {
		t1, err := b.dockMany(1)
		if err != nil {
			return fmt.Errorf("one handheld: %w", err)
		}
		t8, err := b.dockMany(n)
		if err != nil {
			return fmt.Errorf("%d handhelds: %w", n, err)
		}
		b.logf("run %d: one handheld %v, %d at once %v", i+1, sec(t1), n, sec(t8))
		one, all = append(one, t1), append(all, t8)
	}
	ratio := median(all).Seconds() / median(one).Seconds()
	b.row(fmt.Sprintf("%d handhelds at once (8 lines, 8 emulators, one Host), median of %d", n, len(all)),
		fmt.Sprintf("%s wall (runs: %s) vs one alone %s (runs: %s): **%.2f×**", sec(median(all)), secs(all), sec(median(one)), secs(one), ratio),
		goal(ratio <= 1.2, "≤ 1.2×"))
	return nil
}

// received is the emulator's log line of the route received, with its
// link stats (duplicates among them).
func received(log string) string {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, `msg="file received"`) {
			return line
		}
	}
	return "(not logged)"
}

// share is size bytes in d as a share of the line rate.
func (b *bench) share(size int, d time.Duration) float64 {
	return float64(size) / d.Seconds() / (float64(b.cfg.baud) / 10)
}

func (b *bench) pct(size int, d time.Duration) string {
	if b.cfg.baud == 0 {
		return "unpaced"
	}
	return fmt.Sprintf("%.1f %%", 100*b.share(size, d))
}

func goal(met bool, want string) string {
	if met {
		return want + ": met"
	}
	return want + ": **missed**"
}

func median(ds []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	return s[len(s)/2]
}

func tooks(rs []dockRun) []time.Duration {
	ds := make([]time.Duration, len(rs))
	for i, r := range rs {
		ds[i] = r.took
	}
	return ds
}

func meanMax(xs []float64) (mean, worst float64) {
	for _, x := range xs {
		mean += x
		worst = max(worst, x)
	}
	return mean / float64(len(xs)), worst
}

func sec(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func secs(ds []time.Duration) string {
	ss := make([]string, len(ds))
	for i, d := range ds {
		ss[i] = strings.TrimSuffix(sec(d), " s")
	}
	return strings.Join(ss, " / ") + " s"
}

func ratioList(xs []float64) string {
	ss := make([]string, len(xs))
	for i, x := range xs {
		ss[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(ss, " / ")
}

// thousands writes n with comma separators, as BENCHMARKS.md does.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
