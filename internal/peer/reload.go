package peer

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"
)

// ReloadingCert is a certificate and key read from PEM files and read again
// when either file changes (certbot, cert-manager and the like replace them
// in place), so a rotation needs no restart. The files are checked at most
// once a second, on handshakes; a pair that does not load (a rotation
// caught between writing the two files) keeps the previous certificate in
// use until a good pair is there.
type ReloadingCert struct {
	certFile, keyFile string

	mu        sync.Mutex
	cert      *tls.Certificate
	certMod   time.Time
	keyMod    time.Time
	checked   time.Time
	lastError error
}

// NewReloadingCert loads the pair once and fails if it does not load.
func NewReloadingCert(certFile, keyFile string) (*ReloadingCert, error) {
	r := &ReloadingCert{certFile: certFile, keyFile: keyFile}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *ReloadingCert) load() error {
	cs, err := os.Stat(r.certFile)
	if err != nil {
		return err
	}
	ks, err := os.Stat(r.keyFile)
	if err != nil {
		return err
	}
	if r.cert != nil && cs.ModTime().Equal(r.certMod) && ks.ModTime().Equal(r.keyMod) {
		return nil
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("load %s and %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert, r.certMod, r.keyMod = &cert, cs.ModTime(), ks.ModTime()
	return nil
}

// current returns the certificate, reloading it first if a file changed.
func (r *ReloadingCert) current() *tls.Certificate {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checked) >= time.Second {
		r.checked = time.Now()
		r.lastError = r.load()
	}
	return r.cert
}

// GetCertificate is a tls.Config.GetCertificate.
func (r *ReloadingCert) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.current(), nil
}

// GetClientCertificate is a tls.Config.GetClientCertificate.
func (r *ReloadingCert) GetClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return r.current(), nil
}

// LastError returns the error of the last reload attempt, nil if it loaded.
func (r *ReloadingCert) LastError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastError
}
