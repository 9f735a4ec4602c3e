package device

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/protocol/syncwire"
	"meter-sync/store"
	tabsync "meter-sync/sync"
	"meter-sync/tabular"
	"meter-sync/vee"
)

// netReader is reader testReader's networked handheld; netOther is another
// reader's.
var (
	netReader = tabsync.Caller{Account: account.Account{ID: "reader1", Role: account.RoleReader, ReaderID: testReader}, Device: "AND-1"}
	netOther  = tabsync.Caller{Account: account.Account{ID: "reader2", Role: account.RoleReader, ReaderID: "R002"}, Device: "AND-2"}
)

// netFixture is the sync over a test city with the networked handhelds'
// readings import, on a clock the test moves.
type netFixture struct {
	*testCity
	svc *tabsync.Service
	now time.Time
}

func newNetFixture(t *testing.T) *netFixture {
	t.Helper()
	f := &netFixture{testCity: newCity(t), now: dockDay}
	f.svc = tabsync.New(tabsync.Options{Store: f.db, Readings: &Network{SpoolDir: t.TempDir()},
		BlobDir: t.TempDir(), Now: func() time.Time { return f.now }})
	return f
}

func (f *netFixture) pull(t *testing.T, c tabsync.Caller, cursor string) syncwire.ChangesPage {
	t.Helper()
	c.DeviceTime = f.now
	p, err := f.svc.PullRoute(c, cursor, f.city.Cycle.String())
	if err != nil {
		t.Fatalf("PullRoute: %v", err)
	}
	return p
}

// push pushes readings, each with its UUID, and returns the results.
func (f *netFixture) push(t *testing.T, c tabsync.Caller, ids []string, rs []syncwire.Reading) []syncwire.Result {
	t.Helper()
	c.DeviceTime = f.now
	ms := make([]syncwire.Mutation, len(rs))
	for i, r := range rs {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		ms[i] = syncwire.Mutation{ID: ids[i], Kind: syncwire.KindReading, MadeAt: f.now, Reading: b}
	}
	body, err := syncwire.EncodePush(ms)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.svc.Push(c, body)
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	return resp.Results
}

