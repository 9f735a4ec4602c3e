package cli

import (
	"bytes"
	"context"
	"testing"
)

func TestParseRejectsStrayArguments(t *testing.T) {
	fs := NewFlags(&bytes.Buffer{}, "prog", "cmd", "[--n N]")
	n := fs.Int("n", 0, "")
	if err := Parse(fs, []string{"--n", "3"}); err != nil || *n != 3 {
		t.Errorf("Parse(--n 3) = %v, n = %d", err, *n)
	}
	fs = NewFlags(&bytes.Buffer{}, "prog", "cmd", "")
	if err := Parse(fs, []string{"extra"}); err == nil || err.Error() != `cmd: unexpected argument "extra"` {
		t.Errorf("Parse(extra) = %v, want the stray argument named", err)
	}
}

func TestPrintCommandsSortedAndPadded(t *testing.T) {
	run := func(context.Context, int, []string) error { return nil }
	var b bytes.Buffer
	PrintCommands(&b, map[string]Command[int]{"walk": {"walk it", run}, "init": {"set up", run}}, 6)
	if want := "  init   set up\n  walk   walk it\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestUsageNamesProgramAndCommand(t *testing.T) {
	var b bytes.Buffer
	fs := NewFlags(&b, "handheld [--data DIR]", "walk", "[--seed N]")
	fs.Usage()
	if want := "usage: handheld [--data DIR] walk [--seed N]\n\n"; b.String() != want {
		t.Errorf("usage %q, want %q", b.String(), want)
	}
}
