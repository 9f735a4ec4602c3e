package ymodem

// EventKind says what a Decoder found.
type EventKind uint8

const (
	EventNone     EventKind = iota // the input is used up; a frame may be in progress
	EventBlock                     // a good block
	EventBadBlock                  // a whole frame whose CRC is wrong: ask for it again
	EventEOT                       // EOT outside a frame
	EventCancel                    // CAN CAN
	EventGarbage                   // bytes skipped while looking for a frame
)

func (k EventKind) String() string {
	switch k {
	case EventBlock:
		return "block"
	case EventBadBlock:
		return "bad block"
	case EventEOT:
		return "EOT"
	case EventCancel:
		return "cancel"
	case EventGarbage:
		return "garbage"
	}
	return "none"
}

// Event is one thing found in the byte stream.
type Event struct {
	Kind EventKind
	// Block is the block of EventBlock, and the number and data of the
	// failed frame of EventBadBlock. Its Data aliases the decoder's buffer
	// and is valid until the next call to Decode or Reset.
	Block Block
	// Skipped counts the bytes dropped for EventGarbage.
	Skipped int
}

// Decoder finds CRC-16 frames, EOT and CAN CAN in the bytes a YMODEM
// receiver reads, fed as they arrive in pieces of any size. It buffers at
// most one frame (MaxFrameSize bytes) whatever it is fed. Bytes that cannot
// start a frame are skipped and reported; a start byte followed by a number
// whose complement does not match is taken for noise, and the search resumes
// from the byte after it, so a frame right behind garbage is still found.
//
// The zero Decoder is ready to use.
type Decoder struct {
	buf     [MaxFrameSize]byte
	n       int  // bytes of a frame in buf
	want    int  // that frame's full length, once its start byte is seen
	skipped int  // garbage not reported yet
	can     bool // the last byte was a CAN not yet paired or reported
	refeed  [2]byte
	nrefeed int // bytes of refeed still to scan: a rejected frame's number and complement
}

// Decode scans p and returns the first event found and how many bytes of p
// it used. Call it again with the rest of p, even when that is empty, until
// it returns EventNone: then all of p is used and nothing more is to be
// reported until more bytes arrive.
func (d *Decoder) Decode(p []byte) (Event, int) {
	if ev, ok := d.drain(); ok {
		return ev, 0
	}
	for i := 0; i < len(p); i++ {
		if d.n >= 3 { // in a frame's data: copy as much as p holds
			k := copy(d.buf[d.n:d.want], p[i:])
			d.n += k
			i += k - 1
			if d.n == d.want {
				return d.finish(), i + 1
			}
			continue
		}
		if ev, ok := d.scan(p[i]); ok {
			return ev, i + 1
		}
		if ev, ok := d.drain(); ok {
			return ev, i + 1
		}
	}
	if d.skipped > 0 {
		return d.garbage(), len(p)
	}
	return Event{}, len(p)
}

// drain scans the bytes put back by scan.
func (d *Decoder) drain() (Event, bool) {
	for d.nrefeed > 0 {
		b := d.refeed[0]
		d.refeed[0] = d.refeed[1]
		d.nrefeed--
		if ev, ok := d.scan(b); ok {
			return ev, true
		}
	}
	return Event{}, false
}

// scan takes one byte when no frame is under way or its header is being
// read, and reports whether an event is complete.
func (d *Decoder) scan(b byte) (Event, bool) {
	if d.n > 0 { // byte 2 or 3 of a frame
		d.buf[d.n] = b
		d.n++
		if d.n == 3 && d.buf[1] != ^d.buf[2] {
			// Not a frame after all: the start byte was noise.
			d.skipped++
			d.refeed = [2]byte{d.buf[1], d.buf[2]}
			d.nrefeed = 2
			d.n = 0
		}
		return Event{}, false
	}
	if b == CAN {
		if d.can {
			if d.skipped > 0 { // report what came before the pair first
				d.unscan(b) // d.can stays set: the pair is seen next time
				return d.garbage(), true
			}
			d.can = false
			return Event{Kind: EventCancel}, true
		}
		d.can = true
		return Event{}, false
	}
	if d.can { // a lone CAN is noise
		d.can = false
		d.skipped++
	}
	switch b {
	case SOH, STX, EOT:
		if d.skipped > 0 {
			d.unscan(b)
			return d.garbage(), true
		}
		if b == EOT {
			return Event{Kind: EventEOT}, true
		}
		d.buf[0] = b
		d.n = 1
		d.want = 3 + BlockSize + 2
		if b == STX {
			d.want = 3 + BlockSize1K + 2
		}
		return Event{}, false
	}
	d.skipped++
	return Event{}, false
}

// unscan puts b back to be scanned first on the next call.
func (d *Decoder) unscan(b byte) {
	if d.nrefeed == 1 {
		d.refeed[1] = d.refeed[0]
	}
	d.refeed[0] = b
	d.nrefeed++
}

func (d *Decoder) garbage() Event {
	n := d.skipped
	d.skipped = 0
	return Event{Kind: EventGarbage, Skipped: n}
}

// finish checks a complete frame.
func (d *Decoder) finish() Event {
	size := d.want - 5
	data := d.buf[3 : 3+size]
	d.n = 0
	b := Block{Num: d.buf[1], Data: data}
	if CRC16(data) != uint16(d.buf[3+size])<<8|uint16(d.buf[4+size]) {
		return Event{Kind: EventBadBlock, Block: b}
	}
	return Event{Kind: EventBlock, Block: b}
}

// Buffered returns how many bytes of an unfinished frame the decoder holds.
func (d *Decoder) Buffered() int {
	return d.n + d.nrefeed
}

// Reset drops an unfinished frame, as a receiver does when the line has been
// silent too long in the middle of one, and returns how many bytes it held.
func (d *Decoder) Reset() int {
	n := d.Buffered()
	*d = Decoder{}
	return n
}
