package probes

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/runbook"
)

// certs writes a CA and a server certificate for name and ip into dir and
// returns the CA, cert and key paths.
func certs(t *testing.T, dir, name, ip string) (ca, cert, key string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cutover test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{name}, IPAddresses: []net.IP{net.ParseIP(ip)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(srvKey)
	write := func(file, typ string, der []byte) string {
		p := filepath.Join(dir, file)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("server.pem", "CERTIFICATE", srvDER), write("server.key", "EC PRIVATE KEY", keyDER)
}

func TestTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	host := servers.PickBlock().Host(1)
	ca, cert, key := certs(t, dir, "redis.test", host)
	port, err := servers.FreePort(host)
	if err != nil {
		t.Fatal(err)
	}
	r := labtest.Redis(t, labtest.WithHost(host), labtest.WithPassword("pw"), labtest.WithConfig(
		"tls-port "+strconv.Itoa(port), "tls-cert-file "+cert, "tls-key-file "+key,
		"tls-ca-cert-file "+ca, "tls-auth-clients no"))
	tlsAddr := net.JoinHostPort(host, strconv.Itoa(port))

	tgt := target(tlsAddr, "pw")
	tgt.URL = "rediss://" + tlsAddr
	tgt.TLS = runbook.TLS{CAFile: "ca.pem", ServerName: "redis.test"}
	cfg := labConfig(source(r.Addr(), "pw"), tgt)
	cfg.Dir = dir
	res := runCheck(t, "build.tls", envFor(cfg, nil))
	wantResult(t, res, true, "TLS verifies against ca.pem and plaintext is refused")
	wantContains(t, evidence(t, res, "TLS handshake").Value, "certificate redis.test issued by cutover test CA")

	// Another CA does not verify the server.
	other, _, _ := certs(t, t.TempDir(), "redis.test", host)
	cfg.Target.TLS.CAFile = other
	res = runCheck(t, "build.tls", envFor(cfg, nil))
	wantResult(t, res, false, "TLS handshake: TLS handshake failed: certificate signed by unknown authority")

	// The wrong name does not either.
	cfg.Target.TLS = runbook.TLS{CAFile: ca, ServerName: "other.test"}
	res = runCheck(t, "build.tls", envFor(cfg, nil))
	wantResult(t, res, false, "the certificate is not valid for other.test (check target.tls.server_name)")

	// rediss:// at the plaintext port: no TLS there, and plaintext answers.
	cfg.Target.URL = "rediss://" + r.Addr()
	cfg.Target.TLS = runbook.TLS{CAFile: ca, ServerName: "redis.test"}
	res = runCheck(t, "build.tls", envFor(cfg, nil))
	wantResult(t, res, false, "the target answers plaintext on its TLS address")
	wantContains(t, evidence(t, res, "TLS handshake").Value, "(is this a TLS port?)")

	cfg.Target.URL = "redis://" + r.Addr()
	res = runCheck(t, "build.tls", envFor(cfg, nil))
	wantResult(t, res, false, "target.url is not rediss://")
}
