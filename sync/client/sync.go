package client

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"meter-sync/protocol/syncwire"
)

// NewID makes a mutation id: a random (version 4) UUID.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// SHA256 is how a receipt names an attachment: the SHA-256 of its bytes in
// lowercase hex.
func SHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Submit keeps a receipt the technician saved as a pending mutation, with
// the bytes of the attachments it references, in one Store transaction.
// orderID is "" for a receipt that creates its order; otherwise the order
// must be held, and its version is the mutation's base version.
func (c *Client) Submit(orderID string, receipt json.RawMessage, attachments [][]byte) (Mutation, error) {
	m := Mutation{Mutation: syncwire.Mutation{ID: NewID(), Kind: syncwire.KindReceipt, OrderID: orderID,
		MadeAt: c.now().UTC(), Receipt: receipt}, State: StatePending}
	if orderID != "" {
		o, err := c.st.Order(orderID)
		if err != nil {
			return m, fmt.Errorf("client: order %s: %w", orderID, err)
		}
		m.BaseVersion = o.Version
	}
	b := Batch{Mutations: []Mutation{m}, BlobData: map[string][]byte{}}
	for _, a := range attachments {
		sha := SHA256(a)
		if _, dup := b.BlobData[sha]; dup {
			continue
		}
		m.Attachments = append(m.Attachments, sha)
		b.BlobData[sha] = a
		b.PutBlobs = append(b.PutBlobs, Blob{SHA256: sha, Size: int64(len(a))})
	}
	b.Mutations[0] = m
	return m, c.st.Apply(b)
}

// Report says what one Sync did.
type Report struct {
	Pushed, Applied, Rejected, Conflicts int // mutations sent and their results
	Uploaded                             int // attachments completed
	Pages, Orders, Removed               int // pull pages, orders received, removals received
	Held                                 int // removals kept back for pending work
}

// Sync pushes the pending mutations, uploads the attachments and pulls
// until caught up. It stops at the first step that fails after its
// retries; what was done before stays done.
func (c *Client) Sync(ctx context.Context) (Report, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var r Report
	if err := c.push(ctx, &r); err != nil {
		return r, err
	}
	if err := c.upload(ctx, &r); err != nil {
		return r, err
	}
	return r, c.pull(ctx, &r)
}

// Push pushes the pending mutations only.
func (c *Client) Push(ctx context.Context) (Report, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var r Report
	return r, c.push(ctx, &r)
}

// Upload uploads the attachments only.
func (c *Client) Upload(ctx context.Context) (Report, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var r Report
	return r, c.upload(ctx, &r)
}

// Pull pulls until caught up, only.
func (c *Client) Pull(ctx context.Context) (Report, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var r Report
	return r, c.pull(ctx, &r)
}

func (c *Client) push(ctx context.Context, r *Report) error {
	all, err := c.st.Mutations()
	if err != nil {
		return err
	}
	var pending []Mutation
	for _, m := range all {
		if m.State == StatePending {
			pending = append(pending, m)
		}
	}
	for len(pending) > 0 {
		n := min(len(pending), c.opt.PushBatch)
		if err := c.pushBatch(ctx, pending[:n], r); err != nil {
			return err
		}
		pending = pending[n:]
	}
	return nil
}

// pushBatch pushes up to PushBatch mutations and keeps their results.
func (c *Client) pushBatch(ctx context.Context, batch []Mutation, r *Report) error {
	wire := make([]syncwire.Mutation, len(batch))
	for i, m := range batch {
		wire[i] = m.Mutation
	}
	raw, err := syncwire.EncodePush(wire)
	if err != nil {
		return err
	}
	var resp syncwire.PushResponse
	err = c.retry(ctx, "push", func() error {
		a, err := c.postJSON(ctx, "/api/v1/sync/push", raw)
		if err != nil {
			return err
		}
		if resp, err = syncwire.DecodePushResponse(a.body); err != nil {
			return fmt.Errorf("client: push answer: %w", err)
		}
		if len(resp.Results) != len(batch) {
			return fmt.Errorf("client: push answer has %d results for %d mutations", len(resp.Results), len(batch))
		}
		return nil
	})
	r.Pushed += len(batch)
	if err != nil {
		for i := range batch {
			batch[i].Tries++
			batch[i].LastError = err.Error()
		}
		if serr := c.st.Apply(Batch{Mutations: batch}); serr != nil {
			return errors.Join(err, serr)
		}
		return err
	}
	return c.keepResults(batch, resp, r)
}

// keepResults stores each mutation's result and what it says of its
// order, and lets go of the orders held back only for these mutations.
func (c *Client) keepResults(batch []Mutation, resp syncwire.PushResponse, r *Report) error {
	meta, err := c.st.Meta()
	if err != nil {
		return err
	}
	meta.SkewMs = resp.SkewMs
	b := Batch{Meta: &meta}
	for i, m := range batch {
		res := resp.Results[i]
		if res.ID != m.ID {
			return fmt.Errorf("client: push result %d is for %s, not %s", i, res.ID, m.ID)
		}
		m.Tries++
		m.State, m.Result, m.Missing, m.DecidedAt, m.LastError = res.Status, &res, res.Missing, c.now().UTC(), ""
		switch res.Status {
		case StateApplied:
			r.Applied++
		case StateRejected:
			r.Rejected++
		case StateConflict:
			r.Conflicts++
		default:
			m.State = StatePending // an unknown status is not a decision this client can show
			m.LastError = "unknown result status " + strconv.Quote(res.Status)
		}
		if res.Order != nil {
			b.PutOrders = append(b.PutOrders, Order{Order: *res.Order})
		}
		b.Mutations = append(b.Mutations, m)
	}
	if err := c.st.Apply(b); err != nil {
		return err
	}
	return c.releaseHeld()
}

