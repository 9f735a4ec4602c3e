package main

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"meter-sync/domain"
	"meter-sync/interchange"
	"meter-sync/internal/ptytest"
	"meter-sync/store"
	"meter-sync/store/bolt"
	"meter-sync/store/storetest"
	"meter-sync/tabular"
)

// binary is the meter-sync command built once for these tests: they run it
// as a user would, as a separate process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "meter-sync-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "meter-sync")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building meter-sync: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs meter-sync and returns its stdout, stderr and exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runWithInput(t, "", args...)
}

// runWithInput is run with stdin as the command's standard input.
func runWithInput(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// writeCustomers writes a customers file of n valid households.
func writeCustomers(t *testing.T, path string, n int) {
	t.Helper()
	w, err := tabular.Create(path, interchange.Headers(interchange.CustomerSchema), tabular.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		c := storetest.Household(fmt.Sprintf("33%08d", i), 1000+i/400, (i/40)%10+1, (i/10)%4+1, 100+i%10, domain.OddMonths)
		if err := w.Write(interchange.EncodeCustomer(&c)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestUsageAndFailuresAreOneLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, 1, "meter-sync: no command given"},
		{"unknown command", []string{"frobnicate"}, 1, `meter-sync: unknown command "frobnicate"`},
		{"help", []string{"import", "--help"}, 0, ""},
		{"missing flags", []string{"import", "--data", t.TempDir()}, 1, "meter-sync: import: --kind and --file are required"},
		{"unknown kind", []string{"import", "--data", t.TempDir(), "--kind", "bills", "--file", "x.csv"}, 1, `unknown kind "bills"`},
		{"missing file", []string{"import", "--data", t.TempDir(), "--kind", "customers", "--file", "/nonexistent.csv"}, 1, "/nonexistent.csv"},
		{"bad config", []string{"check", "--config", "/nonexistent.toml"}, 1, "nonexistent.toml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			last := lastLine(stderr)
			if tc.code != 0 && !strings.Contains(last, tc.want) {
				t.Errorf("last line %q, want it to contain %q", last, tc.want)
			}
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// storeDigest summarises every customer and the route index of a store, to
// compare two stores' final states.
func storeDigest(t *testing.T, data string) string {
	t.Helper()
	db, err := bolt.Open(filepath.Join(data, "meter-sync.db"), &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatalf("store %s: %v", data, err)
	}
	h := fnv.New64a()
	n := 0
	err = db.View(func(tx store.ReadTx) error {
		return tx.ForEachCustomer(func(c *domain.Customer) error {
			n++
			fmt.Fprintf(h, "%+v\n", *c)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d customers, digest %x", n, h.Sum64())
}

// TestSIGKILLDuringImport kills a real import process at several points and
// checks that the store still opens and passes its check, and that running
// the import again reaches the same state as an import never interrupted.
func TestSIGKILLDuringImport(t *testing.T) {
	csv := filepath.Join(t.TempDir(), "customers.csv")
	writeCustomers(t, csv, 120_000)
	ref := t.TempDir()
	if _, stderr, code := run(t, "import", "--data", ref, "--kind", "customers", "--file", csv); code != 0 {
		t.Fatalf("reference import: %s", stderr)
	}
	want := storeDigest(t, ref)
	for _, killAt := range []string{": 10%", ": 50%", ": 100%"} {
		t.Run("at"+strings.TrimPrefix(killAt, ": "), func(t *testing.T) {
			data := t.TempDir()
			// A first, smaller import makes the store hold data when the kill comes.
			small := filepath.Join(t.TempDir(), "small.csv")
			writeCustomers(t, small, 500)
			if _, stderr, code := run(t, "import", "--data", data, "--kind", "customers", "--file", small); code != 0 {
				t.Fatalf("small import: %s", stderr)
			}
			if !killImportAt(t, data, csv, killAt) && killAt != ": 100%" {
				t.Fatalf("the import ended before it reported %q", killAt)
			}
			if out, stderr, code := run(t, "check", "--data", data); code != 0 {
				t.Fatalf("check after SIGKILL: %s%s", out, stderr)
			}
			if _, stderr, code := run(t, "import", "--data", data, "--kind", "customers", "--file", csv); code != 0 {
				t.Fatalf("import after SIGKILL: %s", stderr)
			}
			if got := storeDigest(t, data); got != want {
				t.Errorf("after SIGKILL and a second import: %s; an uninterrupted import gives %s", got, want)
			}
		})
	}
}

// killImportAt starts an import and SIGKILLs it when it reports progress
// line killAt; it says whether the kill landed.
func killImportAt(t *testing.T, data, csv, killAt string) bool {
	t.Helper()
	cmd := exec.Command(binary, "import", "--data", data, "--kind", "customers", "--file", csv, "--progress", "lines")
	killed := ptytest.KillWhen(t, cmd, func(line string) bool { return strings.HasSuffix(line, killAt) })
	if !killed {
		t.Logf("import ended before the kill at %q", killAt)
	}
	return killed
}

// startServe runs `meter-sync serve` and returns its base URL once it says it
// is listening, with how long that took.
func startServe(t *testing.T, args ...string) (*exec.Cmd, string, time.Duration) {
	t.Helper()
	s := startServing(t, args...)
	return s.cmd, s.url, s.ready
}

// serving is a `meter-sync serve` started by a test.
type serving struct {
	cmd    *exec.Cmd
	url    string
	ready  time.Duration
	before []string      // what it printed to stdout before it said it was listening
	stderr *bytes.Buffer // its log; read it only after cmd.Wait
}

// startServing runs `meter-sync serve` until it says it is listening.
func startServing(t *testing.T, args ...string) serving {
	t.Helper()
	start := time.Now()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	var before []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if _, after, ok := strings.Cut(sc.Text(), "serving "); ok {
			url, _, _ := strings.Cut(after, "/ ")
			go io.Copy(io.Discard, stdout)
			return serving{cmd: cmd, url: url, ready: time.Since(start), before: before, stderr: &stderr}
		}
		before = append(before, sc.Text())
	}
	cmd.Wait()
	t.Fatalf("serve never said it was listening; stderr:\n%s", stderr.String())
	return serving{}
}

// stop stops the server as systemd does, with SIGTERM, and waits for it.
func (s serving) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v; stderr:\n%s", err, s.stderr)
	}
}

func TestServeDemoBackupAndRestore(t *testing.T) {
	data := t.TempDir()
	cmd, url, ready := startServe(t, "--demo", "--data", data)
	t.Logf("serve --demo ready in %s", ready)
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"customers":`) || strings.Contains(string(body), `"customers":0`) {
		t.Fatalf("healthz: %d %s", resp.StatusCode, body)
	}
	// Commands that would write the store say at once that it is in use.
	_, stderr, code := run(t, "import", "--data", data, "--kind", "customers", "--file", filepath.Join(data, "demo-city", "customers.csv"))
	if code == 0 || !strings.Contains(stderr, "in use by the server running at") {
		t.Fatalf("import while serving: exit %d, %s", code, stderr)
	}
	// Backup goes through the running server.
	backup := filepath.Join(t.TempDir(), "backup.db")
	out, stderr, code := run(t, "backup", "--data", data, "--out", backup)
	if code != 0 || !strings.Contains(out, "through the running server") {
		t.Fatalf("backup while serving: exit %d, %s%s", code, out, stderr)
	}
	// Restore refuses while the server runs, then works once it stopped.
	if _, stderr, code := run(t, "restore", "--data", data, "--from", backup); code == 0 || !strings.Contains(stderr, "in use") {
		t.Fatalf("restore while serving: exit %d, %s", code, stderr)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, serveInfoFile)); !os.IsNotExist(err) {
		t.Errorf("serve left %s behind: %v", serveInfoFile, err)
	}
	want := storeDigest(t, data)
	emptied := t.TempDir()
	if _, stderr, code := run(t, "restore", "--data", emptied, "--from", backup); code != 0 {
		t.Fatalf("restore: %s", stderr)
	}
	if got := storeDigest(t, emptied); got != want {
		t.Errorf("restored store: %s, want %s", got, want)
	}
	if _, stderr, code := run(t, "restore", "--data", emptied, "--from", csvNotStore(t)); code == 0 || !strings.Contains(stderr, "not a sound backup") {
		t.Errorf("restore from a file that is not a store: exit %d, %s", code, stderr)
	}
}

func csvNotStore(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "not-a-store.db")
	os.WriteFile(p, []byte("用户编号\n1\n"), 0o600)
	return p
}

func TestDemoLeavesAFullStoreAlone(t *testing.T) {
	data := t.TempDir()
	writeCustomers(t, filepath.Join(data, "c.csv"), 10)
	if _, stderr, code := run(t, "import", "--data", data, "--kind", "customers", "--file", filepath.Join(data, "c.csv")); code != 0 {
		t.Fatal(stderr)
	}
	cmd := exec.Command(binary, "serve", "--demo", "--addr", "127.0.0.1:0", "--data", data)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if !strings.Contains(line, "already holds 10 customers") {
		t.Errorf("serve --demo on a full store said %q", line)
	}
}
