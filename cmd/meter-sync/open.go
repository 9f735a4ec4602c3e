package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"meter-sync/config"
	"meter-sync/store"
	"meter-sync/store/bolt"
)

// loadConfig reads the configuration file; the default file in the data
// folder may be absent, one named with --config may not.
func (c *commonFlags) loadConfig() (config.Config, error) {
	path, explicit := c.configPath()
	cfg, err := config.Load(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return config.Default(), nil
	}
	return cfg, err
}

// storePath is where the store file of this data folder is.
func storePath(data string, cfg config.Config) string {
	if filepath.IsAbs(cfg.Store.File) {
		return cfg.Store.File
	}
	return filepath.Join(data, cfg.Store.File)
}

// openStore opens the data folder's store, creating the folder if needed. If
// a running server holds it, it says so at once rather than wait.
func openStore(c *commonFlags, cfg config.Config) (*bolt.DB, error) {
	return openStoreElse(c, cfg, "")
}

// openStoreElse is openStore for a command that a back-office page also
// does: page, such as "/admin/users", is named in the message when a
// running server holds the store.
func openStoreElse(c *commonFlags, cfg config.Config, page string) (*bolt.DB, error) {
	if err := os.MkdirAll(c.data, 0o750); err != nil {
		return nil, err
	}
	path := storePath(c.data, cfg)
	db, err := bolt.Open(path, &bolt.Options{Timeout: cfg.Store.OpenTimeout.Duration})
	if !errors.Is(err, store.ErrInUse) {
		return db, err
	}
	info, ok := readServeInfo(c.data)
	switch {
	case ok && page != "":
		return nil, fmt.Errorf("store %s is in use by the server running at %s (pid %d); use the web page %s instead, or stop the server first", path, info.Addr, info.PID, info.url(page))
	case ok:
		return nil, fmt.Errorf("store %s is in use by the server running at %s (pid %d); stop it first, or use a command that goes through it (backup)", path, info.Addr, info.PID)
	case page != "":
		return nil, fmt.Errorf("store %s is in use by another meter-sync process; if it is the server, use the web page %s instead", path, page)
	}
	return nil, fmt.Errorf("store %s is in use by another meter-sync process", path)
}

// serveInfo is what a running server leaves in its data folder so that other
// commands can reach it: where it listens and the token of its local admin
// endpoints. The file is readable only by the server's user, who can read the
// store file anyway.
type serveInfo struct {
	Addr       string `json:"addr"`
	PID        int    `json:"pid"`
	AdminToken string `json:"admin_token"`
	TLS        bool   `json:"tls"`
}

const serveInfoFile = "serve.json"

// url is the address of a page of the running server, as reached from this
// machine.
func (i serveInfo) url(path string) string {
	scheme := map[bool]string{false: "http", true: "https"}[i.TLS]
	return scheme + "://" + loopback(i.Addr) + path
}

func readServeInfo(data string) (serveInfo, bool) {
	var info serveInfo
	b, err := os.ReadFile(filepath.Join(data, serveInfoFile))
	if err != nil || json.Unmarshal(b, &info) != nil || info.Addr == "" {
		return serveInfo{}, false
	}
	return info, true
}

func writeServeInfo(data string, info serveInfo) error {
	b, err := json.Marshal(info)
	if err != nil {
		return err
	}
	tmp := filepath.Join(data, serveInfoFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(data, serveInfoFile))
}
