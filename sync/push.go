package sync

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"meter-sync/orders"
	"meter-sync/protocol/syncwire"
	"meter-sync/store"
)

// Push decides every mutation of a push body, each in a transaction of its
// own that also stores its idempotency record: a mutation already decided
// is answered with that decision and not applied again; a bad one is
// answered rejected and the ones behind it are decided as usual. The error
// is for a body that cannot be read (*syncwire.FieldError) and for store
// failures; the mutations decided before a failure stay decided.
func (s *Service) Push(c Caller, body []byte) (syncwire.PushResponse, error) {
	now := s.now()
	skew := skewOf(c.DeviceTime, now)
	resp := syncwire.PushResponse{ServerTime: now, SkewMs: skew.Milliseconds(), Results: []syncwire.Result{}}
	items, err := syncwire.DecodePush(body)
	if err != nil {
		return resp, err
	}
	var readings []int
	for i, it := range items {
		if it.Mutation.Kind == syncwire.KindReading {
			readings = append(readings, i)
		}
	}
	if s.opt.Applier == nil && len(readings) < len(items) || s.opt.Readings == nil && len(readings) > 0 {
		return resp, ErrUnavailable
	}
	if err := s.noteDevice(c, skew, now); err != nil {
		return resp, err
	}
	results := make([]syncwire.Result, len(items))
	for i, it := range items {
		if it.Mutation.Kind == syncwire.KindReading {
			continue
		}
		if isReader(c) && len(it.Problems) == 0 {
			it.Problems = []syncwire.Problem{{Path: fmt.Sprintf("mutations[%d].kind", i), Rule: "role",
				Message: "抄表员账号不能提交回执"}}
		}
		if results[i], err = s.decide(c, i, it, skew, now); err != nil {
			return resp, fmt.Errorf("mutation %d: %w", i, err)
		}
		resp.Results = append(resp.Results, results[i])
	}
	if len(readings) > 0 {
		if err := s.decideReadings(c, items, readings, results, skew, now); err != nil {
			return resp, fmt.Errorf("readings: %w", err)
		}
	}
	resp.Results = results
	return resp, nil
}

