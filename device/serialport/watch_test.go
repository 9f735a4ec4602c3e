package serialport

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	ttyS0   = PortInfo{Path: "/dev/ttyS0"}
	hhA     = PortInfo{Path: "/dev/ttyUSB0", USB: true, VID: "1a86", PID: "7523", SerialNumber: "A1", Product: "USB Serial"}
	hhA2    = PortInfo{Path: "/dev/ttyUSB0", USB: true, VID: "1a86", PID: "7523", SerialNumber: "A2", Product: "USB Serial"}
	hhB     = PortInfo{Path: "/dev/ttyACM0", USB: true, VID: "0483", PID: "5740"}
	errList = errors.New("listing failed")
)

// script is a list function that gives one listing per call, then the
// last listing forever; it closes done at its first call past the script,
// when every port of the script has been sent and received.
type script struct {
	steps []any // []PortInfo or error
	mu    sync.Mutex
	i     int
	done  chan struct{}
}

func (s *script) list() ([]PortInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.i == len(s.steps) {
		close(s.done)
	}
	step := s.steps[min(s.i, len(s.steps)-1)]
	s.i++
	if err, ok := step.(error); ok {
		return nil, err
	}
	return step.([]PortInfo), nil
}

func TestWatch(t *testing.T) {
	id, _ := ParseUSBID("1A86:7523")
	tests := []struct {
		name  string
		steps []any
		match []USBID
		want  []PortInfo
	}{
		{"dock, undock, dock again", []any{[]PortInfo{}, []PortInfo{hhA}, []PortInfo{hhA}, []PortInfo{}, []PortInfo{hhA}}, nil,
			[]PortInfo{hhA, hhA}},
		{"ports present at start count", []any{[]PortInfo{ttyS0}, []PortInfo{ttyS0, hhA}}, nil, []PortInfo{ttyS0, hhA}},
		{"a failed listing changes nothing", []any{[]PortInfo{hhA}, errList, []PortInfo{hhA}}, nil, []PortInfo{hhA}},
		{"filter by USB id", []any{[]PortInfo{ttyS0, hhB, hhA}}, []USBID{id}, []PortInfo{hhA}},
		{"another device at the same path", []any{[]PortInfo{hhA}, []PortInfo{hhA2}}, nil, []PortInfo{hhA, hhA2}},
		{"two handhelds at once", []any{[]PortInfo{}, []PortInfo{hhB, hhA}, []PortInfo{hhA}}, nil, []PortInfo{hhB, hhA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &script{steps: tt.steps, done: make(chan struct{})}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ch := Watch(ctx, time.Millisecond, s.list, tt.match...)
			var got []PortInfo
		collect:
			for {
				select {
				case p := <-ch:
					got = append(got, p)
				case <-s.done:
					break collect
				case <-time.After(10 * time.Second):
					t.Fatalf("the watch stopped listing; got %v", got)
				}
			}
			cancel()
			for p := range ch { // closed once ctx ends
				got = append(got, p)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("reported %v, want %v", got, tt.want)
			}
		})
	}
}

// TestListOnThisMachine runs the real enumeration: it may find no USB port,
// but it must not fail, and what it finds must be well formed.
func TestListOnThisMachine(t *testing.T) {
	ports, err := List()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d ports: %v", len(ports), ports)
	for i, p := range ports {
		if !strings.HasPrefix(p.Path, "/dev/") {
			t.Errorf("port %q is not under /dev", p.Path)
		}
		if i > 0 && ports[i-1].Path >= p.Path {
			t.Errorf("ports not sorted by path: %q before %q", ports[i-1].Path, p.Path)
		}
		if p.USB {
			if _, err := ParseUSBID(p.ID().String()); err != nil {
				t.Errorf("%s: %v", p.Path, err)
			}
		} else if p.VID != "" || p.PID != "" || p.SerialNumber != "" {
			t.Errorf("%s is not on USB but has USB fields: %+v", p.Path, p)
		}
	}
}

func TestParseUSBID(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"1a86:7523", "1a86:7523", ""},
		{" 0483:5740 ", "0483:5740", ""},
		{"1A86:7523", "1a86:7523", ""},
		{"1a86", "", "want VID:PID"},
		{"1a86:75234", "", "want VID:PID"},
		{"xyzw:7523", "", "want VID:PID"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			id, err := ParseUSBID(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "serialport: ") {
					t.Fatalf("ParseUSBID(%q) = %v, %v; want error with %q", tt.in, id, err, tt.err)
				}
				return
			}
			if err != nil || id.String() != tt.want {
				t.Fatalf("ParseUSBID(%q) = %v, %v; want %s", tt.in, id, err, tt.want)
			}
		})
	}
}

func TestPortInfoString(t *testing.T) {
	if got, want := hhA.String(), "/dev/ttyUSB0 (1a86:7523 USB Serial, SN A1)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := ttyS0.String(); got != "/dev/ttyS0" {
		t.Errorf("String() = %q", got)
	}
}
