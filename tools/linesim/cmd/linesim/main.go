//go:build unix

// Command linesim runs a virtual serial cable (package
// meter-sync/tools/linesim) until it is killed: it prints the paths of its
// two ends, A and B, as shell assignments, then carries bytes between them
// at the given baud rate with the given bit error rate, and on SIGINT or
// SIGTERM prints what it carried to stderr.
//
//	go run ./tools/linesim/cmd/linesim --baud 115200 --ber 1e-5 [--pull-after 5s --pull-for 2s]
//
// The paths are printed first, so a script can read them while the line
// runs; for example, a ZMODEM transfer by hand with lrzsz:
//
//	go build -o /tmp/linesim ./tools/linesim/cmd/linesim
//	coproc LINE { exec /tmp/linesim --baud 115200 --ber 1e-5; }
//	read -r a <&"${LINE[0]}"; read -r b <&"${LINE[0]}"; eval "$a $b"
//	(cd /tmp/recv && rz -y <"$B" >"$B") & sz --zmodem route.csv <"$A" >"$A"
//	kill $LINE_PID   # prints the bytes carried, bits flipped, bytes dropped
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"meter-sync/tools/linesim"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("linesim: ")
	var opt linesim.Options
	flag.IntVar(&opt.Baud, "baud", 115200, "line speed in bits per second, 10 bits a byte (8N1); 0 for unpaced")
	flag.Float64Var(&opt.BitErrorRate, "ber", 0, "probability that each data bit is inverted, per direction")
	flag.IntVar(&opt.Buffer, "buffer", linesim.DefaultBuffer, "bytes the line holds per direction before the writer blocks")
	flag.Uint64Var(&opt.Seed, "seed", 1, "seed of the bit error pattern")
	pullAfter := flag.Duration("pull-after", 0, "pull the cable out this long after starting (0: never)")
	pullFor := flag.Duration("pull-for", 2*time.Second, "how long the cable stays out")
	flag.Parse()
	if flag.NArg() > 0 {
		log.Fatalf("unexpected arguments %q", flag.Args())
	}
	if err := run(opt, *pullAfter, *pullFor); err != nil {
		log.Fatal(err)
	}
}

// run opens the line, prints its ends, pulls the cable if asked, and waits
// for a signal.
func run(opt linesim.Options, pullAfter, pullFor time.Duration) error {
	l, err := linesim.New(opt)
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Printf("A=%s\nB=%s\n", l.A(), l.B())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	if pullAfter > 0 {
		pull := time.AfterFunc(pullAfter, func() {
			log.Printf("cable pulled for %v", pullFor)
			l.Pull(pullFor)
		})
		defer pull.Stop()
	}
	<-stop
	s := l.Stats()
	log.Printf("A→B %+v", s.AB)
	log.Printf("B→A %+v", s.BA)
	return l.Close()
}
