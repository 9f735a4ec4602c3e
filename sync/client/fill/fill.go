// Package fill makes the receipts (回执) an emulated technician fills in on
// a tablet: for each work-order business the form data the receipt rules
// ask for (docs/SYNC.md §Receipts; orders' spec tables), the four times of
// a visit, and "photos" and a signature as random bytes of a realistic
// size. It knows the receipt only by its JSON, as a tablet app would.
package fill

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"meter-sync/protocol/syncwire"
	"meter-sync/sync/client"
)

// Outcomes a receipt may say (回执结果); which a business offers is the
// server's rule.
const (
	Pass       = "合格"
	Unfinished = "未完成"
	Failed     = "不合格"
	Impossible = "无法实施"
	Cancel     = "取消该业务"
)

// Sizes of generated attachments: a tablet's photo as it uploads it
// (JPEG, resized), and a signature (PNG).
const (
	MinPhoto, MaxPhoto         = 150 << 10, 450 << 10
	MinSignature, MaxSignature = 12 << 10, 30 << 10
)

// receipt is the receipt's JSON form.
type receipt struct {
	OrderID       string          `json:"order_id,omitempty"`
	CustomerID    string          `json:"customer_id"`
	Business      string          `json:"business"`
	Outcome       string          `json:"outcome"`
	Remark        string          `json:"remark,omitempty"`
	ArrivedAt     time.Time       `json:"arrived_at,omitzero"`
	StartedAt     time.Time       `json:"started_at,omitzero"`
	EndedAt       time.Time       `json:"ended_at,omitzero"`
	LeftAt        time.Time       `json:"left_at,omitzero"`
	Meter         *meterForm      `json:"meter,omitempty"`
	Exchange      *exchangeForm   `json:"exchange,omitempty"`
	SettleM3      *float64        `json:"settle_m3,omitempty"`
	Reason        string          `json:"reason,omitempty"`
	Test          *testForm       `json:"test,omitempty"`
	Appliances    []appliance     `json:"appliances,omitempty"`
	Hose          *hoseForm       `json:"hose,omitempty"`
	Rectification *rectification  `json:"rectification,omitempty"`
	Consumables   []consumable    `json:"consumables,omitempty"`
	Attachments   []attachmentRef `json:"attachments,omitempty"`
}

type meterForm struct {
	Model     string   `json:"model,omitempty"`
	Direction string   `json:"direction,omitempty"`
	BaseM3    *float64 `json:"base_m3,omitempty"`
	ReadingM3 *float64 `json:"reading_m3,omitempty"`
}

type exchangeForm struct {
	OldFinalM3 *float64 `json:"old_final_m3,omitempty"`
	NewStartM3 *float64 `json:"new_start_m3,omitempty"`
	Model      string   `json:"model,omitempty"`
	Direction  string   `json:"direction,omitempty"`
	ICActualM3 *float64 `json:"ic_actual_m3,omitempty"`
	ICToppedM3 *float64 `json:"ic_topped_m3,omitempty"`
	ICRefillM3 *float64 `json:"ic_to_refill_m3,omitempty"`
}

type testForm struct {
	BeforeM3    *float64 `json:"before_m3,omitempty"`
	SettledM3   *float64 `json:"settled_m3,omitempty"`
	TempModel   string   `json:"temp_model,omitempty"`
	TempMeterNo string   `json:"temp_meter_no,omitempty"`
}

type appliance struct {
	Kind     string `json:"kind"`
	Brand    string `json:"brand,omitempty"`
	FlameOut *bool  `json:"flame_out,omitempty"`
	Year     int    `json:"year,omitempty"`
}

type hoseForm struct {
	LengthM float64 `json:"length_m"`
}

type rectification struct {
	Year       int       `json:"year,omitempty"`
	Kind       string    `json:"kind,omitempty"`
	Date       time.Time `json:"date,omitzero"`
	Result     string    `json:"result,omitempty"`
	Conclusion string    `json:"conclusion,omitempty"`
}

type consumable struct {
	Name string  `json:"name"`
	Qty  float64 `json:"qty"`
	Unit string  `json:"unit,omitempty"`
}

type attachmentRef struct {
	Kind   string `json:"kind"`
	SHA256 string `json:"sha256"`
	Name   string `json:"name,omitempty"`
}

// Work is a filled receipt and the attachments' bytes it references.
type Work struct {
	Receipt     json.RawMessage
	Attachments [][]byte
}

// Options say what the technician records.
type Options struct {
	// Outcome is the receipt's result; "" is 合格.
	Outcome string
	// Photos is the number of photos taken; an installation takes at least one.
	Photos int
	// Now is the tablet's clock when the receipt is saved: the visit ends
	// half an hour before.
	Now time.Time
	// Rand draws the readings and the attachments' bytes; nil is seeded
	// from the order's id.
	Rand *rand.Rand
	// PhotoSize, when not zero, is every photo's size in bytes.
	PhotoSize int
}

