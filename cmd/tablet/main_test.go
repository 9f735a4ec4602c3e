package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"meter-sync/sync/client"
	"meter-sync/tools/faultproxy"
)

// TestTabletsOnAFaultyNetwork: two technicians' tablets sync with a real
// server through a network that drops, delays, duplicates and cuts; the
// office voids and reassigns work while one tablet is offline. Every
// receipt arrives once, nothing is half-applied, the office's changes reach
// the tablet as conflicts with its field work kept, and neither tablet
// sees the other's orders.
func TestTabletsOnAFaultyNetwork(t *testing.T) {
	c := newCity(t, 30)
	srv := c.serve(t, "127.0.0.1:0", 0)
	var mine, theirs []string
	for i, home := range c.homes[:18] {
		if i < 12 {
			mine = append(mine, c.dispatch(t, srv.url, home, "封表", "tech1"))
		} else {
			theirs = append(theirs, c.dispatch(t, srv.url, home, "换表", "tech2"))
		}
	}
	p, err := faultproxy.New(srv.url, faultproxy.Options{Seed: 7, Drop: 0.08, CutRequest: 0.08, DropResponse: 0.08,
		CutResponse: 0.08, Duplicate: 0.08, DelayRate: 0.2, Delay: 30_000_000})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(p)
	defer front.Close()
	a, b := filepath.Join(t.TempDir(), "A"), filepath.Join(t.TempDir(), "B")
	tab(t, a, true, "init", "--server", front.URL, "--token", c.tokens["tech1"], "--device", "TAB-A")
	tab(t, b, true, "init", "--server", front.URL, "--token", c.tokens["tech2"], "--device", "TAB-B")
	tab(t, a, true, "sync", "--until-ok", "10", "--backoff", "10ms")
	tab(t, b, true, "sync", "--until-ok", "10", "--backoff", "10ms")
	checkHolds(t, "A", tabOrders(t, a), mine)
	checkHolds(t, "B", tabOrders(t, b), theirs)

	// Offline, A fills every receipt; the office voids one of A's orders and gives another to B.
	tab(t, a, true, "network", "off")
	tab(t, a, true, "fill", "--all", "--photos", "1", "--photo-size", "100000", "--seed", "1")
	c.act(t, srv.url, "void", mine[0], "")
	c.act(t, srv.url, "reassign", mine[1], "tech2")
	tab(t, a, false, "sync", "--backoff", "1ms")
	if st := tabStatus(t, a); len(st.Pending) != 12 || st.Blobs != 12 {
		t.Fatalf("offline: %d pending, %d photos waiting; want 12 and 12", len(st.Pending), st.Blobs)
	}
	tab(t, a, true, "network", "on")
	tab(t, a, true, "sync", "--until-ok", "10", "--backoff", "10ms")
	st := tabStatus(t, a)
	if len(st.Pending) != 0 || st.Applied != 10 || len(st.Rejected) != 0 || len(st.Conflicts) != 2 || st.Blobs != 0 ||
		st.Incomplete != 0 || len(st.Held) != 0 {
		t.Fatalf("A after sync: %d pending, %d applied, %d rejected, %d conflicts, %d photos waiting, %d incomplete, %d held",
			len(st.Pending), st.Applied, len(st.Rejected), len(st.Conflicts), st.Blobs, st.Incomplete, len(st.Held))
	}
	reasons := map[string]string{}
	for _, m := range st.Conflicts {
		reasons[m.OrderID] = m.Result.Conflict
	}
	t.Logf("A's conflicts: %v", reasons)
	if reasons[mine[0]] == "" || reasons[mine[1]] == "" {
		t.Errorf("conflicts %v, want the voided %s and the reassigned %s", reasons, mine[0], mine[1])
	}
	if os := tabOrders(t, a); len(os) != 0 {
		t.Errorf("A still holds %d orders", len(os))
	}

	// B gets the reassigned order and uploads large photos through cut connections.
	tab(t, b, true, "sync", "--until-ok", "10", "--backoff", "10ms")
	checkHolds(t, "B", tabOrders(t, b), append(slices.Clone(theirs), mine[1]))
	tab(t, b, true, "fill", "--all", "--photos", "2", "--photo-size", "1200000", "--seed", "2")
	const chunk = 256 << 10
	before := p.Stats().Faults[faultproxy.FaultCutRequest]
	p.SetOptions(faultproxy.Options{Seed: 3, CutRequest: 0.3, Match: func(r *http.Request) bool { return r.Method == http.MethodPatch }})
	rep := lastReport(t, tab(t, b, true, "sync", "--json", "--until-ok", "10", "--backoff", "10ms", "--chunk", strconv.Itoa(chunk)))
	cuts := p.Stats().Faults[faultproxy.FaultCutRequest] - before
	resent := rep.Stats.ChunkBytes - 7*2*1200000
	t.Logf("B: 14 photos of 1.2 MB in %d KiB chunks, %d connections cut mid-chunk, %d bytes sent again (%.2f chunk a cut)",
		chunk>>10, cuts, resent, float64(resent)/float64(max(cuts, 1))/chunk)
	if resent > cuts*chunk {
		t.Errorf("%d bytes sent again for %d cuts: more than one chunk a cut", resent, cuts)
	}
	if st := tabStatus(t, b); st.Applied != 7 || len(st.Pending)+len(st.Rejected)+len(st.Conflicts)+st.Blobs != 0 {
		t.Errorf("B: %d applied, %d pending, %d rejected, %d conflicts, %d photos waiting", st.Applied, len(st.Pending),
			len(st.Rejected), len(st.Conflicts), st.Blobs)
	}

	// The server holds every receipt once, whole.
	total := 0
	for _, id := range append(mine, theirs...) {
		d := c.order(t, srv.url, id)
		total += len(d.Receipts)
		want := 1
		if id == mine[1] {
			want = 2 // A's, kept as a conflict, and B's
		}
		if len(d.Receipts) != want {
			t.Errorf("order %s: %d receipts, want %d", id, len(d.Receipts), want)
		}
		for _, r := range d.Receipts {
			if r.Version != 1 {
				t.Errorf("order %s: receipt %s version %d: a retry stored again", id, r.ID, r.Version)
			}
			for _, att := range r.Attachments {
				checkBlob(t, c, srv.url, att.SHA256)
			}
		}
		if id != mine[0] && d.Order.Status != "已完成" {
			t.Errorf("order %s: %s, want 已完成", id, d.Order.Status)
		}
	}
	if total != 12+7 {
		t.Errorf("the server holds %d receipts; the tablets filled %d", total, 12+7)
	}
	// Another technician's order does not exist for a tablet.
	for _, id := range theirs {
		d := c.order(t, srv.url, id)
		if d.Order.Technician != "tech2" {
			t.Errorf("order %s is %s's", id, d.Order.Technician)
		}
	}
	t.Logf("proxy: %+v", p.Stats())
}

