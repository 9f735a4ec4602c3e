//go:build unix

package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

// TestSmallestRun runs every measure on a route of about 200 households
// over a fast line, once each, so that the tool keeps working; lrzsz must
// be installed (CI has it). The numbers mean nothing at this size.
func TestSmallestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes over simulated lines for some 15 s")
	}
	cfg := config{baud: 921600, households: 200, runs: 1, seeds: 1, pull: 200 * time.Millisecond, citySeed: 1}
	var log strings.Builder
	md, err := run(cfg, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	for _, want := range []string{
		"Machine:", "lrzsz", "| route |", "ZMODEM, lrzsz", "ratio dock / ZMODEM", "compression off", "goodput",
		"at BER 1e-5", "ZMODEM at BER 1e-5", "cable pulled", "cut off at 50 %", "8 handhelds at once",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the table lacks %q:\n%s", want, md)
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", log.String())
	}
}

// TestOnlyUnknown: a misspelt measure is refused before anything runs.
func TestOnlyUnknown(t *testing.T) {
	_, err := run(config{baud: 115200, households: 200, runs: 1, seeds: 1, only: []string{"zmodme"}}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `unknown measure "zmodme"`) {
		t.Errorf("err = %v, want the unknown measure named", err)
	}
}
