package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"meter-sync/config"
	"meter-sync/store"
	"meter-sync/store/bolt"
)

func runBackup(ctx context.Context, e *env, args []string) error {
	fs, common := newFlags(e, "backup", "--out FILE [--data DIR]")
	out := fs.String("out", "", "backup `FILE` to write")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("backup: --out is required")
	}
	cfg, err := common.loadConfig()
	if err != nil {
		return err
	}
	tmp := *out + ".partial"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	n, via, err := writeBackup(ctx, common, cfg.Store.OpenTimeout.Duration, storePath(common.data, cfg), f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = verifyStoreFile(tmp)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, *out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backup %s: %d bytes, checked, taken %s\n", *out, n, via)
	return nil
}

// writeBackup copies the store to w: directly when no server holds it,
// through the running server's admin endpoint when one does.
func writeBackup(ctx context.Context, c *commonFlags, timeout time.Duration, path string, w io.Writer) (int64, string, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, "", fmt.Errorf("no store at %s: %w", path, err)
	}
	db, err := bolt.Open(path, &bolt.Options{Timeout: timeout, ReadOnly: true})
	if errors.Is(err, store.ErrInUse) {
		info, ok := readServeInfo(c.data)
		if !ok {
			return 0, "", fmt.Errorf("store %s is in use and no running server is recorded in %s", path, filepath.Join(c.data, serveInfoFile))
		}
		n, err := backupThroughServer(ctx, info, w)
		return n, "through the running server at " + info.Addr, err
	}
	if err != nil {
		return 0, "", err
	}
	defer db.Close()
	n, err := db.Backup(w)
	return n, "from the stopped store", err
}

func backupThroughServer(ctx context.Context, info serveInfo, w io.Writer) (int64, error) {
	scheme := "http"
	client := &http.Client{}
	if info.TLS {
		scheme = "https"
		// The server's own certificate may be for its public name, not the
		// loopback address this local call uses; the admin token authenticates.
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, scheme+"://"+loopback(info.Addr)+"/api/v1/admin/backup", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+info.AdminToken)
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("asking the server at %s: %w", info.Addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, fmt.Errorf("server at %s answered %s: %s", info.Addr, resp.Status, msg)
	}
	return io.Copy(w, resp.Body)
}

// loopback turns a listen address such as ":8080" into one to dial.
func loopback(addr string) string {
	if len(addr) > 0 && addr[0] == ':' {
		return "127.0.0.1" + addr
	}
	return addr
}

// verifyStoreFile opens a store file read-only and checks it.
func verifyStoreFile(path string) error {
	db, err := bolt.Open(path, &bolt.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Check()
}

func runRestore(ctx context.Context, e *env, args []string) error {
	fs, common := newFlags(e, "restore", "--from FILE [--data DIR]")
	from := fs.String("from", "", "backup `FILE` to restore")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *from == "" {
		return errors.New("restore: --from is required")
	}
	cfg, err := common.loadConfig()
	if err != nil {
		return err
	}
	if err := verifyStoreFile(*from); err != nil {
		return fmt.Errorf("restore: %s is not a sound backup: %w", *from, err)
	}
	// Holding the live store's lock proves no server is using it.
	live, err := openStore(common, cfg)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	path := live.Path()
	kept, err := restoreFile(*from, path, live)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(e.stdout, "restored %s from %s; the previous store is kept as %s\n", path, *from, kept)
	return nil
}

// restoreFile copies the backup beside the live store, then swaps it in
// with renames, so a crash leaves either the old store or the new one.
func restoreFile(from, path string, live *bolt.DB) (string, error) {
	tmp := path + ".restore"
	if err := copyFile(from, tmp); err != nil {
		return "", err
	}
	kept := fmt.Sprintf("%s.before-restore-%s", path, time.Now().Format("20060102-150405"))
	if err := os.Rename(path, kept); err != nil {
		live.Close()
		return "", err
	}
	live.Close()
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	return kept, nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

func runCheck(ctx context.Context, e *env, args []string) error {
	fs, common := newFlags(e, "check", "[--data DIR]")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := common.loadConfig()
	if err != nil {
		return err
	}
	db, err := openStore(common, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		return err
	}
	n, err := store.CountCustomers(db)
	fmt.Fprintf(e.stdout, "store %s: consistent, %d customers, %d bytes\n", db.Path(), n, db.Size())
	return err
}

func runConfig(ctx context.Context, e *env, args []string) error {
	fs, _ := newFlags(e, "config", "  (prints the documented default configuration)")
	if err := parse(fs, args); err != nil {
		return err
	}
	_, err := e.stdout.Write(config.Example())
	return err
}
