//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// buildHandheld builds the emulator cmd/handheld into dir.
func buildHandheld(dir string) (string, error) {
	out := filepath.Join(dir, "handheld")
	if b, err := exec.Command("go", "build", "-o", out, "meter-sync/cmd/handheld").CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the handheld emulator: %v\n%s", err, b)
	}
	return out, nil
}

// emulator is one emulated handheld: a data folder the real cmd/handheld
// program runs on, paired with the store.
type emulator struct {
	bin, dir, id string
}

// newEmulator pairs handheld id with the city and initialises its data
// folder under dir with the key.
func (b *bench) newEmulator() (*emulator, error) {
	b.devices++
	id := fmt.Sprintf("HH-%04d", b.devices)
	key, err := b.city.pair(id)
	if err != nil {
		return nil, err
	}
	em := &emulator{bin: b.handheld, dir: filepath.Join(b.dir, "handhelds", id), id: id}
	if err := os.MkdirAll(em.dir, 0o750); err != nil {
		return nil, err
	}
	if out, err := exec.Command(em.bin, "--data", em.dir, "init", "--id", id, "--key", key).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("handheld init: %v\n%s", err, out)
	}
	return em, nil
}

// session is the emulator's dock command running on a port.
type session struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
	err    error
}

// dock starts the emulator's dock command on port and returns once it is
// waiting for the server, so that no HELLO is sent into a closed port.
func (em *emulator) dock(port string, baud int) (*session, error) {
	if baud == 0 {
		baud = 115200 // an unpaced line: any speed the tty takes
	}
	s := &session{stderr: &syncBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(em.bin, "--data", em.dir, "dock", "--port", port, "--once",
		"--line", strconv.Itoa(baud)+",8N1", "--verbose")
	s.cmd.Stderr = s.stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the handheld emulator: %w", err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		once := sync.Once{}
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "docked on") {
				once.Do(func() { close(ready) })
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	select {
	case <-ready:
		return s, nil
	case <-s.exited:
		return nil, fmt.Errorf("the handheld emulator exited before docking: %v\n%s", s.err, s.stderr)
	case <-time.After(30 * time.Second):
		s.kill()
		return nil, errors.New("the handheld emulator did not open its port within 30 s")
	}
}

// wait waits for the session to end, at most d; a session still running
// then is killed.
func (s *session) wait(d time.Duration) error {
	select {
	case <-s.exited:
		return s.err
	case <-time.After(d):
		s.kill()
		return fmt.Errorf("the handheld emulator did not end its session within %v", d)
	}
}

// stop asks the emulator to stop (SIGTERM: it saves what it received of a
// file, as a handheld does when it is cut off) and waits for it.
func (s *session) stop() error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(10 * time.Second):
		s.kill()
		return errors.New("the handheld emulator did not stop within 10 s of SIGTERM")
	}
}

func (s *session) kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

var offsetRE = regexp.MustCompile(`msg="receiving file".* offset=(\d+)`)

// resumedAt is the offset the emulator's last route transfer started at, from
// its log ("receiving file ... offset=N"); -1 if it logged none.
func (s *session) resumedAt() int64 {
	m := offsetRE.FindAllStringSubmatch(s.stderr.String(), -1)
	if m == nil {
		return -1
	}
	n, _ := strconv.ParseInt(m[len(m)-1][1], 10, 64)
	return n
}

// syncBuffer is a bytes.Buffer a child's output and the benchmark share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// tail is the end of a long log.
func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
