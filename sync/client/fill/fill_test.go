package fill_test

import (
	"testing"
	"time"

	"meter-sync/domain"
	"meter-sync/orders"
	"meter-sync/protocol/syncwire"
	"meter-sync/store"
	"meter-sync/store/storetest"
	"meter-sync/sync"
	"meter-sync/sync/client/fill"
)

// TestReceiptsPassTheServersRules fills a receipt for every business and
// outcome the business offers, at a household in a state the business
// needs, and checks it against the server's own receipt rules.
func TestReceiptsPassTheServersRules(t *testing.T) {
	now := time.Now()
	from := map[domain.Business]domain.MeterState{domain.BizInstall: domain.StateApplied, domain.BizIgnite: domain.StateInstalled,
		domain.BizUnseal: domain.StateSealed}
	for _, biz := range orders.Types() {
		spec, _ := orders.SpecOf(biz)
		for _, outcome := range spec.Outcomes {
			if outcome == "完成" {
				continue // only for 进户管改装, which the emulator does not do
			}
			t.Run(string(biz)+"/"+outcome, func(t *testing.T) {
				c := storetest.Household("3300000001", 1001, 1, 1, 101, domain.OddMonths)
				if s, ok := from[biz]; ok {
					c.Meter.State = s
				}
				if biz == domain.BizExchange {
					c.Meter.Kind = domain.KindIC
				}
				o := store.Order{ID: "PG0000000001", Version: 3, CustomerID: c.ID, Business: string(biz), Status: store.OrderDispatched}
				w, err := fill.Receipt(sync.WireOrder(&o), sync.WireCustomer(&c), fill.Options{Outcome: outcome, Now: now, Photos: 1, PhotoSize: 1000})
				if err != nil {
					t.Fatal(err)
				}
				r, probs := orders.DecodeReceipt(w.Receipt)
				if len(probs) == 0 {
					probs = orders.ValidateReceipt(r, orders.Context{Customer: &c, Order: &o, Now: now, FutureSkew: 5 * time.Minute})
				}
				for _, p := range probs {
					t.Errorf("%s %s: %s", p.Path, p.Rule, p.Message)
				}
				if want := 1 + map[bool]int{true: 1}[outcome == fill.Pass && spec.Signature]; len(w.Attachments) != want {
					t.Errorf("%d attachments, want %d", len(w.Attachments), want)
				}
			})
		}
	}
}

func TestPhotosHaveRealisticSizes(t *testing.T) {
	o := syncwire.Order{ID: "PG1", CustomerID: "C1", Business: "安装"}
	w, err := fill.Receipt(o, syncwire.Customer{ID: "C1"}, fill.Options{Now: time.Now(), Photos: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Attachments) != 3 {
		t.Fatalf("%d attachments, want 3", len(w.Attachments))
	}
	for _, a := range w.Attachments {
		if len(a) < fill.MinPhoto || len(a) > fill.MaxPhoto {
			t.Errorf("a photo of %d bytes", len(a))
		}
	}
}
