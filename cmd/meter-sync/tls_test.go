package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeSelfSigned writes a certificate for 127.0.0.1 and its key into dir.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "meter-sync test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certFile, keyFile
}

// TestServeTLS: with a certificate configured, the server speaks only HTTPS,
// its cookies are Secure, and a backup still goes through it.
func TestServeTLS(t *testing.T) {
	data := cheapHashing(t)
	cert, key := writeSelfSigned(t, t.TempDir())
	conf := "[auth]\nhash_memory_kib = 8192\nhash_time = 1\nhash_threads = 1\n[server]\ntls_cert = \"" + cert + "\"\ntls_key = \"" + key + "\"\n"
	if err := os.WriteFile(filepath.Join(data, "meter-sync.toml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	_, url, _ := startServe(t, "--data", data)
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("serve says %s, want https", url)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(url + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /healthz over TLS: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = client.Get(url + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if !c.Secure {
			t.Errorf("cookie %s is not Secure over TLS", c.Name)
		}
	}
	if plain, err := http.Get(strings.Replace(url, "https://", "http://", 1) + "/healthz"); err == nil && plain.StatusCode == 200 {
		t.Error("the TLS server answered plain HTTP")
	}
	backup := filepath.Join(t.TempDir(), "b.db")
	if out, stderr, code := run(t, "backup", "--data", data, "--out", backup); code != 0 || !strings.Contains(out, "through the running server") {
		t.Fatalf("backup over TLS: exit %d %s%s", code, out, stderr)
	}
}
