package serialport

import (
	"strings"
	"testing"
)

func TestParseMode(t *testing.T) {
	tests := []struct {
		in   string
		want Mode
		err  string // a part of the error, "" for none
	}{
		{"115200,8N1", DefaultMode(), ""},
		{"115200", DefaultMode(), ""},
		{" 9600 , 7e2 ", Mode{9600, 7, ParityEven, 2}, ""},
		{"19200,8O1", Mode{19200, 8, ParityOdd, 1}, ""},
		{"", Mode{}, "baud rate"},
		{"fast,8N1", Mode{}, "baud rate \"fast\""},
		{"-9600,8N1", Mode{}, "not a positive number"},
		{"9600,9N1", Mode{}, "data bits"},
		{"9600,8X1", Mode{}, "parity"},
		{"9600,8N3", Mode{}, "stop bits"},
		{"9600,8N", Mode{}, "want data bits, parity and stop bits"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMode(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "serialport: ") {
					t.Fatalf("ParseMode(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseMode(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if back, err := ParseMode(got.String()); err != nil || back != got {
				t.Errorf("ParseMode(%q) = %v, %v; String does not read back", got.String(), back, err)
			}
		})
	}
}

func TestModeValidate(t *testing.T) {
	tests := []struct {
		name string
		m    Mode
		err  string
	}{
		{"default", DefaultMode(), ""},
		{"zero baud", Mode{0, 8, ParityNone, 1}, "baud rate"},
		{"4 data bits", Mode{9600, 4, ParityNone, 1}, "data bits"},
		{"mark parity", Mode{9600, 8, "mark", 1}, "parity"},
		{"empty parity", Mode{9600, 8, "", 1}, "parity"},
		{"3 stop bits", Mode{9600, 8, ParityNone, 3}, "stop bits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.m.Validate()
			if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("Validate() = %v, want error with %q", err, tt.err)
			}
		})
	}
}
