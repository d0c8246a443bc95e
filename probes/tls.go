package probes

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cutover/cutover/runbook"
)

// tlsConfig builds the client TLS settings of a rediss:// endpoint: the
// configured CA (else the system roots) and server name (else the URL's
// host).
func tlsConfig(ep runbook.Endpoint, urlHost, dir string) (*tls.Config, error) {
	c := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         urlHost,
		InsecureSkipVerify: ep.TLS.InsecureSkipVerify, // an explicit config choice (lab certificates)
	}
	if ep.TLS.ServerName != "" {
		c.ServerName = ep.TLS.ServerName
	}
	if ep.TLS.CAFile == "" {
		return c, nil
	}
	path := ep.TLS.CAFile
	if !filepath.IsAbs(path) && dir != "" {
		path = filepath.Join(dir, path)
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot read %s.tls.ca_file %s: %v", roleOf(ep), path, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s.tls.ca_file %s holds no PEM certificate", roleOf(ep), path)
	}
	c.RootCAs = pool
	return c, nil
}