// releaseHeld removes the orders kept after their removal once no pending
// mutation is left for them.
func (c *Client) releaseHeld() error {
	orders, err := c.st.Orders()
	if err != nil {
		return err
	}
	pending, err := c.pendingOrders()
	if err != nil {
		return err
	}
	var gone []string
	for _, o := range orders {
		if o.Removed != "" && !pending[o.ID] {
			gone = append(gone, o.ID)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	return c.st.Apply(Batch{DeleteOrders: gone, DeleteCustomers: orphans(orders, gone)})
}

// pendingOrders is the set of orders with a pending mutation.
func (c *Client) pendingOrders() (map[string]bool, error) {
	all, err := c.st.Mutations()
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, m := range all {
		if m.State == StatePending && m.OrderID != "" {
			out[m.OrderID] = true
		}
	}
	return out, nil
}

// orphans are the customers of the orders gone that no other order needs.
func orphans(orders []Order, gone []string) []string {
	goneSet := map[string]bool{}
	for _, id := range gone {
		goneSet[id] = true
	}
	need, maybe := map[string]bool{}, map[string]bool{}
	for _, o := range orders {
		if goneSet[o.ID] {
			maybe[o.CustomerID] = true
		} else {
			need[o.CustomerID] = true
		}
	}
	var out []string
	for id := range maybe {
		if !need[id] {
			out = append(out, id)
		}
	}
	return out
}

func (c *Client) pull(ctx context.Context, r *Report) error {
	meta, err := c.st.Meta()
	if err != nil {
		return err
	}
	rebuild := false
	for {
		var page syncwire.ChangesPage
		path := "/api/v1/sync/changes?limit=" + strconv.Itoa(c.opt.PageLimit)
		if meta.Cursor != "" {
			path += "&cursor=" + url.QueryEscape(meta.Cursor)
		}
		err := c.retry(ctx, "pull", func() error {
			a, err := c.do(ctx, request{method: http.MethodGet, path: path})
			if err != nil {
				return err
			}
			page, err = syncwire.DecodeChangesPage(a.body)
			return err
		})
		var ae *APIError
		if errors.As(err, &ae) && ae.Body.Code == "resync_required" && !rebuild {
			c.log.Warn("the server asks for a pull from scratch", "cursor", meta.Cursor)
			meta.Cursor, rebuild = "", true
			continue
		}
		if err != nil {
			return err
		}
		b, err := c.pageBatch(page, rebuild, r)
		if err != nil {
			return err
		}
		rebuild = false
		meta.Cursor, meta.SkewMs = page.Cursor, page.SkewMs
		if !page.More {
			meta.LastSync = c.now().UTC()
		}
		b.Meta = &meta
		if err := c.st.Apply(b); err != nil {
			return err
		}
		r.Pages++
		if !page.More {
			return nil
		}
	}
}

// pageBatch turns a page into the Store's batch: orders replaced whole,
// removals applied unless the tablet still holds pending work for the
// order, which is then kept with the removal's reason.
func (c *Client) pageBatch(page syncwire.ChangesPage, rebuild bool, r *Report) (Batch, error) {
	b := Batch{ClearOrders: rebuild, PutCustomers: page.Customers}
	orders, err := c.st.Orders()
	if err != nil {
		return b, err
	}
	pending, err := c.pendingOrders()
	if err != nil {
		return b, err
	}
	local := map[string]Order{}
	for _, o := range orders {
		local[o.ID] = o
		if rebuild && pending[o.ID] {
			b.PutOrders = append(b.PutOrders, o) // a rebuild keeps what pending work needs
			if cu, err := c.st.Customer(o.CustomerID); err == nil {
				b.PutCustomers = append([]syncwire.Customer{cu}, b.PutCustomers...)
			}
		}
	}
	for _, o := range page.Orders {
		b.PutOrders = append(b.PutOrders, Order{Order: o})
		local[o.ID] = Order{Order: o}
	}
	r.Orders += len(page.Orders)
	r.Removed += len(page.Removed)
	var gone []string
	for _, rm := range page.Removed {
		o, ok := local[rm.OrderID]
		switch {
		case !ok:
		case pending[rm.OrderID]:
			o.Removed = rm.Reason
			b.PutOrders = append(b.PutOrders, o)
			r.Held++
		default:
			gone = append(gone, rm.OrderID)
		}
	}
	if len(gone) > 0 {
		all := make([]Order, 0, len(local))
		for _, o := range local {
			all = append(all, o)
		}
		b.DeleteOrders, b.DeleteCustomers = gone, orphans(all, gone)
	}
	return b, nil
}
