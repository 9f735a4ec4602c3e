package config

import (
	"fmt"
	"time"
)

// Duration is a time.Duration written in TOML as a string that
// time.ParseDuration reads, such as "500ms", "30s" or "5m".
type Duration struct {
	time.Duration
}

// MarshalText writes d as time.Duration.String does ("5m0s").
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(d.Duration.String()), nil
}

// UnmarshalText reads a time.ParseDuration string.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("invalid duration %q: want a number with a unit, such as \"30s\" or \"5m\"", text)
	}
	d.Duration = v
	return nil
}