// Receipt fills a receipt for order o at household c.
func Receipt(o syncwire.Order, c syncwire.Customer, opt Options) (Work, error) {
	rng := opt.Rand
	if rng == nil {
		var seed uint64
		for _, b := range []byte(o.ID) {
			seed = seed*131 + uint64(b)
		}
		rng = rand.New(rand.NewPCG(seed, 7))
	}
	if opt.Outcome == "" {
		opt.Outcome = Pass
	}
	now := opt.Now.Truncate(time.Second)
	r := receipt{OrderID: o.ID, CustomerID: o.CustomerID, Business: o.Business, Outcome: opt.Outcome,
		ArrivedAt: now.Add(-2 * time.Hour), StartedAt: now.Add(-110 * time.Minute), EndedAt: now.Add(-40 * time.Minute),
		LeftAt: now.Add(-30 * time.Minute)}
	var w Work
	photos := opt.Photos
	if opt.Outcome == Pass {
		if photos == 0 && o.Business == "安装" {
			photos = 1
		}
		if err := forms(&r, c, rng, now); err != nil {
			return w, err
		}
		if o.Business == "统一换表" || o.Business == "更换调压器" {
			w.attach(&r, rng, "signature", "用户签字.png", MinSignature+rng.IntN(MaxSignature-MinSignature))
		}
	} else {
		r.Remark = remarks[opt.Outcome]
	}
	for i := range photos {
		size := opt.PhotoSize
		if size == 0 {
			size = MinPhoto + rng.IntN(MaxPhoto-MinPhoto)
		}
		w.attach(&r, rng, "photo", fmt.Sprintf("现场照片%d.jpg", i+1), size)
	}
	var err error
	w.Receipt, err = json.Marshal(r)
	return w, err
}

var remarks = map[string]string{
	Unfinished: "用户家中无人,已电话联系,改日上门",
	Failed:     "现场管道不符合安装条件,需用户整改后再约",
	Impossible: "用户电话无人接听,无法入户",
	Cancel:     "用户要求取消该业务,等用户电话",
}

// attach adds n random bytes as an attachment: incompressible, as JPEG and
// PNG are.
func (w *Work) attach(r *receipt, rng *rand.Rand, kind, name string, n int) {
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	w.Attachments = append(w.Attachments, b)
	r.Attachments = append(r.Attachments, attachmentRef{Kind: kind, SHA256: client.SHA256(b), Name: name})
}

func vol(v float64) *float64 {
	v = math.Round(v)
	return &v
}

// forms writes the form data a completed receipt of the business needs.
func forms(r *receipt, c syncwire.Customer, rng *rand.Rand, now time.Time) error {
	model := c.Meter.Model
	if model == "" {
		model = "G2.5"
	}
	used := c.Meter.BaseM3 + float64(50+rng.IntN(900))
	limit := math.Pow10(max(c.Meter.DialDigits, 4)) - 1
	used = math.Min(used, limit)
	switch r.Business {
	case "安装":
		r.Meter = &meterForm{Model: "G2.5", Direction: "左进", BaseM3: vol(0)}
		r.Consumables = []consumable{{Name: "镀锌管", Qty: 3, Unit: "米"}, {Name: "表前阀", Qty: 1, Unit: "个"}}
	case "改装", "更换调压器":
		r.Consumables = []consumable{{Name: "镀锌管", Qty: 2, Unit: "米"}}
	case "点火", "二次点火":
		yes := true
		r.Meter = &meterForm{Model: model, Direction: "左进", ReadingM3: vol(c.Meter.BaseM3)}
		r.Appliances = []appliance{{Kind: "灶具", Brand: "方太", FlameOut: &yes, Year: now.Year() - rng.IntN(5)}}
	case "封表", "拆表":
		r.SettleM3, r.Reason = vol(used), map[string]string{"封表": "用户欠费", "拆表": "用户申请拆表"}[r.Business]
	case "启封":
		r.SettleM3 = vol(used)
	case "校表":
		r.Test = &testForm{BeforeM3: vol(used), SettledM3: vol(used), TempModel: model, TempMeterNo: fmt.Sprintf("LS%06d", rng.IntN(1e6))}
	case "换表", "统一换表":
		r.Exchange = &exchangeForm{OldFinalM3: vol(used), NewStartM3: vol(0), Model: "G2.5", Direction: "左进"}
		if c.Meter.Kind == "IC卡" {
			r.Exchange.ICActualM3, r.Exchange.ICToppedM3, r.Exchange.ICRefillM3 = vol(used), vol(used+20), vol(20)
		}
	case "换波纹管/其它":
		r.Hose = &hoseForm{LengthM: 1.5}
	case "隐患整改":
		r.Rectification = &rectification{Year: now.Year(), Kind: "整改完成", Date: now.Add(-time.Hour), Result: "已更换老化胶管", Conclusion: "通过"}
	default:
		return fmt.Errorf("fill: unknown business %q", r.Business)
	}
	return nil
}
