package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"meter-sync/internal/cli"
	"meter-sync/protocol/syncwire"
	"meter-sync/sync/client"
	"meter-sync/sync/client/fill"
)

// errOffline is what a request gets while the network is off.
var errOffline = errors.New("network is off (tablet network on)")

// netSwitch fails every request while the tablet has no network.
type netSwitch struct {
	cfg *config
	rt  http.RoundTripper
}

func (n netSwitch) RoundTrip(r *http.Request) (*http.Response, error) {
	if n.cfg.Offline {
		return nil, errOffline
	}
	return n.rt.RoundTrip(r)
}

func httpClient(cfg *config) *http.Client {
	return &http.Client{Timeout: 60 * time.Second, Transport: netSwitch{cfg: cfg, rt: http.DefaultTransport}}
}

func runInit(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "init", "--server URL --token T --device ID")
	server := fs.String("server", "", "the server's `URL`, e.g. http://127.0.0.1:8080")
	token := fs.String("token", "", "the technician's API `TOKEN` (meter-sync user token)")
	device := fs.String("device", "", "this tablet's `ID`, e.g. TAB-07")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *server == "" || *token == "" || *device == "" {
		return errors.New("init: --server, --token and --device are required")
	}
	if _, err := syncwire.ParseDeviceID(*device); err != nil {
		return fmt.Errorf("init: --device: %w", err)
	}
	cfg, err := e.loadConfig()
	if err == nil && (cfg.Token != *token || cfg.Device != *device) {
		if t, err := e.open(syncOptions{}); err == nil {
			st, _ := t.cl.Status()
			t.Close()
			if len(st.Pending) > 0 {
				return fmt.Errorf("init: %d receipts wait to be sent with the current token; sync first", len(st.Pending))
			}
		}
	}
	cfg.Server, cfg.Token, cfg.Device = strings.TrimRight(*server, "/"), *token, *device
	if err := e.saveConfig(cfg); err != nil {
		return err
	}
	return e.withTablet(syncOptions{}, func(t *tablet) error {
		fmt.Fprintf(e.stdout, "平板%s: server %s\n", cfg.Device, cfg.Server)
		return nil
	})
}

// syncReport is what `tablet sync` prints with --json.
type syncReport struct {
	client.Report
	Stats    client.Stats `json:"stats"`
	Duration string       `json:"duration"`
	Error    string       `json:"error,omitempty"`
}

func runSync(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sync", "[--json] [--until-ok N] [--retries N] [--batch N] [--chunk BYTES] [--page N]")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	var so syncOptions
	fs.IntVar(&so.retries, "retries", 0, "retries of a failed request before giving up (0: 6)")
	fs.IntVar(&so.batch, "batch", 0, "receipts in one push (0: 100)")
	fs.IntVar(&so.chunk, "chunk", 0, "`BYTES` of one photo chunk (0: 256 KiB)")
	fs.IntVar(&so.pageLimit, "page", 0, "orders asked for in one pull page (0: 500)")
	fs.DurationVar(&so.backoff, "backoff", 0, "wait before the first retry, doubled after each up to 20 times it (0: 200ms)")
	untilOK := fs.Int("until-ok", 0, "sync again, up to `N` times, until a sync succeeds")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	return e.withTablet(so, func(t *tablet) error {
		err := t.sync(ctx, e, *asJSON)
		for i := 0; err != nil && i < *untilOK && ctx.Err() == nil; i++ {
			err = t.sync(ctx, e, *asJSON)
		}
		return err
	})
}

