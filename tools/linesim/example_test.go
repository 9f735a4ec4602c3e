//go:build unix

package linesim_test

import (
	"fmt"
	"io"
	"log"
	"time"

	"meter-sync/tools/linesim"
)

// A test puts the code under test on one end and a peer on the other. Code
// that opens serial ports by name takes l.A() or l.B() instead of
// /dev/ttyUSB0.
func Example() {
	l, err := linesim.New(linesim.Options{Baud: 115200, BitErrorRate: 0, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	handheld, err := l.OpenA()
	if err != nil {
		log.Fatal(err)
	}
	defer handheld.Close()
	server, err := l.OpenB()
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()

	if _, err := handheld.Write([]byte("HELLO\r\n")); err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, 7)
	server.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(server, buf); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q, %d bytes carried A→B\n", buf, l.Stats().AB.Carried)
	// Output: "HELLO\r\n", 7 bytes carried A→B
}
