package handheld

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"meter-sync/domain"
	"meter-sync/interchange"
)

// walked walks a fresh 200-household route with seed and returns the
// readings file and the result.
func walked(t *testing.T, seed uint64, mix *FlagMix) ([]byte, WalkResult, *Store) {
	t.Helper()
	s := newStore(t)
	loadRoute(t, s, cityRoute(t, 200))
	res, err := Walk(s, WalkOptions{Seed: seed, Mix: mix})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.PendingReadings()
	if err != nil {
		t.Fatal(err)
	}
	return b.CSV, res, s
}

func TestWalkIsDeterministic(t *testing.T) {
	a, _, _ := walked(t, 7, nil)
	b, _, _ := walked(t, 7, nil)
	c, _, _ := walked(t, 8, nil)
	if !bytes.Equal(a, b) {
		t.Error("two walks with seed 7 differ")
	}
	if bytes.Equal(a, c) {
		t.Error("walks with seeds 7 and 8 are the same")
	}
}

func TestWalkReadings(t *testing.T) {
	_, res, s := walked(t, 1, nil)
	if res.Read != 200 || res.Estimated == 0 || res.Unauthorized == 0 || res.Broken == 0 {
		t.Errorf("walk result = %+v; want every household read and some of each flag", res)
	}
	st, _ := s.Stats()
	if st.Read != 200 || st.Unread != 0 || st.Estimated != res.Estimated {
		t.Errorf("stats after the walk = %+v", st)
	}
	route, _ := s.Route()
	b, _ := s.PendingReadings()
	last := time.Time{}
	for i, r := range b.Readings {
		h := route.Households[i]
		if r.CustomerID != h.CustomerID {
			t.Fatalf("reading %d is of %s, want %s: the walk goes in route order", i, r.CustomerID, h.CustomerID)
		}
		if r.ValueM3 < h.PrevM3 || r.ValueM3 > h.PrevM3+120 {
			t.Errorf("%s: reading %g after %g is not a month or two of use", h.CustomerID, r.ValueM3, h.PrevM3)
		}
		if r.Flags&domain.FlagBroken != 0 && r.ValueM3 != h.PrevM3 {
			t.Errorf("%s: a broken meter moved from %g to %g", h.CustomerID, h.PrevM3, r.ValueM3)
		}
		if r.Flags&domain.FlagEstimated != 0 && r.Flags&(domain.FlagNobodyHome|domain.FlagDoorClosed) == 0 {
			t.Errorf("%s: estimated without saying why: %v", h.CustomerID, r.Flags)
		}
		if (r.ICRemaining != nil) != h.IC() || (r.ICUsed != nil) != h.IC() {
			t.Errorf("%s (%s): IC volumes %v %v", h.CustomerID, h.MeterKind, r.ICRemaining, r.ICUsed)
		}
		if !r.ReadAt.After(last) || r.ReadAt.In(domain.Local).Hour() >= 18 || r.ReadAt.In(domain.Local).Hour() < 8 {
			t.Errorf("%s read at %v, after %v", h.CustomerID, r.ReadAt, last)
		}
		last = r.ReadAt
	}
}

func TestWalkFlagMix(t *testing.T) {
	all := &FlagMix{Estimated: 1}
	_, res, _ := walked(t, 3, all)
	if res.Estimated != 200 {
		t.Errorf("a mix of all 估抄 estimated %d of 200", res.Estimated)
	}
	none := &FlagMix{}
	_, res, _ = walked(t, 3, none)
	if res.Estimated+res.Unauthorized+res.Broken != 0 {
		t.Errorf("a mix of nothing flagged %+v", res)
	}
}

func TestWalkCarriesICSurvey(t *testing.T) {
	s := newStore(t)
	row := routeRow("0101011101", "C1", "IC卡", "通气", "150", "2025-11-05", "R001")
	row[interchange.RtICRemaining], row[interchange.RtICUsed] = "80", "150"
	loadRoute(t, s, csvOf(t, interchange.RouteSchema, row))
	if _, err := Walk(s, WalkOptions{Seed: 1, Mix: &FlagMix{}, Now: t0}); err != nil {
		t.Fatal(err)
	}
	b, _ := s.PendingReadings()
	r := b.Readings[0]
	use := r.ValueM3 - 150
	if use <= 0 || *r.ICUsed != 150+use || *r.ICRemaining != 80-use || *r.ICRemaining+*r.ICUsed != 230 {
		t.Errorf("IC reading %g: remaining %g used %g; remaining + used must stay 230 (what was bought)", r.ValueM3, *r.ICRemaining, *r.ICUsed)
	}
}

