package dock

// ClockGet asks for the device's clock (MsgClockGet, host → device): {}.
type ClockGet struct{}

// MsgType returns MsgClockGet.
func (ClockGet) MsgType() MsgType { return MsgClockGet }

// Encode returns {}.
func (m ClockGet) Encode() ([]byte, error) { return encodeJSON(m) }

func (ClockGet) check() error { return nil }

// Clock reports the device's clock (MsgClock, device → host):
// {"clock_ms":1700000000000}, Unix milliseconds.
type Clock struct {
	ClockMS int64 `json:"clock_ms"`
}

// MsgType returns MsgClock.
func (Clock) MsgType() MsgType { return MsgClock }

// Encode returns the body's JSON after checking it.
func (m Clock) Encode() ([]byte, error) { return encodeJSON(m) }

// DecodeClock decodes and checks a CLOCK body.
func DecodeClock(p []byte) (Clock, error) { return decodeJSON[Clock](p) }

func (m Clock) check() error { return checkNonNeg(m.MsgType(), "clock_ms", m.ClockMS) }

// ClockSet sets the device's clock (MsgClockSet, host → device):
// {"clock_ms":1700000000000}. The device sets it and answers Clock.
type ClockSet struct {
	ClockMS int64 `json:"clock_ms"`
}

// MsgType returns MsgClockSet.
func (ClockSet) MsgType() MsgType { return MsgClockSet }

// Encode returns the body's JSON after checking it.
func (m ClockSet) Encode() ([]byte, error) { return encodeJSON(m) }

// DecodeClockSet decodes and checks a CLOCK_SET body.
func DecodeClockSet(p []byte) (ClockSet, error) { return decodeJSON[ClockSet](p) }

func (m ClockSet) check() error { return checkNonNeg(m.MsgType(), "clock_ms", m.ClockMS) }

// StatusGet asks for the handheld's reading statistics (MsgStatusGet, host
// → device): {}.
type StatusGet struct{}

// MsgType returns MsgStatusGet.
func (StatusGet) MsgType() MsgType { return MsgStatusGet }

// Encode returns {}.
func (m StatusGet) Encode() ([]byte, error) { return encodeJSON(m) }

func (StatusGet) check() error { return nil }

// Status is the handheld's 抄表统计 (MsgStatus, device → host):
//
//	{"reader_id":"R007","cycle":"2025-07","route_households":812,"read":790,
//	 "unread":22,"estimated":3,"pending_readings":790,"rereads":0}
type Status struct {
	ReaderID        string `json:"reader_id"`
	Cycle           string `json:"cycle"`
	RouteHouseholds int64  `json:"route_households"`
	Read            int64  `json:"read"`
	Unread          int64  `json:"unread"`
	Estimated       int64  `json:"estimated"`
	PendingReadings int64  `json:"pending_readings"` // readings not yet cleared by READINGS_STORED
	Rereads         int64  `json:"rereads"`          // re-read tasks loaded
}

// MsgType returns MsgStatus.
func (Status) MsgType() MsgType { return MsgStatus }

// Encode returns the body's JSON after checking it.
func (m Status) Encode() ([]byte, error) { return encodeJSON(m) }

// DecodeStatus decodes and checks a STATUS body.
func DecodeStatus(p []byte) (Status, error) { return decodeJSON[Status](p) }

func (m Status) check() error {
	t := m.MsgType()
	if err := checkText(t, "reader_id", m.ReaderID, maxShort); err != nil {
		return err
	}
	if err := checkText(t, "cycle", m.Cycle, maxShort); err != nil {
		return err
	}
	counts := []struct {
		name string
		n    int64
	}{
		{"route_households", m.RouteHouseholds}, {"read", m.Read}, {"unread", m.Unread},
		{"estimated", m.Estimated}, {"pending_readings", m.PendingReadings}, {"rereads", m.Rereads},
	}
	for _, c := range counts {
		if err := checkNonNeg(t, c.name, c.n); err != nil {
			return err
		}
	}
	return nil
}

// ReadingsGet asks for the readings (MsgReadingsGet, host → device): {}.
type ReadingsGet struct{}

