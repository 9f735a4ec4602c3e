package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/store/storetest"
	"meter-sync/sync/client"
	"meter-sync/tabular"
)

// The binaries these tests run as a user would: built once by TestMain.
var meterSync, tabletBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tablet-test")
	if err != nil {
		panic(err)
	}
	meterSync, tabletBin = filepath.Join(dir, "meter-sync"), filepath.Join(dir, "tablet")
	for _, b := range [][2]string{{meterSync, "../meter-sync"}, {tabletBin, "."}} {
		if out, err := exec.Command("go", "build", "-o", b[0], b[1]).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", b[1], err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// city is a meter-sync store with households, technicians tech1 and tech2
// and a team leader, each with an API token.
type city struct {
	data   string
	tokens map[string]string
	homes  []string // household ids, all 通气
}

var secretRE = regexp.MustCompile(`secret \(shown only now\): (\S+)`)

func newCity(t *testing.T, households int) *city {
	t.Helper()
	c := &city{data: t.TempDir(), tokens: map[string]string{}}
	csv := filepath.Join(t.TempDir(), "customers.csv")
	w, err := tabular.Create(csv, interchange.Headers(interchange.CustomerSchema), tabular.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range households {
		h := storetest.Household(fmt.Sprintf("33%08d", i), 1001+i/100, 1+i%7, 1+i%3, 101+i%100, domain.OddMonths)
		c.homes = append(c.homes, h.ID)
		if err := w.Write(interchange.EncodeCustomer(&h)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ms(t, "import", "--data", c.data, "--kind", "customers", "--file", csv)
	for _, a := range [][3]string{{"tech1", "张师傅", "technician"}, {"tech2", "李师傅", "technician"}, {"leader", "王班长", "team_leader"}} {
		ms(t, "user", "add", "--data", c.data, "--id", a[0], "--name", a[1], "--role", a[2])
		out := ms(t, "user", "token", "--data", c.data, "--id", a[0], "--label", "test")
		m := secretRE.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no secret in %q", out)
		}
		c.tokens[a[0]] = m[1]
	}
	return c
}

// ms runs meter-sync and returns its standard output.
func ms(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(meterSync, args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("meter-sync %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// serving is `meter-sync serve` running.
type serving struct {
	cmd    *exec.Cmd
	url    string
	pushes atomic.Int64 // push requests it logged
	done   chan struct{}
}

// serve starts meter-sync serve on addr ("127.0.0.1:0" for any port); with
// killAfter > 0 it is SIGKILLed once it has answered that many pushes.
func (c *city) serve(t *testing.T, addr string, killAfter int64) *serving {
	t.Helper()
	s := &serving{cmd: exec.Command(meterSync, "serve", "--data", c.data, "--addr", addr), done: make(chan struct{})}
	stdout, _ := s.cmd.StdoutPipe()
	stderr, _ := s.cmd.StderrPipe()
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.done
	})
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "route=/api/v1/sync/push") && s.pushes.Add(1) == killAfter {
				s.cmd.Process.Signal(syscall.SIGKILL)
			}
		}
		s.cmd.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if _, after, ok := strings.Cut(sc.Text(), "serving "); ok {
			s.url, _, _ = strings.Cut(after, "/ ")
			go io.Copy(io.Discard, stdout)
			return s
		}
	}
	t.Fatal("serve never said it was listening")
	return nil
}

// stop stops the server with SIGTERM and waits for it.
func (s *serving) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.done
}

// api calls the server's JSON API as account who and decodes the answer into out.
func (c *city) api(t *testing.T, url, who, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.tokens[who])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return resp.StatusCode
}

type apiOrder struct {
	ID         string `json:"id"`
	Version    int    `json:"version"`
	Status     string `json:"status"`
	Technician string `json:"technician"`
}

type apiReceipt struct {
	ID          string `json:"id"`
	Version     int    `json:"version"`
	Status      string `json:"status"`
	Device      string `json:"device"`
	Attachments []struct {
		SHA256 string `json:"sha256"`
	} `json:"attachments"`
}

type orderDetail struct {
	Order    apiOrder     `json:"order"`
	Receipts []apiReceipt `json:"receipts"`
}

// dispatch accepts an order for household home through the orders API and
// dispatches it to tech, as the office does.
func (c *city) dispatch(t *testing.T, url, home, business, tech string) string {
	t.Helper()
	var o apiOrder
	if code := c.api(t, url, "leader", "POST", "/api/v1/orders", map[string]any{"customer_id": home, "business": business,
		"requirement": "请提前电话联系"}, &o); code != http.StatusCreated {
		t.Fatalf("create order: %d", code)
	}
	if code := c.api(t, url, "leader", "POST", "/api/v1/orders/"+o.ID+"/dispatch", map[string]any{"version": o.Version,
		"technician": tech, "note": "上午"}, &o); code != http.StatusOK {
		t.Fatalf("dispatch %s: %d", o.ID, code)
	}
	return o.ID
}

// act is an office action (void, reassign) on order id as it is now.
func (c *city) act(t *testing.T, url, kind, id, to string) {
	t.Helper()
	d := c.order(t, url, id)
	if code := c.api(t, url, "leader", "POST", "/api/v1/orders/"+id+"/"+kind, map[string]any{"version": d.Order.Version,
		"technician": to, "note": "班组长调整"}, nil); code != http.StatusOK {
		t.Fatalf("%s %s: %d", kind, id, code)
	}
}

func (c *city) order(t *testing.T, url, id string) orderDetail {
	t.Helper()
	var d orderDetail
	if code := c.api(t, url, "leader", "GET", "/api/v1/orders/"+id, nil, &d); code != http.StatusOK {
		t.Fatalf("order %s: %d", id, code)
	}
	return d
}

// tab runs the tablet emulator on dir; ok says whether it must succeed.
func tab(t *testing.T, dir string, ok bool, args ...string) string {
	t.Helper()
	cmd := exec.Command(tabletBin, append([]string{"--data", dir}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ok && err != nil {
		t.Fatalf("tablet %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	if !ok && err == nil {
		t.Fatalf("tablet %s succeeded, want a failure:\n%s", strings.Join(args, " "), stdout.String())
	}
	return stdout.String()
}

func tabStatus(t *testing.T, dir string) statusJSON {
	t.Helper()
	var st statusJSON
	if err := json.Unmarshal([]byte(tab(t, dir, true, "status", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func tabOrders(t *testing.T, dir string) []client.Order {
	t.Helper()
	var os []client.Order
	if err := json.Unmarshal([]byte(tab(t, dir, true, "orders", "--json")), &os); err != nil {
		t.Fatal(err)
	}
	return os
}

// lastReport is the last JSON line `tablet sync --json` printed.
func lastReport(t *testing.T, out string) syncReport {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var r syncReport
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("sync report %q: %v", out, err)
	}
	return r
}
