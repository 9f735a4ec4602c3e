package device

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"meter-sync/fixtures"
	"meter-sync/internal/ptytest"
	"meter-sync/masterdata"
	"meter-sync/store"
	"meter-sync/store/bolt"
	"meter-sync/tools/linesim"
)

// crashBaud is slow enough for a readings transfer to last seconds.
const crashBaud = 38400

// TestSIGKILLServerDuringImport kills a real `meter-sync import-readings`
// process with SIGKILL while the handheld's readings cross the line: the
// handheld still holds every reading, the store checks clean, and docking
// again stores each reading once and only then clears the handheld.
func TestSIGKILLServerDuringImport(t *testing.T) {
	data, em, walked := cityOnDisk(t)

	l := newLine(t, linesim.Options{Baud: crashBaud})
	first := em.dockLine(l.B())
	if !killServerAt(t, data, l.A(), "30%") {
		t.Fatal("the import ended before it could be killed; the line is too fast for this test")
	}
	first.Cmd.Process.Kill() // the handheld's own session would wait out its retries
	<-first.Exited()

	if n := pendingOn(t, em); n != walked {
		t.Fatalf("the handheld holds %d readings after the server was killed, want all %d", n, walked)
	}
	if out, err := exec.Command(bin.server, "check", "--data", data).CombinedOutput(); err != nil {
		t.Fatalf("meter-sync check after SIGKILL: %v\n%s", err, out)
	}

	l2 := newLine(t, linesim.Options{Baud: crashBaud})
	second := em.dockLine(l2.B())
	out, err := exec.Command(bin.server, "import-readings", "--data", data, "--reader", testReader,
		"--port", l2.A(), "--line", lineMode()).CombinedOutput()
	if err != nil {
		t.Fatalf("import after the crash: %v\n%s\nhandheld: %s", err, out, second.Stderr)
	}
	<-second.Exited()
	if n := pendingOn(t, em); n != 0 {
		t.Errorf("%d readings left on the handheld after a completed import:\n%s", n, out)
	}
	if households, versions := storedReadings(t, data); households != walked || versions != walked {
		t.Errorf("%d households stored in %d versions, want each of the %d walked once", households, versions, walked)
	}
}

// cityOnDisk makes a data folder with a generated city imported by the
// real CLI, a paired emulator holding R001's route, walked with the
// generator's readings; it returns the folder, the emulator and how many
// readings it holds.
func cityOnDisk(t *testing.T) (string, *emulator, int) {
	t.Helper()
	city, err := fixtures.Generate(fixtures.Options{Households: testHouseholds, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	files, data := t.TempDir(), t.TempDir()
	if _, err := city.Write(files); err != nil {
		t.Fatal(err)
	}
	for _, kind := range masterdata.Kinds() {
		server(t, "import", "--data", data, "--kind", string(kind), "--file", filepath.Join(files, string(kind)+".csv"))
	}
	out := server(t, "device", "pair", "--data", data, "--id", "HH-0100", "--name", "一组1号机", "--reader", testReader)
	key := regexp.MustCompile(`key: ([0-9a-f]{64})`).FindStringSubmatch(out)
	if key == nil {
		t.Fatalf("no key in %q", out)
	}
	route := filepath.Join(files, "route.csv")
	server(t, "export-route", "--data", data, "--reader", testReader, "--cycle", city.Cycle.String(), "--out", route, "--encoding", "utf-8-nobom")
	em := &emulator{t: t, dir: t.TempDir()}
	em.run("init", "--id", "HH-0100", "--key", key[1])
	em.run("load-route", "--reader", testReader, "--cycle", city.Cycle.String(), "--file", route)
	em.run("walk", "--from", filepath.Join(files, "readings", city.Cycle.String(), testReader+".csv"))
	return data, em, pendingOn(t, em)
}

// server runs a meter-sync command to its end.
func server(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin.server, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("meter-sync %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func lineMode() string { return "38400,8N1" }

// dockLine starts the emulator on port at the line's speed.
func (em *emulator) dockLine(port string) *ptytest.Peer {
	em.t.Helper()
	return ptytest.StartProcess(em.t, bin.handheld, "--data", em.dir, "dock", "--port", port, "--once", "--line", lineMode())
}

// pendingOn counts the readings waiting on the handheld.
func pendingOn(t *testing.T, em *emulator) int {
	t.Helper()
	return strings.Count(strings.TrimSpace(em.run("readings")), "\n") // less the header
}

// killServerAt docks through a meter-sync import-readings process and
// SIGKILLs it when its progress reaches at; it says whether the kill landed.
func killServerAt(t *testing.T, data, port, at string) bool {
	t.Helper()
	cmd := exec.Command(bin.server, "import-readings", "--data", data, "--reader", testReader, "--port", port,
		"--line", lineMode(), "--progress", "lines")
	return ptytest.KillWhen(t, cmd, func(line string) bool { return strings.HasSuffix(line, ": "+at) })
}

// storedReadings counts the households R001 has readings for and their
// versions, in the store of data, opened once the server is gone.
func storedReadings(t *testing.T, data string) (households, versions int) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(data, "meter-sync.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seen := map[string]bool{}
	err = db.View(func(tx store.ReadTx) error {
		vs, err := tx.ReadingsOf(fixtures.DefaultCycle, testReader)
		versions = len(vs)
		for _, v := range vs {
			seen[v.CustomerID] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(seen), versions
}
