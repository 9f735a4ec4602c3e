package domain

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// AreaType is the kind of area a household lies in; it decides the layout of its
// 抄表序号. It is stored with the customer, never inferred from the number's
// length: an old-area high-rise and a new-area multi-storey number both have 11
// digits (DOMAIN §7.18).
type AreaType uint8

// Area types.
const (
	AreaOld AreaType = iota + 1 // 老区域
	AreaNew                     // 新区域
)

// BuildingType is the kind of building a household lies in.
type BuildingType uint8

// Building types.
const (
	BuildingLowRise  BuildingType = iota + 1 // 多层
	BuildingHighRise                         // 高层
	BuildingVilla                            // 别墅
)

var areaNames = map[AreaType]string{AreaOld: "老区域", AreaNew: "新区域"}
var buildingNames = map[BuildingType]string{BuildingLowRise: "多层", BuildingHighRise: "高层", BuildingVilla: "别墅"}

func (a AreaType) String() string     { return nameOr(areaNames[a], int(a)) }
func (b BuildingType) String() string { return nameOr(buildingNames[b], int(b)) }

func nameOr(name string, v int) string {
	if name == "" {
		return fmt.Sprintf("未知(%d)", v)
	}
	return name
}

// ParseAreaType reads 老区域/新区域 (or old/new).
func ParseAreaType(s string) (AreaType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "老区域", "老", "old":
		return AreaOld, nil
	case "新区域", "新", "new":
		return AreaNew, nil
	}
	return 0, fmt.Errorf("区域类型应为老区域或新区域,实为%q", s)
}

// ParseBuildingType reads 多层/高层/别墅 (or low/high/villa).
func ParseBuildingType(s string) (BuildingType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "多层", "low", "lowrise":
		return BuildingLowRise, nil
	case "高层", "high", "highrise":
		return BuildingHighRise, nil
	case "别墅", "villa":
		return BuildingVilla, nil
	}
	return 0, fmt.Errorf("楼型应为多层、高层或别墅,实为%q", s)
}

// SeqNo is a reading sequence number (抄表序号) taken apart. The four layouts
// are [003:1563-1573]:
//
//	area  building   digits  book building unit room
//	老区域 多层         10      4    2        1    3
//	老区域 高层         11      4    2        1    4 (room left-padded with 0)
//	新区域 多层         11      4    2        2    3
//	新区域 高层         12      4    2        2    4 (room left-padded with 0)
//
// 别墅 has no layout in the sources; it uses its area's 多层 layout with the villa
// number as building, unit 1 (old) or 01 (new) and room 001 (DESIGN §5.5).
type SeqNo struct {
	Area     AreaType
	Building BuildingType
	Book     int // 抄表册号, 0-9999: the route book
	Block    int // 幢数, 0-99
	Unit     int // 单元号
	Room     int // 房号
}

// SortKeyLen is the length of SeqNo.SortKey.
const SortKeyLen = 12

type seqLayout struct{ unit, room int }

// layout gives the digits of the unit and room fields for an area and building
// type; book (4) and block (2) are the same in every layout.
func layout(a AreaType, b BuildingType) (seqLayout, error) {
	unit := map[AreaType]int{AreaOld: 1, AreaNew: 2}[a] // "单元号现自动产生二位,去掉0" [003:1563]
	if unit == 0 {
		return seqLayout{}, fmt.Errorf("区域类型未知(%d)", a)
	}
	switch b {
	case BuildingLowRise, BuildingVilla:
		return seqLayout{unit, 3}, nil
	case BuildingHighRise:
		return seqLayout{unit, 4}, nil
	}
	return seqLayout{}, fmt.Errorf("楼型未知(%d)", b)
}

// ParseSeqNo parses s against the household's stored area and building type and
// says exactly what does not fit.
func ParseSeqNo(s string, a AreaType, b BuildingType) (SeqNo, error) {
	l, err := layout(a, b)
	if err != nil {
		return SeqNo{}, err
	}
	want := 4 + 2 + l.unit + l.room
	// count characters, not bytes: "００１２…" typed with a Chinese input method
	// is ten characters that are not digits, not thirty digits too many.
	if n := utf8.RuneCountInString(s); n != want {
		return SeqNo{}, fmt.Errorf("抄表序号%q: %s%s应为%d位,实为%d位", s, a, b, want, n)
	}
	for i, r := range []rune(s) {
		if r < '0' || r > '9' {
			return SeqNo{}, fmt.Errorf("抄表序号%q: 第%d位不是数字", s, i+1)
		}
	}
	n := SeqNo{Area: a, Building: b,
		Book:  atoi(s[0:4]),
		Block: atoi(s[4:6]),
		Unit:  atoi(s[6 : 6+l.unit]),
		Room:  atoi(s[6+l.unit:]),
	}
	if b == BuildingVilla && (n.Unit != 1 || n.Room != 1) {
		return SeqNo{}, fmt.Errorf("抄表序号%q: 别墅的单元号应为1、房号应为001", s)
	}
	return n, nil
}

func atoi(digits string) int {
	n := 0
	for i := 0; i < len(digits); i++ {
		n = n*10 + int(digits[i]-'0')
	}
	return n
}

// String formats n in its layout.
func (n SeqNo) String() string {
	l, err := layout(n.Area, n.Building)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%04d%02d%0*d%0*d", n.Book, n.Block, l.unit, n.Unit, l.room, n.Room)
}

// Validate checks that every field fits its layout's digits.
func (n SeqNo) Validate() error {
	l, err := layout(n.Area, n.Building)
	if err != nil {
		return err
	}
	switch {
	case n.Book < 0 || n.Book > 9999:
		return fmt.Errorf("抄表册号%d超出4位", n.Book)
	case n.Block < 0 || n.Block > 99:
		return fmt.Errorf("幢数%d超出2位", n.Block)
	case n.Unit < 0 || n.Unit > pow10(l.unit)-1:
		return fmt.Errorf("单元号%d超出%d位", n.Unit, l.unit)
	case n.Room < 0 || n.Room > pow10(l.room)-1:
		return fmt.Errorf("房号%d超出%d位", n.Room, l.room)
	}
	return nil
}

func pow10(n int) int {
	p := 1
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}

// BookID is the route book (抄表册) as its 4-digit text, "0123".
func (n SeqNo) BookID() string { return fmt.Sprintf("%04d", n.Book) }

// SortKey is a fixed-width 12-digit key ordering households book → building →
// unit → room whatever their layout: the walking order of a route (DESIGN §5.4).
// Its first 4 bytes are the book.
func (n SeqNo) SortKey() [SortKeyLen]byte {
	var k [SortKeyLen]byte
	putDigits(k[0:4], n.Book)
	putDigits(k[4:6], n.Block)
	putDigits(k[6:8], n.Unit)
	putDigits(k[8:12], n.Room)
	return k
}

func putDigits(dst []byte, v int) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}

// ValidBookID reports whether s is a 4-digit route book number.
func ValidBookID(s string) bool {
	if len(s) != 4 {
		return false
	}
	for i := 0; i < 4; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