// digest identifies a mutation's content whatever the order of its JSON
// keys, so that a retry is recognised and an id reused for something else
// is not.
func digest(m syncwire.Mutation) string {
	var receipt, reading any
	_ = json.Unmarshal(m.Receipt, &receipt)
	b, _ := json.Marshal(struct {
		Kind    string
		OrderID string
		Base    int
		MadeAt  time.Time
		Receipt any
	}{m.Kind, m.OrderID, m.BaseVersion, m.MadeAt.UTC(), receipt})
	if m.Reading != nil { // (a receipt's digest stays what it always was)
		_ = json.Unmarshal(m.Reading, &reading)
		r, _ := json.Marshal(reading)
		b = append(append(b, '\n'), r...)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// decide decides mutation i in one transaction.
func (s *Service) decide(c Caller, i int, it syncwire.Item, skew time.Duration, now time.Time) (syncwire.Result, error) {
	m := it.Mutation
	res := syncwire.Result{ID: m.ID, OrderID: m.OrderID, Status: syncwire.StatusRejected, Problems: it.Problems}
	if _, ok := syncwire.CanonicalUUID(m.ID); !ok {
		return res, nil // nothing to key a record by: answered, not kept
	}
	err := s.opt.Store.Update(func(tx store.Tx) error {
		d := digest(m)
		if old, err := tx.Mutation(c.Account.ID, m.ID); err == nil {
			res = replay(old, d, i)
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		rec := store.Mutation{Account: c.Account.ID, ID: m.ID, Digest: d, Device: c.Device, At: now, Kind: m.Kind, OrderID: m.OrderID}
		rec.Body, _ = json.Marshal(m)
		if len(it.Problems) == 0 {
			var err error
			if res, err = s.applyReceipt(tx, c, i, m, skew, now); err != nil {
				return err
			}
		}
		return s.keep(tx, c, rec, res, skew)
	})
	return res, err
}

// replay answers a mutation decided before: the same decision, with the
// attachments still missing now.
func replay(old store.Mutation, d string, i int) syncwire.Result {
	var r syncwire.Result
	if old.Digest != d {
		return syncwire.Result{ID: old.ID, Status: syncwire.StatusRejected, Problems: []syncwire.Problem{{
			Path: fmt.Sprintf("mutations[%d].id", i), Rule: "reused",
			Message: "this id was used for another mutation, which was decided; make a new id for a new mutation"}}}
	}
	_ = json.Unmarshal(old.Result, &r)
	r.Missing = slices.Clone(old.Missing)
	r.Replayed = true
	return r
}

// applyReceipt hands a receipt to the rules and says their decision in
// the protocol's words.
func (s *Service) applyReceipt(tx store.Tx, c Caller, i int, m syncwire.Mutation, skew time.Duration, now time.Time) (syncwire.Result, error) {
	at := fmt.Sprintf("mutations[%d].receipt", i)
	res := syncwire.Result{ID: m.ID, OrderID: m.OrderID, Status: syncwire.StatusRejected}
	r, probs := orders.DecodeReceipt(m.Receipt)
	if len(probs) == 0 && r.OrderID != "" && r.OrderID != m.OrderID {
		probs = append(probs, orders.Problem{Path: "order_id", Rule: "mismatch", Message: "回执的派工单号与变更的不一致"})
	}
	if len(probs) > 0 {
		res.Problems = problems(at, probs)
		return res, nil
	}
	r.OrderID = m.OrderID
	if r.ID == "" {
		r.ID = m.ID
	}
	if skew.Abs() > s.opt.MaxSkew {
		correctTimes(&r, skew)
		res.TimesCorrected, res.SkewMs = true, skew.Milliseconds()
	}
	out, err := s.opt.Applier.ApplyReceipt(tx, c.actor(), r, m.BaseVersion, now)
	if errors.Is(err, orders.ErrRejected) {
		res.Problems = problems(at, orders.Problems(err))
		return res, nil
	} else if err != nil {
		return res, err
	}
	switch out.Kind {
	case orders.Applied:
		res.Status = syncwire.StatusApplied
	case orders.Conflict:
		res.Status, res.Conflict = syncwire.StatusConflict, out.Conflict
	}
	res.Problems = problems(at, out.Problems)
	res.ReceiptID, res.ReceiptVersion = out.Receipt.ID, out.Receipt.Version
	if out.Order != nil {
		res.OrderID = out.Order.ID
		if held, err := tx.Held(c.scope(), out.Order.ID); err != nil {
			return res, err
		} else if held {
			w := WireOrder(out.Order)
			res.Order = &w
		}
	}
	if out.Receipt.ID != "" {
		if res.Missing, err = s.missing(r.Attachments); err != nil {
			return res, err
		}
	}
	return res, nil
}

func problems(at string, ps []orders.Problem) []syncwire.Problem {
	out := make([]syncwire.Problem, 0, len(ps))
	for _, p := range ps {
		path := at
		if p.Path != "" {
			path += "." + p.Path
		}
		out = append(out, syncwire.Problem{Path: path, Rule: p.Rule, Message: p.Message})
	}
	return out
}

// correctTimes moves a receipt's instants from the device's clock to the
// server's.
func correctTimes(r *orders.Receipt, skew time.Duration) {
	for _, t := range []*time.Time{&r.ArrivedAt, &r.StartedAt, &r.EndedAt, &r.LeftAt} {
		if !t.IsZero() {
			*t = t.Add(-skew)
		}
	}
	if r.Fee != nil && !r.Fee.ReceivedAt.IsZero() {
		r.Fee.ReceivedAt = r.Fee.ReceivedAt.Add(-skew)
	}
}

// keep stores the idempotency record and the audit entry of a decision in
// the decision's transaction.
func (s *Service) keep(tx store.Tx, c Caller, rec store.Mutation, res syncwire.Result, skew time.Duration) error {
	rec.Status, rec.Missing = res.Status, res.Missing
	if res.OrderID != "" {
		rec.OrderID = res.OrderID
	}
	stored := res
	stored.Missing = nil // kept in rec.Missing, which attachments shrink
	var err error
	if rec.Result, err = json.Marshal(stored); err != nil {
		return err
	}
	if err := tx.PutMutation(rec); err != nil {
		return err
	}
	var base int
	var m syncwire.Mutation
	if json.Unmarshal(rec.Body, &m) == nil {
		base = m.BaseVersion
	}
	note := fmt.Sprintf("变更%s 基于版本%d: %s", rec.ID, base, res.Status)
	if res.Conflict != "" {
		note += " " + res.Conflict
	}
	for _, p := range res.Problems {
		note += fmt.Sprintf("; %s %s", p.Path, p.Rule)
	}
	if len(res.Missing) > 0 {
		note += fmt.Sprintf("; 待上传附件%d个", len(res.Missing))
	}
	note += fmt.Sprintf("; 时钟偏差%dms", skew.Milliseconds())
	key := rec.OrderID
	if key == "" {
		key = rec.ID
	}
	_, err = tx.AppendAudit(store.AuditEntry{At: rec.At, Actor: c.Account.ID, Role: string(c.Account.Role), Device: c.Device,
		Action: "sync.push", Key: key, After: rec.Result, Note: note})
	return err
}

// Rejected lists the mutations the server refused (status rejected, or
// conflict), newest first, for the back office; before is the At of the
// last one of the page before.
func (s *Service) Rejected(status string, before time.Time, limit int) ([]syncwire.Rejected, error) {
	var out []syncwire.Rejected
	err := s.opt.Store.View(func(tx store.ReadTx) error {
		ms, err := tx.Mutations(store.MutationQuery{Status: status, Before: before, Limit: limit})
		for _, m := range ms {
			r := syncwire.Rejected{Account: m.Account, Device: m.Device, ID: m.ID, At: m.At, Status: m.Status,
				OrderID: m.OrderID, Body: m.Body}
			_ = json.Unmarshal(m.Result, &r.Result)
			r.Result.Missing = m.Missing
			out = append(out, r)
		}
		return err
	})
	return out, err
}
