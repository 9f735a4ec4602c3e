package config

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/BurntSushi/toml"
)

// FuzzParse checks that Parse never panics, that whatever it accepts
// passes Validate, and that an accepted config survives encode → Parse.
func FuzzParse(f *testing.F) {
	f.Add(Example())
	f.Add([]byte(""))
	f.Add([]byte("[server]\nread_timeout = \"1m\"\ntls_cert = \"c\"\n"))
	f.Add([]byte("[validation]\nlarge_volume_factor = nan\nlarge_volume_cap_m3_per_cycle = inf\n"))
	f.Add([]byte("[calendar]\nholidays = [\"2026-02-30\", 1]\n"))
	f.Add([]byte("[orders.commitment_days]\ninstall = -1\nunknown = 2\n"))
	f.Add([]byte("[cycle]\nexport_day = \"28\"\nignition_window_start_day = 9223372036854775807\n"))
	f.Add(Example()[:len(Example())/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz")
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a config that Validate rejects: %v", err)
		}
		var buf bytes.Buffer
		if err := toml.NewEncoder(&buf).Encode(c); err != nil {
			t.Fatalf("encoding an accepted config: %v", err)
		}
		back, err := Parse(buf.Bytes(), "re-encoded")
		if err != nil {
			t.Fatalf("parsing the re-encoded config: %v\n%s", err, buf.Bytes())
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip changed the config:\n got %+v\nwant %+v", back, c)
		}
	})
}
