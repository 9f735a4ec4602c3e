package ymodem

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func pad(s string, n int) []byte {
	b := make([]byte, n)
	copy(b, s)
	return b
}

func TestParseHeader(t *testing.T) {
	lrzsz := readGolden(t, "header-lrzsz.bin")[3:131]
	gbkName := "\xb3\xad\xb1\xed.csv" // 抄表.csv in GBK
	tests := []struct {
		name    string
		data    []byte
		want    FileInfo
		end     bool
		wantErr bool
	}{
		{"lrzsz sb", lrzsz, FileInfo{Name: "route.csv", Size: 1234, ModTime: routeTime, Mode: 0o100644}, false, false},
		{"spec: name, length, date, mode", pad("foo.c\x006347 3314742513 100644", 128),
			FileInfo{Name: "foo.c", Size: 6347, ModTime: time.Unix(0o3314742513, 0), Mode: 0o100644}, false, false},
		{"name only (CP/M YAM)", pad("readings.csv", 128), FileInfo{Name: "readings.csv", Size: -1}, false, false},
		{"length only, trailing space (embedded senders)", pad("readings.csv\x00812 ", 128), FileInfo{Name: "readings.csv", Size: 812}, false, false},
		{"hex length", pad("fw.bin\x000x4D2", 128), FileInfo{Name: "fw.bin", Size: 1234}, false, false},
		{"padded with SUB", append([]byte("r.csv\x0099"), []byte(strings.Repeat("\x1a", 120))...), FileInfo{Name: "r.csv", Size: 99}, false, false},
		{"date 0 is unknown", pad("a\x005 0 644", 128), FileInfo{Name: "a", Size: 5, Mode: 0o644}, false, false},
		{"unreadable date and mode are ignored", pad("a\x005 9x zz", 128), FileInfo{Name: "a", Size: 5}, false, false},
		{"unreadable length: unknown", pad("a\x00abc 0 644", 128), FileInfo{Name: "a", Size: -1}, false, false},
		{"negative length: unknown", pad("a\x00-5", 128), FileInfo{Name: "a", Size: -1}, false, false},
		{"path and GBK bytes kept as sent", pad("dir/"+gbkName+"\x007", 128), FileInfo{Name: "dir/" + gbkName, Size: 7}, false, false},
		{"1K header", pad("big\x0010 0 100644", 1024), FileInfo{Name: "big", Size: 10, Mode: 0o100644}, false, false},
		{"end of batch", make([]byte, 128), FileInfo{}, true, false},
		{"end of batch with junk after the NUL", pad("\x00junk", 128), FileInfo{}, true, false},
		{"name padded with SUB", []byte("OLD.TXT" + strings.Repeat("\x1a", 121)), FileInfo{Name: "OLD.TXT", Size: -1}, false, false},
		{"name not terminated", []byte(strings.Repeat("x", 128)), FileInfo{}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, end, err := ParseHeader(tt.data)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if end != tt.end || !sameInfo(got, tt.want) {
				t.Errorf("got %+v end=%v, want %+v end=%v", got, end, tt.want, tt.end)
			}
		})
	}
}

func sameInfo(a, b FileInfo) bool {
	return a.Name == b.Name && a.Size == b.Size && a.Mode == b.Mode && a.ModTime.Equal(b.ModTime)
}

func TestHeaderBlock(t *testing.T) {
	tests := []struct {
		name    string
		fi      FileInfo
		size    int   // of the block, 0 when an error is expected
		wantErr error // checked with errors.Is when set
	}{
		{"short", FileInfo{Name: "route.csv", Size: 1234}, 128, nil},
		{"exactly 128 with its NULs", FileInfo{Name: strings.Repeat("n", 128-len("\x001 0 0\x00")), Size: 1}, 128, nil},
		{"one byte more goes to 1K", FileInfo{Name: strings.Repeat("n", 129-len("\x001 0 0\x00")), Size: 1}, 1024, nil},
		{"too long", FileInfo{Name: strings.Repeat("n", 1020), Size: 1}, 0, ErrNameTooLong},
		{"empty name", FileInfo{Size: 1}, 0, nil},
		{"NUL in name", FileInfo{Name: "a\x00b", Size: 1}, 0, nil},
		{"size unknown", FileInfo{Name: "a", Size: -1}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := HeaderBlock(tt.fi)
			if tt.size == 0 {
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "ymodem: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Data) != tt.size || b.Num != 0 {
				t.Fatalf("block %d of %d bytes, want block 0 of %d", b.Num, len(b.Data), tt.size)
			}
			got, end, err := ParseHeader(b.Data)
			if err != nil || end || !sameInfo(got, tt.fi) {
				t.Errorf("parsed back %+v end=%v err=%v, want %+v", got, end, err, tt.fi)
			}
		})
	}
}
