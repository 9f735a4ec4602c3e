package main

import (
	"context"
	"errors"
	"fmt"

	"meter-sync/account"
	"meter-sync/store"
)

// devicesPage is the back-office page that pairs and revokes handhelds
// while the server runs.
const devicesPage = "/admin/devices"

var deviceVerbs = []verb{
	{"pair", "--id ID --name NAME [--reader R] [--data DIR]", "pair a handheld (抄表机); prints its key once", devicePair},
	{"list", "[--data DIR]", "list paired handhelds (never their keys)", deviceList},
	{"revoke", "--id ID [--data DIR]", "revoke a handheld: at its next dock it gets nothing", deviceRevoke},
}

func runDevice(ctx context.Context, e *env, args []string) error {
	return runVerbs(ctx, e, "device", deviceVerbs, args)
}

func devicePair(ctx context.Context, e *env, name, usage string, args []string) error {
	fs, common := newFlags(e, name, usage)
	id := fs.String("id", "", "the handheld's `ID`, e.g. its serial number HH-0001")
	devName := fs.String("name", "", "`NAME` to show for it, e.g. 一组3号机")
	reader := fs.String("reader", "", "the 抄表员编号 `R` of the reader it belongs to, if fixed")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" || *devName == "" {
		return errors.New("device pair: --id and --name are required")
	}
	svc, db, err := openAccess(common, devicesPage)
	if err != nil {
		return fmt.Errorf("device pair: %w", err)
	}
	defer db.Close()
	var known error
	db.View(func(tx store.ReadTx) error { _, known = tx.Device(*id); return nil })
	d, err := svc.PairDevice(cliActor, *id, *devName, *reader)
	if err != nil {
		return fmt.Errorf("device pair: %w", err)
	}
	if known == nil {
		fmt.Fprintf(e.stdout, "paired handheld %s (%s) again: its previous key no longer works\n", d.ID, d.Name)
	} else {
		fmt.Fprintf(e.stdout, "paired handheld %s (%s)\n", d.ID, d.Name)
	}
	fmt.Fprintf(e.stdout, "key: %s\n", d.KeyText())
	fmt.Fprintln(e.stdout, "Enter this key in the handheld (在抄表机上输入此密钥); it is shown only now.")
	return nil
}

func deviceList(ctx context.Context, e *env, name, usage string, args []string) error {
	fs, common := newFlags(e, name, usage)
	if err := parse(fs, args); err != nil {
		return err
	}
	_, db, err := openAccess(common, devicesPage)
	if err != nil {
		return fmt.Errorf("device list: %w", err)
	}
	defer db.Close()
	var ds []account.Device
	if err := db.View(func(tx store.ReadTx) error {
		ds, err = tx.Devices()
		return err
	}); err != nil {
		return fmt.Errorf("device list: %w", err)
	}
	rows := [][]string{{"ID", "NAME", "READER", "PAIRED", "BY", "REVOKED"}}
	for _, d := range ds {
		rows = append(rows, []string{d.ID, d.Name, d.ReaderID, day(d.PairedAt), d.PairedBy, day(d.RevokedAt)})
	}
	table(e.stdout, rows)
	return nil
}

func deviceRevoke(ctx context.Context, e *env, name, usage string, args []string) error {
	fs, common := newFlags(e, name, usage)
	id := fs.String("id", "", "the handheld's `ID`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return errors.New("device revoke: --id is required")
	}
	svc, db, err := openAccess(common, devicesPage)
	if err != nil {
		return fmt.Errorf("device revoke: %w", err)
	}
	defer db.Close()
	if err := svc.RevokeDevice(cliActor, *id); err != nil {
		return fmt.Errorf("device revoke: %w", notFound(err, "handheld", *id))
	}
	fmt.Fprintf(e.stdout, "revoked handheld %s: at its next dock it gets nothing\n", *id)
	return nil
}