func checkHolds(t *testing.T, who string, got []client.Order, want []string) {
	t.Helper()
	var ids []string
	for _, o := range got {
		ids = append(ids, o.ID)
	}
	slices.Sort(ids)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(ids, want) {
		t.Errorf("tablet %s holds %v, want %v", who, ids, want)
	}
}

// checkBlob fetches an attachment as the office and checks its SHA-256.
func checkBlob(t *testing.T, c *city, url, sha string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/api/v1/sync/blobs/"+sha, nil)
	req.Header.Set("Authorization", "Bearer "+c.tokens["leader"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	h := sha256.New()
	io.Copy(h, resp.Body)
	if resp.StatusCode != 200 || hex.EncodeToString(h.Sum(nil)) != sha {
		t.Errorf("attachment %s: %d, not whole", sha, resp.StatusCode)
	}
}

// TestSIGKILLDuringTabletPush kills the server with SIGKILL while a tablet
// pushes its receipts two at a time: every receipt the tablet saw
// acknowledged is in the store after the kill, and once the server is
// back the tablet's next sync completes the rest, each receipt once.
func TestSIGKILLDuringTabletPush(t *testing.T) {
	c := newCity(t, 40)
	srv := c.serve(t, "127.0.0.1:0", 0)
	var ids []string
	for _, home := range c.homes {
		ids = append(ids, c.dispatch(t, srv.url, home, "封表", "tech1"))
	}
	srv.stop()
	srv = c.serve(t, "127.0.0.1:0", 6)
	dir := t.TempDir()
	tab(t, dir, true, "init", "--server", srv.url, "--token", c.tokens["tech1"], "--device", "TAB-K")
	tab(t, dir, true, "sync")
	tab(t, dir, true, "fill", "--all", "--seed", "3")
	tab(t, dir, false, "sync", "--batch", "2", "--retries", "1", "--backoff", "1ms")
	<-srv.done
	st := tabStatus(t, dir)
	acked := map[string]bool{}
	for _, m := range append(append([]client.Mutation(nil), st.Rejected...), st.Conflicts...) {
		t.Errorf("mutation %s: %s", m.ID, m.State)
	}
	if st.Applied < 10 || len(st.Pending) == 0 {
		t.Fatalf("%d applied, %d pending at the kill: it did not land mid-push", st.Applied, len(st.Pending))
	}
	t.Logf("killed after %d pushes: %d receipts acknowledged, %d pending", srv.pushes.Load(), st.Applied, len(st.Pending))
	for _, id := range ids {
		acked[id] = true
	}
	for _, m := range st.Pending {
		acked[m.OrderID] = false
	}
	srv = c.serve(t, "127.0.0.1:0", 0)
	for id, ok := range acked {
		if d := c.order(t, srv.url, id); ok && (len(d.Receipts) != 1 || d.Order.Status != "已完成") {
			t.Errorf("acknowledged receipt for %s: the server has %d receipts, order %s", id, len(d.Receipts), d.Order.Status)
		}
	}
	tab(t, dir, true, "init", "--server", srv.url, "--token", c.tokens["tech1"], "--device", "TAB-K")
	tab(t, dir, true, "sync")
	if st := tabStatus(t, dir); st.Applied != 40 || len(st.Pending)+len(st.Rejected)+len(st.Conflicts) != 0 {
		t.Errorf("after the restart: %d applied, %d pending, %d rejected, %d conflicts", st.Applied, len(st.Pending),
			len(st.Rejected), len(st.Conflicts))
	}
	for _, id := range ids {
		if d := c.order(t, srv.url, id); len(d.Receipts) != 1 || d.Receipts[0].Version != 1 || d.Order.Status != "已完成" {
			t.Errorf("order %s: %d receipts, %s", id, len(d.Receipts), d.Order.Status)
		}
	}
}
