package linesim

import (
	"testing"
	"time"
)

// TestScheduleBooksBackToBack checks that a transmitter that wakes late does
// not lose line time, that an idle line starts from the data's arrival, and
// that a hold keeps the line still.
func TestScheduleBooksBackToBack(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := schedule{baud: 9600} // 1,041.67 µs a byte
	d := s.duration
	steps := []struct {
		name              string
		arrived, now      time.Time
		n                 int
		hold              time.Time
		wantStart, wantAt time.Time
	}{
		{"idle line starts on arrival", t0, t0.Add(time.Millisecond), 12, time.Time{}, t0, t0.Add(d(12))},
		{"woken late, next chunk follows on", t0, t0.Add(d(20)), 12, time.Time{}, t0.Add(d(12)), t0.Add(d(24))},
		{"after an idle spell, from arrival", t0.Add(time.Second), t0.Add(time.Second), 12, time.Time{}, t0.Add(time.Second), t0.Add(time.Second + d(12))},
		{"held by a full receiver", t0, t0.Add(3 * time.Second), 12, t0.Add(3 * time.Second), t0.Add(3 * time.Second), t0.Add(3*time.Second + d(12))},
	}
	for _, st := range steps {
		if !st.hold.IsZero() {
			s.hold(st.hold)
		}
		start, end := s.slot(st.arrived, st.now, st.n)
		if !start.Equal(st.wantStart) || !end.Equal(st.wantAt) {
			t.Errorf("%s: slot = %v..%v, want %v..%v", st.name,
				start.Sub(t0), end.Sub(t0), st.wantStart.Sub(t0), st.wantAt.Sub(t0))
		}
	}
}

// TestScheduleExactOverATransfer books 200 KB in 23-byte chunks and checks
// the line ends when 200,000 bytes at 11,520 bytes/s would.
func TestScheduleExactOverATransfer(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := schedule{baud: 115200}
	var end time.Time
	for sent := 0; sent < 200_000; sent += 23 {
		_, end = s.slot(t0, t0, min(23, 200_000-sent))
	}
	want := t0.Add(200_000 * time.Second / 11520)
	if d := end.Sub(want); d < -time.Nanosecond || d > time.Nanosecond {
		t.Errorf("200 KB ends %v after the ideal time", d)
	}
}

func TestScheduleLost(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	paced := schedule{baud: 9600}
	byteEnds := func(k int) time.Time { return t0.Add(paced.duration(k)) } // the kth byte's end
	tests := []struct {
		name     string
		s        schedule
		from, to time.Time
		i, j     int
	}{
		{"never pulled", paced, time.Time{}, time.Time{}, 0, 0},
		{"outage over before", paced, t0.Add(-time.Second), t0, 0, 0},
		{"outage after", paced, byteEnds(10).Add(1), t0.Add(time.Second), 10, 10},
		{"whole chunk", paced, t0, t0.Add(time.Second), 0, 10},
		{"cable pulled during byte 3", paced, byteEnds(2).Add(1), t0.Add(time.Second), 2, 10},
		{"cable back during byte 6", paced, t0.Add(-time.Second), byteEnds(5).Add(1), 0, 5},
		{"bytes 3 to 5 lost", paced, byteEnds(2).Add(1), byteEnds(5).Add(1), 2, 5},
		{"unpaced, pulled", schedule{}, t0, t0.Add(time.Second), 0, 10},
		{"unpaced, plugged in", schedule{}, t0.Add(-time.Second), t0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if i, j := tc.s.lost(10, t0, tc.from, tc.to); i != tc.i || j != tc.j {
				t.Errorf("lost = [%d, %d), want [%d, %d)", i, j, tc.i, tc.j)
			}
		})
	}
}

func TestCablePullExtends(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var c cable
	c.pull(t0, 2*time.Second)
	c.pull(t0.Add(time.Second), 3*time.Second) // while out: extends
	c.pull(t0.Add(time.Second), time.Second)   // ends sooner: no change
	if from, to := c.outage(); !from.Equal(t0) || !to.Equal(t0.Add(4*time.Second)) {
		t.Errorf("outage %v..%v, want 0s..4s", from.Sub(t0), to.Sub(t0))
	}
	c.pull(t0.Add(10*time.Second), time.Second) // a new outage
	if from, to := c.outage(); !from.Equal(t0.Add(10*time.Second)) || !to.Equal(t0.Add(11*time.Second)) {
		t.Errorf("outage %v..%v, want 10s..11s", from.Sub(t0), to.Sub(t0))
	}
}
