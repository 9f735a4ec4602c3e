package tabular_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"meter-sync/tabular"
)

// An importer reads rows, reporting bad records and bad fields in the same
// shape and going on with the next record.
func Example() {
	schema := tabular.Schema{
		{Key: "customer_id", Header: "用户编号", Aliases: []string{"户号"}, Required: true},
		{Key: "reading", Header: "读数", Required: true},
	}
	const (
		colID = iota
		colReading
	)
	in := "\uFEFF户号,读数,备注\r\n0012345, 17 ,\r\n0012346\r\n0012347,abc,\r\n"
	r, err := tabular.NewCSV(strings.NewReader(in), "readings.csv", int64(len(in)), schema, tabular.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	fmt.Println(r.Encoding(), r.Unknown())
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var bad *tabular.Error
		if errors.As(err, &bad) {
			fmt.Println(bad)
			continue
		}
		if err != nil {
			fmt.Println(err) // fatal: an I/O error
			return
		}
		if v := row.Value(colReading); strings.Trim(v, "0123456789") != "" {
			fmt.Println(r.Errorf(row, colReading, "%q is not a number", v))
			continue
		}
		fmt.Println(row.Line(), row.Value(colID), row.Value(colReading))
	}
	// Output:
	// utf-8-bom [备注]
	// 2 0012345 17
	// readings.csv:3: 1 fields, header has 3
	// readings.csv:4: column 读数: "abc" is not a number
}