func (t *tablet) sync(ctx context.Context, e *env, asJSON bool) error {
	start := time.Now()
	r, err := t.cl.Sync(ctx)
	rep := syncReport{Report: r, Stats: t.cl.Stats(), Duration: time.Since(start).Round(time.Millisecond).String()}
	if err != nil {
		rep.Error = err.Error()
	}
	if asJSON {
		b, _ := json.Marshal(rep)
		fmt.Fprintln(e.stdout, string(b))
	} else {
		fmt.Fprintf(e.stdout, "同步: 回执 %d (已受理 %d, 未通过 %d, 冲突 %d), 照片 %d, 派工单 %d (移除 %d, 保留 %d), %d 页, %d 次往返, 发送 %d B, 接收 %d B, %s\n",
			r.Pushed, r.Applied, r.Rejected, r.Conflicts, r.Uploaded, r.Orders, r.Removed, r.Held, r.Pages,
			rep.Stats.RoundTrips, rep.Stats.BytesSent, rep.Stats.BytesRecv, rep.Duration)
	}
	if err != nil {
		return fmt.Errorf("sync: %w (the work stays on the tablet; sync again)", err)
	}
	return nil
}

func runOrders(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "orders", "[--json]")
	asJSON := fs.Bool("json", false, "print the orders as JSON")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	return e.withTablet(syncOptions{}, func(t *tablet) error {
		orders, err := t.st.Orders()
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(e.stdout).Encode(orders)
		}
		work := t.workByOrder()
		fmt.Fprintf(e.stdout, "派工单 %d\n", len(orders))
		for _, o := range orders {
			cu, _ := t.st.Customer(o.CustomerID)
			line := fmt.Sprintf("%-14s %-8s %-6s %-4s 到期%s %s %s %s", o.ID, o.Business, o.Priority, o.Status,
				o.Due.Format("01-02"), o.CustomerID, cu.Name, cu.Address)
			if o.Removed != "" {
				line += " [已移出: " + o.Removed + "]"
			}
			if w := work[o.ID]; w != "" {
				line += " [回执: " + w + "]"
			}
			fmt.Fprintln(e.stdout, line)
		}
		return nil
	})
}

// workByOrder is the state of the latest receipt made on the tablet per order.
func (t *tablet) workByOrder() map[string]string {
	out := map[string]string{}
	muts, _ := t.st.Mutations()
	for _, m := range muts {
		out[m.OrderID] = m.State
	}
	return out
}

func runFill(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "fill", "--order ID | --all [--outcome 合格] [--photos N]")
	id := fs.String("order", "", "the work order's `ID`")
	all := fs.Bool("all", false, "fill a receipt for every order held that has none yet")
	outcome := fs.String("outcome", fill.Pass, "the receipt's `RESULT`: 合格, 未完成, 不合格, 无法实施 or 取消该业务")
	photos := fs.Int("photos", 0, "photos taken on site")
	photoSize := fs.Int("photo-size", 0, "`BYTES` of every photo (0: 150-450 KiB at random)")
	seed := fs.Uint64("seed", 0, "seed of the form data and photos (0: from the clock)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if (*id == "") == !*all {
		return errors.New("fill: give --order ID or --all")
	}
	return e.withTablet(syncOptions{}, func(t *tablet) error {
		return t.fill(e, *id, fill.Options{Outcome: *outcome, Photos: *photos, PhotoSize: *photoSize}, *seed)
	})
}

func (t *tablet) fill(e *env, id string, opt fill.Options, seed uint64) error {
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	opt.Rand = rand.New(rand.NewPCG(seed, 1))
	ids := []string{id}
	if id == "" {
		ids = nil
		orders, err := t.st.Orders()
		if err != nil {
			return err
		}
		work := t.workByOrder()
		for _, o := range orders {
			if work[o.ID] == "" && o.Removed == "" {
				ids = append(ids, o.ID)
			}
		}
	}
	n, photos := 0, 0
	for _, id := range ids {
		o, err := t.st.Order(id)
		if err != nil {
			return fmt.Errorf("fill: order %s: %w", id, err)
		}
		cu, err := t.st.Customer(o.CustomerID)
		if err != nil {
			return fmt.Errorf("fill: household %s: %w", o.CustomerID, err)
		}
		opt.Now = t.cfg.now()
		w, err := fill.Receipt(o.Order, cu, opt)
		if err != nil {
			return err
		}
		if _, err := t.cl.Submit(id, w.Receipt, w.Attachments); err != nil {
			return err
		}
		n++
		photos += len(w.Attachments)
	}
	fmt.Fprintf(e.stdout, "已填回执 %d (%s), 照片/签字 %d\n", n, opt.Outcome, photos)
	return nil
}

