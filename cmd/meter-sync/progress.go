package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// progressBar shows how far a long import or transfer is: a one-line bar
// redrawn on a terminal's stderr, or plain lines at every 5% for logs and
// scripts.
type progressBar struct {
	e        *env
	mode     string // "bar", "lines" or "off"
	label    string
	start    time.Time
	last     time.Time
	drawn    bool
	lastStep int
}

func newProgressBar(e *env, label, mode string) (*progressBar, error) {
	switch mode {
	case "auto":
		mode = "off"
		if e.stderrIsTTY {
			mode = "bar"
		}
	case "bar", "lines", "off":
	default:
		return nil, fmt.Errorf("--progress: want auto, bar, lines or off, got %q", mode)
	}
	return &progressBar{e: e, mode: mode, label: label, start: time.Now(), lastStep: -1}, nil
}

const barWidth = 30

func (p *progressBar) update(done, total int64) {
	if total <= 0 {
		return
	}
	switch p.mode {
	case "lines":
		p.line(done, total)
	case "bar":
		p.draw(done, total)
	}
}

func (p *progressBar) line(done, total int64) {
	step := int(min(done*100/total, 100)) / 5
	for p.lastStep < step { // every step passed gets its line, even when reading races ahead
		p.lastStep++
		fmt.Fprintf(p.e.stderr, "%s: %d%%\n", p.label, p.lastStep*5)
	}
}

func (p *progressBar) draw(done, total int64) {
	if time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	frac := min(float64(done)/float64(total), 1)
	full := int(frac * barWidth)
	eta := ""
	if el := time.Since(p.start); frac > 0.01 {
		eta = fmt.Sprintf(" 剩余 %s", (time.Duration(float64(el)/frac) - el).Round(time.Second))
	}
	fmt.Fprintf(p.e.stderr, "\r%s [%s%s] %3.0f%%%s ", p.label, strings.Repeat("#", full),
		strings.Repeat(" ", barWidth-full), frac*100, eta)
	p.drawn = true
}

func (p *progressBar) done() {
	if p.drawn {
		fmt.Fprintln(p.e.stderr)
	}
}