// TestWalkSplitsWhatWasBought: with no survey but the server's purchases
// (IC累计购气量), remaining + used is what was bought.
func TestWalkSplitsWhatWasBought(t *testing.T) {
	s := newStore(t)
	row := routeRow("0101011101", "C1", "IC卡", "通气", "150", "2025-11-05", "R001")
	row[interchange.RtICPurchased] = "400"
	loadRoute(t, s, csvOf(t, interchange.RouteSchema, row))
	if _, err := Walk(s, WalkOptions{Seed: 1, Mix: &FlagMix{}, Now: t0}); err != nil {
		t.Fatal(err)
	}
	b, _ := s.PendingReadings()
	r := b.Readings[0]
	if *r.ICUsed != r.ValueM3 || *r.ICRemaining+*r.ICUsed != 400 {
		t.Errorf("IC reading %g: remaining %g used %g; want used = the register and remaining + used = 400 bought", r.ValueM3, *r.ICRemaining, *r.ICUsed)
	}
}

func TestWalkLimitAndResume(t *testing.T) {
	s := newStore(t)
	loadRoute(t, s, cityRoute(t, 30))
	res, err := Walk(s, WalkOptions{Seed: 1, Limit: 10, Now: t0})
	if err != nil || res.Read != 10 {
		t.Fatalf("limited walk = %+v, %v", res, err)
	}
	if _, err := s.AddRereads(csvOf(t, interchange.RouteSchema, routeRow("0101011101", "C00001", "抄表", "通气", "100", "", ""))); err != nil {
		t.Fatal(err)
	}
	res, err = Walk(s, WalkOptions{Seed: 2, Now: t0.Add(24 * time.Hour)})
	if err != nil || res.Read != 21 {
		t.Fatalf("the rest of the walk = %+v, %v; want the 20 unread and the re-read", res, err)
	}
	if st, _ := s.Stats(); st.Unread != 0 || st.RereadsDone != 1 {
		t.Errorf("stats = %+v", st)
	}
	if _, err := Walk(newStore(t), WalkOptions{}); !errors.Is(err, ErrNoRoute) {
		t.Errorf("walking without a route: %v", err)
	}
}

func TestWalkFromFile(t *testing.T) {
	s := newStore(t)
	loadRoute(t, s, cityRoute(t, 4))
	at := "2026-01-06T10:00:00+08:00"
	file := csvOf(t, interchange.ReadingSchema,
		[]string{"", "C00003", "150", at, "R001", "估抄|门闭", "", "", ""},
		[]string{"", "X77", "15", at, "R001", "", "", "", "新装"},
		[]string{"", "C00001", "110", at, "R001", "", "", "", ""},
		[]string{"", "C00001", "111", at, "R001", "", "", "", "重抄"},
	)
	path := filepath.Join(t.TempDir(), "readings.csv")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := Walk(s, WalkOptions{From: path})
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 4 || res.Added != 1 || res.Skipped != 2 || res.Estimated != 1 {
		t.Errorf("walk from a file = %+v", res)
	}
	if got := strings.Join(pendingIDs(t, s), " "); got != "C00003=150 X77=15 C00001=111" {
		t.Errorf("pending = %s; want the route's households in order, then the rest, the last reading standing", got)
	}
}

func TestWalkFromBadFile(t *testing.T) {
	s := newStore(t)
	loadRoute(t, s, cityRoute(t, 4))
	file := csvOf(t, interchange.ReadingSchema,
		[]string{"", "C00001", "1x0", "2026-01-06T10:00:00+08:00", "", "", "", "", ""},
		[]string{"", "C00002", "120", "2026-01-06T10:00:00+08:00", "", "喝茶", "", "", ""})
	path := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Walk(s, WalkOptions{From: path})
	for _, w := range []string{path + ":2: column 本次读数:", path + ":3: column 标记:"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
	if got := pendingIDs(t, s); len(got) != 0 {
		t.Errorf("a bad file entered %v", got)
	}
}

// TestWalkStaysInItsMonthAndThePast: a walk with no start given reads a
// past month's route within that month, never later than the handheld's
// clock, and a meter not 通气 shows no use unless someone lit it.
func TestWalkStaysInItsMonthAndThePast(t *testing.T) {
	s := newStore(t) // its clock is t0
	loadRoute(t, s, cityRoute(t, 200))
	route, err := s.Route()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Walk(s, WalkOptions{Seed: 5}); err != nil {
		t.Fatal(err)
	}
	cycle, _ := domain.ParseMonth(route.Cycle)
	prev := map[string]Household{}
	for _, h := range route.Households {
		prev[h.CustomerID] = h
	}
	b, _ := s.PendingReadings()
	for _, r := range b.Readings {
		if r.ReadAt.After(t0) || (cycle.Start().Before(t0) && !cycle.Contains(r.ReadAt) && r.ReadAt != t0) {
			t.Errorf("%s read at %v: outside %s or after the clock %v", r.CustomerID, r.ReadAt, cycle, t0)
		}
		h := prev[r.CustomerID]
		if h.MeterState != domain.StateGasOn.String() && r.Flags&domain.FlagUnauthorized == 0 && r.ValueM3 != h.PrevM3 {
			t.Errorf("%s (%s) used %g m³ unflagged", r.CustomerID, h.MeterState, r.ValueM3-h.PrevM3)
		}
	}
}
