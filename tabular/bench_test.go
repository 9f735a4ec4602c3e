package tabular

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"testing"
)

// benchSchema is a 19-column customer-like file kind.
var benchSchema = func() Schema {
	headers := []string{"用户编号", "用户名称", "证件号码", "联系电话", "小区", "楼栋", "单元", "门牌号",
		"详细地址", "表号", "表型号", "口径", "安装日期", "初始读数", "用气性质", "价格类别", "抄表册", "抄表员", "备注"}
	s := make(Schema, len(headers))
	for i, h := range headers {
		s[i] = Column{Key: "col" + strconv.Itoa(i), Header: h, Required: i < 3}
	}
	return s
}()

// benchCSV returns n rows of benchSchema as UTF-8 CSV with a BOM, mixing
// Chinese text, digits and the odd quoted field.
func benchCSV(b *testing.B, n int, opt WriteOptions) []byte {
	b.Helper()
	var buf bytes.Buffer
	w, err := NewCSVWriter(&buf, benchSchema.Headers(), opt)
	if err != nil {
		b.Fatal(err)
	}
	names := []string{"张三", "李四", "王小五", "赵六", "欧阳明华"}
	for i := range n {
		err := w.Write([]string{
			fmt.Sprintf("%08d", i), names[i%len(names)], fmt.Sprintf("11010119900101%04d", i%10000),
			fmt.Sprintf("138%08d", i), "阳光花园", strconv.Itoa(i%30 + 1), strconv.Itoa(i%4 + 1), strconv.Itoa(i%2000 + 101),
			fmt.Sprintf("北京市朝阳区阳光花园%d号楼%d单元%d室", i%30+1, i%4+1, i%2000+101),
			fmt.Sprintf("M%010d", i), "G2.5", "DN20", "2023-05-17", strconv.Itoa(i % 997),
			"居民", "一档", fmt.Sprintf("B%03d", i%120), names[(i+2)%len(names)], map[bool]string{true: "已换表, \"新表\"", false: ""}[i%50 == 0],
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkCSVRows reads 19-column rows, fetching every value, and reports
// rows/s of wall time and rows/cpu-s of process CPU time (user + system, GC
// included), which stays true when other work shares the machine.
// Run: go test -run XXX -bench CSVRows ./tabular
func BenchmarkCSVRows(b *testing.B) {
	const n = 20000
	for _, enc := range []string{"utf-8", "gbk"} {
		b.Run(enc, func(b *testing.B) {
			data := benchCSV(b, n, WriteOptions{Encoding: enc})
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				readBench(b, data, n)
			}
			rows := float64(n) * float64(b.N)
			b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
			if cpu := cpuTime() - cpu; cpu > 0 {
				b.ReportMetric(rows/cpu.Seconds(), "rows/cpu-s")
			}
		})
	}
}

func readBench(b *testing.B, data []byte, want int) {
	r, err := NewCSV(bytes.NewReader(data), "bench.csv", int64(len(data)), benchSchema, Options{})
	if err != nil {
		b.Fatal(err)
	}
	rows := 0
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		for col := range benchSchema {
			_ = row.Value(col)
		}
		rows++
	}
	if rows != want {
		b.Fatalf("read %d rows, want %d", rows, want)
	}
}