// fileReadings are the rows of the generator's readings file for the
// reader's route households, as their cells say, in file order.
func (f *netFixture) fileReadings(t *testing.T) []syncwire.Reading {
	t.Helper()
	in := idsOf(f.route(t, testReader, f.city.Cycle))
	r, err := tabular.Open(f.readingsFile(testReader), interchange.ReadingSchema, tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []syncwire.Reading
	for {
		row, err := r.Next()
		if err != nil {
			break
		}
		id := row.Value(interchange.GCustomerID)
		if !in[id] || row.Value(interchange.GReading) == "" || slices.ContainsFunc(out, func(x syncwire.Reading) bool { return x.CustomerID == id }) {
			continue
		}
		rd := syncwire.Reading{Cycle: f.city.Cycle.String(), CustomerID: id, SeqNo: row.Value(interchange.GSeqNo),
			Value: row.Value(interchange.GReading), ReadAt: row.Value(interchange.GReadAt),
			ICRemaining: row.Value(interchange.GICRemaining), ICUsed: row.Value(interchange.GICUsed), Remark: row.Value(interchange.GRemark)}
		if fl := row.Value(interchange.GFlags); fl != "" {
			rd.Flags = strings.Split(fl, "|")
		}
		out = append(out, rd)
	}
	if len(out) < 10 {
		t.Fatalf("only %d readings of the route in the file", len(out))
	}
	return out
}

func (f *netFixture) versionsOf(t *testing.T, id string) []domain.ReadingVersion {
	t.Helper()
	var vs []domain.ReadingVersion
	if err := f.db.View(func(tx store.ReadTx) error {
		var err error
		vs, err = tx.ReadingVersions(id, f.city.Cycle)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return vs
}

func uuid(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// TestNetworkReaderPullsRouteAndRereads: a reader's first pull is the whole
// route as the route file shows it; a pull with nothing new sends nothing;
// a household returned for a re-read comes again in its bucket marked as a
// re-read, and goes back to an ordinary household once read again.
func TestNetworkReaderPullsRouteAndRereads(t *testing.T) {
	f := newNetFixture(t)
	route := f.route(t, testReader, f.city.Cycle)
	first := f.pull(t, netReader, "")
	if len(first.Households) != len(route) || len(first.Buckets) != syncwire.RouteBuckets || first.Cycle != f.city.Cycle.String() {
		t.Fatalf("first pull: %d households in %d buckets for %s; want the route's %d in every bucket",
			len(first.Households), len(first.Buckets), first.Cycle, len(route))
	}
	for i, h := range first.Households {
		if h.ID != route[i].ID || h.SeqNo != route[i].Seq.String() || h.Reread || h.Bucket != syncwire.BucketOf(h.ID) {
			t.Fatalf("household %d: %+v; want %s (%s) in walking order", i, h, route[i].ID, route[i].Seq)
		}
	}
	if again := f.pull(t, netReader, first.Cursor); len(again.Households)+len(again.Buckets) != 0 || again.Cursor != first.Cursor {
		t.Fatalf("a pull with nothing new sent %d households, buckets %v", len(again.Households), again.Buckets)
	}
	if _, err := f.svc.PullRoute(netOther, first.Cursor, ""); err == nil || !strings.Contains(err.Error(), "not a cursor given to this account") {
		t.Errorf("another reader's pull with this cursor: %v", err)
	}

	rows := f.fileReadings(t)
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = uuid(i + 1)
	}
	for lo := 0; lo < len(rows); lo += syncwire.MaxMutations {
		hi := min(lo+syncwire.MaxMutations, len(rows))
		for _, r := range f.push(t, netReader, ids[lo:hi], rows[lo:hi]) {
			if r.Status != syncwire.StatusApplied {
				t.Fatalf("push of the route's readings: %+v", r)
			}
		}
	}
	returned := f.returnAt(t, f.now)
	f.now = f.now.Add(time.Hour)
	p := f.pull(t, netReader, first.Cursor)
	b := syncwire.BucketOf(returned)
	if !slices.Equal(p.Buckets, []int{b}) {
		t.Fatalf("after a re-read was returned the pull replaced buckets %v; want [%d]", p.Buckets, b)
	}
	i := slices.IndexFunc(p.Households, func(h syncwire.Household) bool { return h.ID == returned })
	if i < 0 || !p.Households[i].Reread || p.Households[i].RereadNote != "读数可疑" {
		t.Fatalf("the returned household in the page: %+v", p.Households)
	}
	for _, h := range p.Households {
		if h.Bucket != b || h.ID != returned && h.Reread {
			t.Errorf("household %+v in a page replacing bucket %d", h, b)
		}
	}

	var reread syncwire.Reading
	for _, r := range rows {
		if r.CustomerID == returned {
			reread = r
		}
	}
	reread.Value, reread.Remark = "99999", "重抄"
	res := f.push(t, netReader, []string{uuid(900)}, []syncwire.Reading{reread})
	if res[0].Status != syncwire.StatusApplied || res[0].Unchanged {
		t.Fatalf("the re-read: %+v", res[0])
	}
	done := f.pull(t, netReader, p.Cursor)
	if !slices.Equal(done.Buckets, []int{b}) || slices.ContainsFunc(done.Households, func(h syncwire.Household) bool { return h.Reread }) {
		t.Errorf("after the re-read the pull says buckets %v, households %+v", done.Buckets, done.Households)
	}
	if vs := f.versionsOf(t, returned); vs[len(vs)-1].Why != "重抄" || vs[len(vs)-1].Source != domain.FromNetwork {
		t.Errorf("the re-read is stored as %+v", vs[len(vs)-1])
	}
}

// returnAt returns the household of the reader's first anomaly for a
// re-read at the instant given, as a reviewer does.
func (f *netFixture) returnAt(t *testing.T, at time.Time) string {
	t.Helper()
	var id string
	err := f.db.Update(func(tx store.Tx) error {
		as, err := tx.Anomalies(f.city.Cycle, testReader)
		if err != nil {
			return err
		}
		for _, a := range as {
			if a.Code != string(vee.CodeUnknown) && a.Code != string(vee.CodeMissed) {
				a.Status = store.AnomalyReturned
				a.Decisions = append(a.Decisions, store.Decision{By: "reviewer1", Role: "reviewer", At: at, Action: "reread", Why: "读数可疑"})
				id = a.CustomerID
				_, err := tx.PutAnomaly(a)
				return err
			}
		}
		return fmt.Errorf("no anomaly to return")
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestNetworkPushReadings: readings pushed are stored once however often
// they are pushed; a malformed one is rejected with its field's path and
// the others of its push are applied; another reader's household answers
// as one that does not exist; an anomaly is reported, never a refusal.
func TestNetworkPushReadings(t *testing.T) {
	f := newNetFixture(t)
	rows := f.fileReadings(t)[:4]
	bad := rows[1]
	bad.Value = "12a4"
	var foreign domain.Customer
	for _, c := range f.route(t, "R002", f.city.Cycle)[:1] {
		foreign = c
	}
	stranger, nobody := rows[2], rows[2]
	stranger.CustomerID, stranger.SeqNo = foreign.ID, foreign.Seq.String()
	nobody.CustomerID = "9999999999"
	negative := rows[3]
	prev := f.pull(t, netReader, "").Households
	for _, h := range prev {
		if h.ID == negative.CustomerID {
			negative.Value = interchange.FormatNumber(h.PrevM3 - 5) // 读数倒退
		}
	}

	res := f.push(t, netReader, []string{uuid(1), uuid(2), uuid(3), uuid(4), uuid(5)},
		[]syncwire.Reading{rows[0], bad, stranger, nobody, negative})
	if res[0].Status != syncwire.StatusApplied || res[0].ReadingVersion != 1 || res[0].Unchanged || res[0].CustomerID != rows[0].CustomerID {
		t.Errorf("a good reading: %+v", res[0])
	}
	if res[1].Status != syncwire.StatusRejected || len(res[1].Problems) != 1 || res[1].Problems[0].Path != "mutations[1].reading.value" {
		t.Errorf("a value that is not a number: %+v", res[1])
	}
	if res[2].Status != syncwire.StatusRejected || res[2].Problems[0].Path != "mutations[2].reading.customer_id" ||
		res[2].Problems[0].Rule != res[3].Problems[0].Rule ||
		strings.ReplaceAll(res[2].Problems[0].Message, foreign.ID, "X") != strings.ReplaceAll(res[3].Problems[0].Message, nobody.CustomerID, "X") {
		t.Errorf("another reader's household %+v; one that does not exist %+v", res[2], res[3])
	}
	if res[4].Status != syncwire.StatusApplied || !slices.ContainsFunc(res[4].Anomalies, func(a syncwire.Anomaly) bool { return a.Code == string(vee.CodeNegative) }) {
		t.Errorf("a reading that went backwards: %+v", res[4])
	}
	if vs := f.versionsOf(t, foreign.ID); len(vs) != 0 {
		t.Errorf("another reader's household got %d versions", len(vs))
	}

	// The same push again: every decision replayed, nothing stored again;
	// the same reading under a new UUID (saved twice on the handheld) is
	// applied and changes nothing.
	again := f.push(t, netReader, []string{uuid(1), uuid(2), uuid(6)}, []syncwire.Reading{rows[0], bad, rows[0]})
	if !again[0].Replayed || again[0].Status != syncwire.StatusApplied || !again[1].Replayed || again[1].Status != syncwire.StatusRejected {
		t.Errorf("pushed again: %+v", again[:2])
	}
	if again[2].Status != syncwire.StatusApplied || !again[2].Unchanged || again[2].ReadingVersion != 1 {
		t.Errorf("the same reading under a new id: %+v", again[2])
	}
	if vs := f.versionsOf(t, rows[0].CustomerID); len(vs) != 1 || vs[0].Source != domain.FromNetwork || vs[0].DeviceID != "AND-1" {
		t.Errorf("the reading pushed three times is stored as %+v", vs)
	}
	reused := f.push(t, netReader, []string{uuid(1)}, []syncwire.Reading{rows[2]})
	if reused[0].Status != syncwire.StatusRejected || reused[0].Problems[0].Rule != "reused" {
		t.Errorf("a UUID reused for another reading: %+v", reused[0])
	}
}

// TestNetworkPushThenDock: readings pushed over the network and then docked
// by cable from the same handheld's readings file are stored once: the one
// readings path sees the docked rows as readings it already has.
func TestNetworkPushThenDock(t *testing.T) {
	f := newNetFixture(t)
	rows := f.fileReadings(t)[:20]
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = uuid(i + 1)
	}
	for _, r := range f.push(t, netReader, ids, rows) {
		if r.Status != syncwire.StatusApplied || r.Unchanged {
			t.Fatalf("push: %+v", r)
		}
	}
	em := newEmulator(t, f.testCity, "HH-0007", testReader, false)
	if _, err := f.dockOnce(t, em, Job{Export: true, Cycle: f.city.Cycle, Expect: -1}); err != nil {
		t.Fatal(err)
	}
	em.run("walk", "--from", f.readingsFile(testReader))
	rep, err := f.dockOnce(t, em, Job{Import: true, Expect: -1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Import == nil || rep.Import.Result.Unchanged < len(rows) {
		t.Fatalf("the dock imported %+v; want the %d pushed readings unchanged", rep.Import, len(rows))
	}
	for _, r := range rows {
		if vs := f.versionsOf(t, r.CustomerID); len(vs) != 1 || vs[0].Source != domain.FromNetwork {
			t.Errorf("household %s pushed then docked: %d versions %+v", r.CustomerID, len(vs), vs)
		}
	}
}
