package link

import (
	"path/filepath"
	"testing"
)

// testPartials is the conformance suite every Partials passes.
func testPartials(t *testing.T, p Partials) {
	const id = "0123abcd.zstd.100"
	check := func(want string) {
		t.Helper()
		got, err := p.Partial(id)
		if err != nil || string(got) != want {
			t.Fatalf("Partial: %q, %v; want %q", got, err, want)
		}
	}
	check("")
	steps := []struct {
		off  int64
		b    string
		want string
		ok   bool
	}{
		{0, "abc", "abc", true},
		{3, "def", "abcdef", true},
		{2, "XY", "abXY", true}, // rewritten from 2, cut after
		{9, "gap", "abXY", false},
		{-1, "neg", "abXY", false},
	}
	for _, s := range steps {
		err := p.PutPartial(id, s.off, []byte(s.b))
		if (err == nil) != s.ok {
			t.Errorf("PutPartial(%d, %q): %v", s.off, s.b, err)
		}
		check(s.want)
	}
	if err := p.DropPartial(id); err != nil {
		t.Fatal(err)
	}
	check("")
	if err := p.DropPartial(id); err != nil {
		t.Errorf("dropping twice: %v", err)
	}
}

func TestMemPartials(t *testing.T) { testPartials(t, &MemPartials{}) }

func TestDirPartials(t *testing.T) {
	d := DirPartials(filepath.Join(t.TempDir(), "partial"))
	testPartials(t, d)
	for _, id := range []string{"../x", "a/b", ".hidden", ""} {
		if err := d.PutPartial(id, 0, []byte("x")); err == nil {
			t.Errorf("id %q taken as a file name", id)
		}
	}
}
