package peer

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"testing"
	"time"
)

const (
	oldSecret = "0123456789abcdef0123456789abcdef-old"
	newSecret = "0123456789abcdef0123456789abcdef-new"
)

func mustTLS(t *testing.T, c Credentials) *TLS {
	t.Helper()
	if c.ClusterName == "" {
		c.ClusterName = "test"
	}
	x, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// serve starts an HTTPS server with the server side of s that answers 200
// to requests with a verified member certificate and 403 otherwise.
func serve(t *testing.T, s *TLS) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Not httptest: its own certificate would take the place of
	// GetCertificate for clients that send no server name.
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Authenticated(r) {
			http.Error(w, "no member certificate", http.StatusForbidden)
			return
		}
		io.WriteString(w, "ok")
	}), ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(tls.NewListener(ln, s.ServerConfig()))
	t.Cleanup(func() { srv.Close() })
	return "https://" + ln.Addr().String()
}

// call returns the status a client with the client side of c gets, or 0
// when the handshake fails.
func call(t *testing.T, url string, c *tls.Config) int {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: c}}
	resp, err := client.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestSameSecretAuthenticates(t *testing.T) {
	a, b := mustTLS(t, Credentials{Secret: oldSecret}), mustTLS(t, Credentials{Secret: oldSecret})
	if got := call(t, serve(t, a), b.ClientConfig()); got != 200 {
		t.Fatalf("a node with the same secret got %d, want 200", got)
	}
	if a.CAFingerprint() != b.CAFingerprint() {
		t.Fatal("two nodes derived different CAs from one secret")
	}
}

func TestOtherSecretOrNoCertificateRefused(t *testing.T) {
	url := serve(t, mustTLS(t, Credentials{Secret: oldSecret}))
	if got := call(t, url, mustTLS(t, Credentials{Secret: newSecret}).ClientConfig()); got == 200 {
		t.Fatalf("a node with another secret got %d", got)
	}
	if got := call(t, url, mustTLS(t, Credentials{Secret: oldSecret, ClusterName: "other"}).ClientConfig()); got == 200 {
		t.Fatalf("a node of another cluster name with the same secret got %d", got)
	}
	// No client certificate: the handshake succeeds (for /join with a
	// token) but nothing is authenticated.
	if got := call(t, url, &tls.Config{InsecureSkipVerify: true}); got != http.StatusForbidden {
		t.Fatalf("a client without a certificate got %d, want 403", got)
	}
	// A client also refuses a server that is not of the cluster.
	other := serve(t, mustTLS(t, Credentials{Secret: newSecret}))
	if got := call(t, other, mustTLS(t, Credentials{Secret: oldSecret}).ClientConfig()); got != 0 {
		t.Fatalf("a client talked to a server of another cluster: %d", got)
	}
}

// TestSecretRollover walks the two-step rollover of docs/security.md:
// every pair of nodes that can be running at the same time during it
// authenticates both ways.
func TestSecretRollover(t *testing.T) {
	before := Credentials{Secret: oldSecret}
	during := Credentials{Secret: newSecret, PreviousSecret: oldSecret}
	after := Credentials{Secret: newSecret}
	for _, pair := range []struct {
		name string
		a, b Credentials
	}{
		{"step 1: not yet updated and updated", before, during},
		{"between the steps", during, during},
		{"step 2: updated and finished", during, after},
		{"finished", after, after},
	} {
		a, b := mustTLS(t, pair.a), mustTLS(t, pair.b)
		if got := call(t, serve(t, a), b.ClientConfig()); got != 200 {
			t.Errorf("%s: b to a got %d, want 200", pair.name, got)
		}
		if got := call(t, serve(t, b), a.ClientConfig()); got != 200 {
			t.Errorf("%s: a to b got %d, want 200", pair.name, got)
		}
	}
	// Skipping step 1 cuts the old and new nodes apart.
	if got := call(t, serve(t, mustTLS(t, before)), mustTLS(t, after).ClientConfig()); got == 200 {
		t.Error("a node with only the new secret was accepted by one with only the old")
	}
}

func TestJoinClientChecksFingerprint(t *testing.T) {
	s := mustTLS(t, Credentials{Secret: oldSecret})
	url := serve(t, s)
	if got := call(t, url, JoinClientConfig(s.CAFingerprint())); got != http.StatusForbidden {
		t.Fatalf("join client with the right fingerprint: %d, want 403 (handshake through, no member certificate)", got)
	}
	wrong := mustTLS(t, Credentials{Secret: newSecret}).CAFingerprint()
	if got := call(t, url, JoinClientConfig(wrong)); got != 0 {
		t.Fatalf("join client accepted a server of another CA: %d", got)
	}
}

func TestShortSecretRefused(t *testing.T) {
	if _, err := New(Credentials{Secret: "short"}); err == nil {
		t.Fatal("a 5-character secret was accepted")
	}
}

// TestNodeCertificateRenewed: a node certificate close to expiry is
// replaced by a new one on the next handshake, so a long-running node
// keeps being accepted.
func TestNodeCertificateRenewed(t *testing.T) {
	a, err := newAuthority(oldSecret, "test")
	if err != nil {
		t.Fatal(err)
	}
	first := a.certificate().Leaf
	if again := a.certificate().Leaf; again.SerialNumber.Cmp(first.SerialNumber) != 0 {
		t.Fatal("a fresh certificate was replaced")
	}
	a.mu.Lock()
	a.leaf.Leaf.NotAfter = time.Now().Add(24 * time.Hour) // as if it had run for 364 days
	a.mu.Unlock()
	renewed := a.certificate().Leaf
	if renewed.SerialNumber.Cmp(first.SerialNumber) == 0 || time.Until(renewed.NotAfter) < 300*24*time.Hour {
		t.Fatalf("a certificate a day from expiry was not renewed (expires %v)", renewed.NotAfter)
	}
	if _, err := renewed.Verify(x509.VerifyOptions{Roots: poolOf(a.ca), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("the renewed certificate does not verify: %v", err)
	}
}

func poolOf(c *x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c)
	return p
}
