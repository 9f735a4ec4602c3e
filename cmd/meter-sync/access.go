package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/width"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/config"
	"meter-sync/store"
	"meter-sync/store/bolt"
)

// accessOptions turns the configuration's [auth] into the access service's
// options; every command that builds a service goes through it.
func accessOptions(cfg config.Auth) access.Options {
	return access.Options{
		Hash: account.HashParams{
			Memory:  uint32(cfg.HashMemoryKiB),
			Time:    uint32(cfg.HashTime),
			Threads: uint8(min(cfg.HashThreads, 255)), // argon2 takes at most 255 lanes
		},
		SessionLifetime: cfg.SessionLifetime.Duration,
		SessionIdle:     cfg.SessionIdle.Duration,
		TokenLifetime:   cfg.TokenLifetime.Duration,
		MaxFailures:     cfg.MaxFailures,
		FailureWindow:   cfg.FailureWindow.Duration,
		Lockout:         cfg.Lockout.Duration,
	}
}

// cliActor is who the audit trail names for the account and device
// commands: whoever can read the data folder holds the store anyway, so the
// operator acts as an administrator.
var cliActor = access.Actor{ID: "cli", Role: account.RoleAdmin}

// openAccess loads the configuration and opens the store for an account or
// device command; page is the back-office page to use while the server runs.
func openAccess(c *commonFlags, page string) (*access.Service, *bolt.DB, error) {
	cfg, err := c.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	db, err := openStoreElse(c, cfg, page)
	if err != nil {
		return nil, nil, err
	}
	return access.New(db, accessOptions(cfg.Auth), nil), db, nil
}

// verb is one action of a command with actions, such as `user add`.
type verb struct {
	name, usage, summary string
	run                  func(ctx context.Context, e *env, name, usage string, args []string) error
}

// runVerbs runs the verb named by args[0]; --help, or no verb, lists them.
func runVerbs(ctx context.Context, e *env, cmd string, verbs []verb, args []string) error {
	help := len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help")
	if help || len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(e.stderr, "usage: meter-sync %s <verb> [--data DIR] [flags]\n\nverbs:\n", cmd)
		for _, v := range verbs {
			fmt.Fprintf(e.stderr, "  %-13s %s\n", v.name, v.summary)
		}
		fmt.Fprintf(e.stderr, "\nRun meter-sync %s <verb> --help for its flags.\n", cmd)
		if help {
			return flag.ErrHelp
		}
		return fmt.Errorf("%s: no verb given (%s)", cmd, verbNames(verbs))
	}
	for _, v := range verbs {
		if v.name == args[0] {
			return v.run(ctx, e, cmd+" "+v.name, v.usage, args[1:])
		}
	}
	return fmt.Errorf("%s: unknown verb %q (%s)", cmd, args[0], verbNames(verbs))
}

func verbNames(verbs []verb) string {
	names := make([]string, len(verbs))
	for i, v := range verbs {
		names[i] = v.name
	}
	return strings.Join(names, ", ")
}

// readSecretLine reads a password from the first line of r, without its
// line ending.
func readSecretLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("--password-stdin: no password on standard input")
	}
	return line, nil
}

// notFound names what was not found instead of the store's bare "not found".
func notFound(err error, what, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no %s %q", what, id)
	}
	return err
}

// table writes rows in columns padded to their width on a terminal, where
// a Chinese character takes two cells (text/tabwriter counts it as one).
func table(w io.Writer, rows [][]string) {
	widths := map[int]int{}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], cells(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-cells(c)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// cells is how many terminal cells s takes.
func cells(s string) int {
	n := utf8.RuneCountInString(s)
	for _, r := range s {
		if k := width.LookupRune(r).Kind(); k == width.EastAsianWide || k == width.EastAsianFullwidth {
			n++
		}
	}
	return n
}

// yesNo shows a flag in a list: "yes" or blank.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return ""
}
