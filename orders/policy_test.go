package orders

import (
	"testing"
	"time"

	"meter-sync/config"
)

// TestPolicyFromConfiguration: the receipt time tolerance is the
// configuration's, the default when it says none.
func TestPolicyFromConfiguration(t *testing.T) {
	c := config.Default()
	c.Orders.ReceiptTimeTolerance = config.Duration{Duration: 90 * time.Second}
	p, err := PolicyFrom(c)
	if err != nil || p.FutureSkew != 90*time.Second {
		t.Errorf("tolerance %v (%v), want 1m30s from the configuration", p.FutureSkew, err)
	}
	c.Orders.ReceiptTimeTolerance = config.Duration{}
	if p, _ := PolicyFrom(c); p.FutureSkew != DefaultFutureSkew {
		t.Errorf("tolerance %v with none configured, want %v", p.FutureSkew, DefaultFutureSkew)
	}
	if p := DefaultPolicy(); p.FutureSkew != 5*time.Minute || p.Commitment["点火"] != 3 {
		t.Errorf("default policy %+v", p)
	}
}
