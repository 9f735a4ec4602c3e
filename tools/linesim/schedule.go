package linesim

import "time"

// schedule is a line's clock: when each byte starts and finishes crossing.
// Chunks are booked back to back from the previous one's end rather than from
// when the transmitter woke, so late wake-ups do not add up over a transfer.
type schedule struct {
	baud int       // 0: unpaced
	next time.Time // when the line is free for the next byte
	rem  int64     // nanoseconds × baud that next has not yet taken up
}

// slot books the line for n bytes that have been waiting since arrived (now
// on an unpaced line) and returns when the first starts and the last ends.
func (s *schedule) slot(arrived, now time.Time, n int) (start, end time.Time) {
	if s.baud == 0 {
		return now, now
	}
	start = s.next
	if arrived.After(start) {
		start = arrived // the line was idle
	}
	end = start.Add(s.advance(n))
	s.next = end
	return start, end
}

// advance is how long n more bytes take, carrying the fractions of a
// nanosecond from chunk to chunk so that none are lost over a transfer.
func (s *schedule) advance(n int) time.Duration {
	num := int64(n)*bitsPerByte*int64(time.Second) + s.rem
	s.rem = num % int64(s.baud)
	return time.Duration(num / int64(s.baud))
}

// hold keeps the line from sending anything before t.
func (s *schedule) hold(t time.Time) {
	if t.After(s.next) {
		s.next = t
	}
}

// duration is how long n bytes take on the line, to the nanosecond below.
func (s *schedule) duration(n int) time.Duration {
	if s.baud == 0 {
		return 0
	}
	return time.Duration(int64(n) * bitsPerByte * int64(time.Second) / int64(s.baud))
}

// lost returns the bytes [i, j) of n bytes sent from start that finish
// crossing during the outage [from, to).
func (s *schedule) lost(n int, start, from, to time.Time) (i, j int) {
	i, j = n, n
	for k := range n {
		t := start.Add(s.duration(k + 1))
		if i == n && !t.Before(from) {
			i = k
		}
		if !t.Before(to) {
			j = k
			break
		}
	}
	return i, j
}
