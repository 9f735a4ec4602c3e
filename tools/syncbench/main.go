// Command syncbench measures the tablets' delta sync against one server
// process on this machine (loopback), with tablets that use sync/client.
// Its output is the sync section of BENCHMARKS.md.
//
//	go run ./tools/syncbench --tablets 1000 --rate 2000 --duration 20s --cpuprofile /tmp/sync.cpu
//
// It seeds a store (a technician with --big open orders, --tablets
// technicians with --each orders, one with 50 for the offline month and a
// team leader), starts itself as the server (`syncbench serve`: the
// handler meter-sync serve runs, logging a line per request), and measures:
//
//	first   the first sync of the technician with --big orders: round trips, bytes on the wire
//	none    a sync with nothing new
//	many    --tablets tablets, each syncing every tablets/rate seconds for --duration:
//	        round trips a second, latency percentiles; then as fast as they can for 5 s;
//	        the server's CPU profile over the paced phase
//	month   a tablet offline 30 days with 50 receipts and 200 photos while the office
//	        dispatched 100 orders, voided 3 and reassigned 2 of its own: its catch-up
package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"meter-sync/account"
	"meter-sync/sync/client"
	"meter-sync/tools/internal/machine"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		fs := flag.NewFlagSet("serve", flag.ExitOnError)
		data := fs.String("data", "", "data dir")
		prof := fs.String("cpuprofile", "", "profile file")
		fs.Parse(os.Args[2:])
		if err := serveMain(*data, *prof); err != nil {
			log.Fatal(err)
		}
		return
	}
	var cfg config
	flag.IntVar(&cfg.tablets, "tablets", 1000, "concurrent tablets")
	flag.IntVar(&cfg.each, "each", 3, "orders of each concurrent tablet's technician")
	flag.IntVar(&cfg.big, "big", 300, "open orders of the first-sync technician")
	flag.Float64Var(&cfg.rate, "rate", 2000, "syncs a second the tablets make together in the paced phase")
	flag.DurationVar(&cfg.duration, "duration", 20*time.Second, "length of the paced phase")
	flag.StringVar(&cfg.profile, "cpuprofile", "", "write the server's CPU profile of the paced phase to `FILE`")
	flag.Parse()
	if err := run(cfg); err != nil {
		log.Fatal(err)
	}
}

type config struct {
	tablets, each, big int
	rate               float64
	duration           time.Duration
	profile            string
}

// bench is the seeded store and the running server.
type bench struct {
	cfg     config
	url     string
	big     tech
	month   tech
	leader  tech
	many    []tech
	srv     *exec.Cmd
	srvOut  *bufio.Scanner
	profile string
}

func run(cfg config) error {
	data, err := os.MkdirTemp("", "syncbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	b := &bench{cfg: cfg}
	start := time.Now()
	if err := b.seed(data); err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	fmt.Printf("<!-- seeded %d technicians in %s -->\n", len(b.many)+3, time.Since(start).Round(time.Millisecond))
	if err := b.startServer(data); err != nil {
		return err
	}
	defer func() {
		b.srv.Process.Signal(syscall.SIGTERM)
		b.srv.Wait()
	}()
	fmt.Printf("machine: %s/%s, %d CPUs, %s\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cmp.Or(machine.CPUModel(), "?"))
	for _, m := range []func() error{b.measureFirst, b.measureMany, b.measureMonth} {
		if err := m(); err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) seed(data string) error {
	s, err := openSeeder(data)
	if err != nil {
		return err
	}
	defer s.Close()
	if b.big, err = s.tech("big", b.cfg.big, account.RoleTechnician); err != nil {
		return err
	}
	if b.month, err = s.tech("month", 50, account.RoleTechnician); err != nil {
		return err
	}
	if b.leader, err = s.tech("leader", 0, account.RoleTeamLeader); err != nil {
		return err
	}
	for i := range b.cfg.tablets {
		t, err := s.tech(fmt.Sprintf("t%04d", i), b.cfg.each, account.RoleTechnician)
		if err != nil {
			return err
		}
		b.many = append(b.many, t)
	}
	return nil
}

func (b *bench) startServer(data string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	b.srv = exec.Command(self, "serve", "--data", data, "--cpuprofile", b.cfg.profile)
	b.srv.Stderr = os.Stderr
	out, err := b.srv.StdoutPipe()
	if err != nil {
		return err
	}
	if err := b.srv.Start(); err != nil {
		return err
	}
	b.srvOut = bufio.NewScanner(out)
	for b.srvOut.Scan() {
		if u, ok := strings.CutPrefix(b.srvOut.Text(), "serving "); ok {
			b.url = u
			return nil
		}
	}
	return errors.New("the server did not start")
}

// wire counts the bytes a transport's connections read and write.
type wire struct{ in, out atomic.Int64 }

type countedConn struct {
	net.Conn
	w *wire
}

func (c countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.w.in.Add(int64(n))
	return n, err
}

func (c countedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.w.out.Add(int64(n))
	return n, err
}

// tabletClient is a tablet of technician t with its own connection, whose
// wire bytes w counts (nil: not counted).
func (b *bench) tabletClient(t tech, w *wire, now func() time.Time) (*client.Client, error) {
	d := &net.Dialer{}
	tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil || w == nil {
				return c, err
			}
			return countedConn{c, w}, nil
		}}
	return client.New(client.NewMemStore(), client.Options{BaseURL: b.url, Token: t.Token, Device: "TAB-" + t.ID,
		HTTP: &http.Client{Transport: tr, Timeout: 60 * time.Second}, Now: now, Retries: -1})
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(float64(len(ds))*p))]
}

// signal sends the server a signal and, for SIGUSR2, waits for the profile.
func (b *bench) signal(s syscall.Signal) {
	b.srv.Process.Signal(s)
	if s == syscall.SIGUSR2 && b.cfg.profile != "" {
		for b.srvOut.Scan() && b.srvOut.Text() != "profile written" {
		}
	}
}
