package server

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"meter-sync/domain"
)

// dockInput is a docking request as the form or the JSON body gives it,
// before its fields are checked.
type dockInput struct {
	Port   string `json:"port"`
	Mode   string `json:"mode,omitempty"`   // "device" when empty
	Reader string `json:"reader,omitempty"` // 抄表员编号
	Cycle  string `json:"cycle,omitempty"`  // YYYY-MM
	Expect *int   `json:"expect,omitempty"` // 核对数量
	Import bool   `json:"import"`
	Export bool   `json:"export"`
}

// maxPortLen bounds a port's path.
const maxPortLen = 128

// windowsPort is a serial port's name on Windows.
var windowsPort = regexp.MustCompile(`^COM[0-9]{1,3}$`)

// fieldError names a bad field of a docking request: name as the API says
// it, zh as the page does.
func fieldError(name, zh, want, wantZh string) *clientError {
	return &clientError{code: http.StatusBadRequest,
		en: fmt.Sprintf("field %s: want %s", name, want), zh: fmt.Sprintf("“%s”(%s)%s", zh, name, wantZh)}
}

// request checks in's fields and makes the request who starts. Whether
// the dock can be done is the Station's to say; this is input hygiene.
func (in *dockInput) request(who string) (DockRequest, error) {
	req := DockRequest{Mode: in.Mode, Reader: strings.TrimSpace(in.Reader), Expect: -1,
		Import: in.Import, Export: in.Export, Who: who}
	var err error
	if req.Port, err = portPath(in.Port); err != nil {
		return req, err
	}
	if req.Mode == "" {
		req.Mode = "device"
	}
	if req.Mode != "device" && req.Mode != "ymodem" {
		return req, fieldError("mode", "对接方式", "device or ymodem", "应为设备协议(device)或YMODEM(ymodem)")
	}
	if len(req.Reader) > maxIDLen || strings.ContainsFunc(req.Reader, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) ||
		!utf8.ValidString(req.Reader) {
		return req, fieldError("reader", "抄表员编号", fmt.Sprintf("an id of at most %d bytes without spaces", maxIDLen),
			fmt.Sprintf("应为不含空格的编号(最多%d个字节)", maxIDLen))
	}
	if c := strings.TrimSpace(in.Cycle); c != "" {
		if req.Cycle, err = domain.ParseMonth(c); err != nil {
			return req, fieldError("cycle", "抄表月份", "YYYY-MM, e.g. 2026-03", "应写作YYYY-MM,例如2026-03")
		}
	}
	if in.Expect != nil {
		if *in.Expect < 0 || *in.Expect > 1_000_000 {
			return req, fieldError("expect", "核对数量", "a count of households, 0 or more", "应为户数(0或正整数)")
		}
		req.Expect = *in.Expect
	}
	return req, nil
}

// portPath checks a serial port's path: a device under /dev, or a Windows
// COM port. Nothing else is opened on a client's word.
func portPath(p string) (string, error) {
	p = strings.TrimSpace(p)
	bad := fieldError("port", "串口", "a serial device path such as /dev/ttyUSB0", "应为串口设备路径,例如/dev/ttyUSB0")
	if p == "" || len(p) > maxPortLen || !utf8.ValidString(p) || strings.ContainsFunc(p, unicode.IsControl) {
		return "", bad
	}
	if windowsPort.MatchString(p) {
		return p, nil
	}
	clean := filepath.Clean(p)
	if !strings.HasPrefix(clean, "/dev/") {
		return "", bad
	}
	return clean, nil
}

// dockInputFromForm reads the docking form.
func dockInputFromForm(f url.Values) (dockInput, error) {
	var in dockInput
	var err error
	fields := []struct {
		dst       *string
		name, zh  string
		max       int
		mandatory bool
	}{
		{&in.Port, "port", "串口", maxPortLen, true},
		{&in.Mode, "mode", "对接方式", 16, false},
		{&in.Reader, "reader", "抄表员编号", maxIDLen, false},
		{&in.Cycle, "cycle", "抄表月份", 16, false},
	}
	for _, fl := range fields {
		if *fl.dst, err = formField(f, fl.name, fl.zh, fl.max, fl.mandatory); err != nil {
			return in, err
		}
	}
	expect, err := formField(f, "expect", "核对数量", 16, false)
	if err != nil {
		return in, err
	}
	if expect != "" {
		n, err := strconv.Atoi(expect)
		if err != nil {
			return in, fieldError("expect", "核对数量", "a count of households, 0 or more", "应为户数(0或正整数)")
		}
		in.Expect = &n
	}
	in.Import, in.Export = formCheckbox(f, "import"), formCheckbox(f, "export")
	return in, nil
}