// statusJSON is `tablet status --json`.
type statusJSON struct {
	client.Status
	Offline bool `json:"offline"`
}

func runStatus(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "status", "[--json]")
	asJSON := fs.Bool("json", false, "print the status as JSON")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	return e.withTablet(syncOptions{}, func(t *tablet) error {
		st, err := t.cl.Status()
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(e.stdout).Encode(statusJSON{Status: st, Offline: t.cfg.Offline})
		}
		printStatus(e, t, st)
		return nil
	})
}

func printStatus(e *env, t *tablet, st client.Status) {
	w := e.stdout
	net := "在线"
	if t.cfg.Offline {
		net = "离线"
	}
	last := "从未"
	if !st.LastSync.IsZero() {
		last = st.LastSync.Local().Format("2006-01-02 15:04:05")
	}
	fmt.Fprintf(w, "平板%s (%s), 上次同步 %s, 时钟偏差 %d ms\n", t.cfg.Device, net, last, st.SkewMs)
	fmt.Fprintf(w, "派工单 %d, 已受理回执 %d (附件未齐 %d), 待发送 %d, 未通过 %d, 冲突 %d, 待上传照片 %d (%d KiB)\n",
		st.Orders, st.Applied, st.Incomplete, len(st.Pending), len(st.Rejected), len(st.Conflicts), st.Blobs, st.BlobBytes>>10)
	for i, m := range st.Pending {
		if i == 20 {
			fmt.Fprintf(w, "  … 另有 %d 条待发送\n", len(st.Pending)-i)
			break
		}
		fmt.Fprintf(w, "  待发送 %s 派工单%s 保存于 %s", m.ID, m.OrderID, m.MadeAt.Local().Format("01-02 15:04"))
		if m.LastError != "" {
			fmt.Fprintf(w, " (已试%d次: %s)", m.Tries, m.LastError)
		}
		fmt.Fprintln(w)
	}
	for _, m := range st.Rejected {
		fmt.Fprintf(w, "  未通过 %s 派工单%s:\n", m.ID, m.OrderID)
		for _, p := range m.Result.Problems {
			fmt.Fprintf(w, "      %s (%s): %s\n", p.Path, p.Rule, p.Message)
		}
	}
	for _, m := range st.Conflicts {
		fmt.Fprintf(w, "  冲突 %s 派工单%s: %s", m.ID, m.OrderID, m.Result.Conflict)
		if o := m.Result.Order; o != nil {
			fmt.Fprintf(w, "; 服务器版本%d 状态%s", o.Version, o.Status)
		}
		fmt.Fprintln(w, "; 现场回执已保存在服务器, 请联系班组长")
	}
	for _, o := range st.Held {
		fmt.Fprintf(w, "  保留 派工单%s (%s): 有待发送的回执\n", o.ID, o.Removed)
	}
}

func runNetwork(_ context.Context, e *env, args []string) error {
	if len(args) != 1 || (args[0] != "on" && args[0] != "off") {
		return errors.New("network: say on or off")
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	cfg.Offline = args[0] == "off"
	if err := e.saveConfig(cfg); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "网络 %s\n", args[0])
	return nil
}

func runClock(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "clock", "[--offset DURATION]")
	offset := fs.Duration("offset", 0, "run the tablet's clock this `DURATION` from the system's (e.g. 3m, -2h)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	given := false
	fs.Visit(func(*flag.Flag) { given = true })
	if given {
		cfg.ClockOffset = *offset
		if err := e.saveConfig(cfg); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "平板时钟 %s (offset %s)\n", cfg.now().Format(time.RFC3339), cfg.ClockOffset)
	return nil
}