// MsgType returns MsgReadingsGet.
func (ReadingsGet) MsgType() MsgType { return MsgReadingsGet }

// Encode returns {}.
func (m ReadingsGet) Encode() ([]byte, error) { return encodeJSON(m) }

func (ReadingsGet) check() error { return nil }

// ReadingsStored tells the device that the server has durably stored the
// readings file ID (MsgReadingsStored, host → device):
// {"id":"<sha256 hex>","count":790}. The device then deletes exactly the
// readings of that file.
type ReadingsStored struct {
	ID    string `json:"id"`
	Count int64  `json:"count"`
}

// MsgType returns MsgReadingsStored.
func (ReadingsStored) MsgType() MsgType { return MsgReadingsStored }

// Encode returns the body's JSON after checking it.
func (m ReadingsStored) Encode() ([]byte, error) { return encodeJSON(m) }

// DecodeReadingsStored decodes and checks a READINGS_STORED body.
func DecodeReadingsStored(p []byte) (ReadingsStored, error) {
	return decodeJSON[ReadingsStored](p)
}

func (m ReadingsStored) check() error {
	if err := checkSHA256(m.MsgType(), "id", m.ID); err != nil {
		return err
	}
	return checkNonNeg(m.MsgType(), "count", m.Count)
}

// ReadingsCleared reports the deletion (MsgReadingsCleared, device → host):
// {"id":"<sha256 hex>","deleted":790}.
type ReadingsCleared struct {
	ID      string `json:"id"`
	Deleted int64  `json:"deleted"`
}

// MsgType returns MsgReadingsCleared.
func (ReadingsCleared) MsgType() MsgType { return MsgReadingsCleared }

// Encode returns the body's JSON after checking it.
func (m ReadingsCleared) Encode() ([]byte, error) { return encodeJSON(m) }

// DecodeReadingsCleared decodes and checks a READINGS_CLEARED body.
func DecodeReadingsCleared(p []byte) (ReadingsCleared, error) {
	return decodeJSON[ReadingsCleared](p)
}

func (m ReadingsCleared) check() error {
	if err := checkSHA256(m.MsgType(), "id", m.ID); err != nil {
		return err
	}
	return checkNonNeg(m.MsgType(), "deleted", m.Deleted)
}

// Bye ends the session (MsgBye, either way): {}.
type Bye struct{}

// MsgType returns MsgBye.
func (Bye) MsgType() MsgType { return MsgBye }

// Encode returns {}.
func (m Bye) Encode() ([]byte, error) { return encodeJSON(m) }

func (Bye) check() error { return nil }

// Error codes of ERROR bodies. Append-only.
const (
	CodeVersion  = "version"  // no common protocol version
	CodeAuth     = "auth"     // the device failed authentication
	CodeProtocol = "protocol" // a message out of place or malformed
	CodeTooLarge = "too_large"
	CodeBadFile  = "bad_file" // a transfer failed its checks
	CodeBusy     = "busy"     // the peer cannot serve now; dock again later
	CodeInternal = "internal" // the peer failed; not the other side's fault
)

// Error reports a failure (MsgError, either way):
// {"code":"version","message":"..."}. Code is one of the Code constants
// or a later one; Message is for people.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// MsgType returns MsgError.
func (Error) MsgType() MsgType { return MsgError }

// Encode returns the body's JSON after checking it.
func (m Error) Encode() ([]byte, error) { return encodeJSON(m) }

// DecodeError decodes and checks an ERROR body.
func DecodeError(p []byte) (Error, error) { return decodeJSON[Error](p) }

func (m Error) check() error {
	if !tokenPattern.MatchString(m.Code) {
		return fieldErr(m.MsgType(), "code", "%q is not 1-64 of a-z, 0-9, '_'", truncate(m.Code))
	}
	return checkText(m.MsgType(), "message", m.Message, maxText)
}

// Error makes an ERROR body usable as a Go error: the peer's report.
func (m Error) Error() string { return "dock: peer error " + m.Code + ": " + m.Message }
