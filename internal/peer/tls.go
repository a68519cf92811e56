// Package peer is the authenticated, encrypted node transport: the TLS
// configuration of the cluster port (mutual TLS 1.3, from operator
// certificates or from a shared cluster secret), the identity every peer
// request carries, and the guard that refuses a request that is not from a
// member of this cluster. docs/security.md describes the model.
package peer

import (
	"crypto"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"sync"
	"time"
)

// Credentials say how this node proves it is a member and checks the others.
// Exactly one of Secret or (CertFile, KeyFile, CAFile) is set.
type Credentials struct {
	// Secret is the shared cluster secret (cluster.secret). Every node
	// derives the same cluster CA from it and signs its own certificate.
	Secret string
	// PreviousSecret is still accepted during a rollover to Secret
	// (cluster.previous_secret); see docs/security.md.
	PreviousSecret string
	// ClusterName is mixed into the derivation, so that two clusters that
	// happen to share a secret still do not accept each other.
	ClusterName string

	// CertFile and KeyFile are this node's certificate and key (PEM),
	// CAFile the CA bundle that signs every member's certificate.
	CertFile, KeyFile, CAFile string
}

// MinSecretLength is the shortest accepted cluster secret: 32 characters,
// such as `openssl rand -hex 16`.
const MinSecretLength = 32

// TLS holds the cluster port's TLS configuration.
type TLS struct {
	server *tls.Config
	client *tls.Config
	// caFingerprint is the SHA-256 of the current cluster CA certificate:
	// a joining node with a join token checks the server against it.
	caFingerprint string
	// ca is the current CA certificate (DER), sent after the leaf so that
	// a joining node can check it against the fingerprint in its token.
	ca []byte
}

// authority is a cluster CA derived from one secret, with this node's
// certificate signed by it.
type authority struct {
	caDER []byte
	ca    *x509.Certificate
	caKey ed25519.PrivateKey
	name  string // the server name that asks for this authority's certificate

	mu   sync.Mutex
	leaf tls.Certificate
}

// New builds the cluster port's TLS configuration.
func New(c Credentials) (*TLS, error) {
	if c.Secret != "" {
		return fromSecret(c)
	}
	if c.CertFile == "" || c.KeyFile == "" || c.CAFile == "" {
		return nil, errors.New("peer TLS: set cluster.secret, or all of cluster.tls_cert_file, cluster.tls_key_file and cluster.tls_ca_file")
	}
	return fromFiles(c)
}

// ServerConfig is the TLS configuration of the cluster port's listener.
func (t *TLS) ServerConfig() *tls.Config { return t.server.Clone() }

// ClientConfig is the TLS configuration of requests to other members.
func (t *TLS) ClientConfig() *tls.Config { return t.client.Clone() }

// CAFingerprint returns the hex SHA-256 of the current cluster CA
// certificate, for join tokens. It is empty with operator certificates.
func (t *TLS) CAFingerprint() string { return t.caFingerprint }

func fromSecret(c Credentials) (*TLS, error) {
	if len(c.Secret) < MinSecretLength {
		return nil, fmt.Errorf("cluster.secret must be at least %d characters (for example the output of `openssl rand -hex 32`)", MinSecretLength)
	}
	cur, err := newAuthority(c.Secret, c.ClusterName)
	if err != nil {
		return nil, err
	}
	auths := []*authority{cur}
	if c.PreviousSecret != "" && c.PreviousSecret != c.Secret {
		prev, err := newAuthority(c.PreviousSecret, c.ClusterName)
		if err != nil {
			return nil, err
		}
		auths = append(auths, prev)
	}
	pool := x509.NewCertPool()
	for _, a := range auths {
		pool.AddCert(a.ca)
	}
	// During a rollover a node trusts both authorities and holds a
	// certificate of each. Which one it presents depends on what the other
	// side trusts: a client names the authority it prefers in the server
	// name (SNI), and a server lists the authorities it accepts in its
	// certificate request, so every pair of nodes that shares one secret
	// finds it. Without this, a node that moved to the new secret and one
	// that did not yet would refuse each other mid-rollover.
	pick := func(name string) *authority {
		for _, a := range auths {
			if a.name == name {
				return a
			}
		}
		return auths[len(auths)-1] // the oldest: what a node that was not yet updated trusts
	}
	server := &tls.Config{
		MinVersion: tls.VersionTLS13,
		// A client without a certificate gets through the handshake only to
		// be refused by the Guard on every path but /join, where a node
		// with a join token and no credentials yet asks to be let in.
		// A certificate that is presented must verify.
		ClientAuth: tls.VerifyClientCertIfGiven,
		ClientCAs:  pool,
		NextProtos: []string{"http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			return pick(hello.ServerName).certificate(), nil
		},
	}
	client := &tls.Config{
		MinVersion: tls.VersionTLS13,
		ServerName: cur.name,
		// Members are dialled by their cluster address, which is not in
		// their certificates: what is checked is that the certificate is
		// signed by the cluster CA (VerifyConnection), not a host name.
		InsecureSkipVerify: true,
		VerifyConnection:   verifyChain(pool),
		NextProtos:         []string{"http/1.1"},
		GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			for _, a := range auths {
				if c := a.certificate(); cri.SupportsCertificate(c) == nil {
					return c, nil
				}
			}
			return cur.certificate(), nil
		},
	}
	sum := sha256.Sum256(cur.caDER)
	return &TLS{server: server, client: client, caFingerprint: hex.EncodeToString(sum[:]), ca: cur.caDER}, nil
}

// verifyChain checks the peer's certificate against the cluster CAs.
func verifyChain(pool *x509.CertPool) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("peer presented no certificate")
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
			Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
		})
		if err != nil {
			return fmt.Errorf("peer certificate is not signed by the cluster CA: %w", err)
		}
		return nil
	}
}

// newAuthority derives the cluster CA of a secret: HKDF-SHA256 of the
// secret (salted with the cluster name) gives an Ed25519 seed, and the CA
// certificate is made from fixed fields, so every node that knows the
// secret builds the same CA byte for byte (Ed25519 signatures are
// deterministic). The node's own key is random and its certificate is
// signed by the derived CA key.
func newAuthority(secret, clusterName string) (*authority, error) {
	seed, err := hkdf.Key(sha256.New, []byte(secret), []byte("anode cluster "+clusterName), "anode cluster CA v1", ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("derive cluster CA: %w", err)
	}
	caKey := ed25519.NewKeyFromSeed(seed)
	pub := caKey.Public().(ed25519.PublicKey)
	id := sha256.Sum256(pub)
	tag := hex.EncodeToString(id[:8])
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "anode cluster CA " + tag},
		NotBefore:             time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          id[:20],
	}
	caDER, err := x509.CreateCertificate(nil, caTmpl, caTmpl, pub, caKey)
	if err != nil {
		return nil, fmt.Errorf("make cluster CA: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	leaf, err := nodeCertificate(ca, caKey, caDER)
	if err != nil {
		return nil, err
	}
	return &authority{caDER: caDER, ca: ca, caKey: caKey, leaf: leaf, name: "ca-" + tag + ".anode.cluster"}, nil
}

// certificate returns this node's certificate of the authority, made anew
// (with a new key) once it is within renewBefore of expiring, so that a
// node that runs for longer than a certificate's life keeps talking.
func (a *authority) certificate() *tls.Certificate {
	a.mu.Lock()
	defer a.mu.Unlock()
	if time.Until(a.leaf.Leaf.NotAfter) < renewBefore {
		if leaf, err := nodeCertificate(a.ca, a.caKey, a.caDER); err == nil {
			a.leaf = leaf
		}
	}
	c := a.leaf
	return &c
}

// renewBefore is how long before it expires a node certificate is renewed.
const renewBefore = 30 * 24 * time.Hour

// nodeCertificate makes this node's certificate, signed by the cluster CA,
// with a fresh key. It is valid for a year; a node makes a new one at every
// start, and 30 days before it expires (authority.certificate).
func nodeCertificate(ca *x509.Certificate, caKey crypto.Signer, caDER []byte) (tls.Certificate, error) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "anode node"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, pub, caKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("make node certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	// The chain carries the CA too, for joining nodes that check it
	// against the fingerprint of their join token.
	return tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key, Leaf: leaf}, nil
}

func fromFiles(c Credentials) (*TLS, error) {
	caPEM, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("cluster.tls_ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("cluster.tls_ca_file %s: no PEM certificate in it", c.CAFile)
	}
	cert, err := NewReloadingCert(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("cluster.tls_cert_file/tls_key_file: %w", err)
	}
	server := &tls.Config{
		MinVersion:     tls.VersionTLS13,
		ClientAuth:     tls.VerifyClientCertIfGiven, // see fromSecret
		ClientCAs:      pool,
		NextProtos:     []string{"http/1.1"},
		GetCertificate: cert.GetCertificate,
	}
	client := &tls.Config{
		MinVersion: tls.VersionTLS13,
		// As with secret-derived certificates, a member is who the cluster
		// CA signed, whatever address it is dialled at: use a CA of this
		// cluster alone (docs/security.md).
		InsecureSkipVerify:   true,
		VerifyConnection:     verifyChain(pool),
		NextProtos:           []string{"http/1.1"},
		GetClientCertificate: cert.GetClientCertificate,
	}
	return &TLS{server: server, client: client}, nil
}

// JoinClientConfig is the TLS configuration of a node that joins with a
// join token and has no cluster credentials yet: it presents no
// certificate and accepts the server only if the server's chain carries the
// CA whose fingerprint the token names, and the leaf is signed by it.
func JoinClientConfig(caFingerprint string) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		InsecureSkipVerify: true,
		NextProtos:         []string{"http/1.1"},
		VerifyConnection: func(cs tls.ConnectionState) error {
			for _, c := range cs.PeerCertificates[1:] {
				sum := sha256.Sum256(c.Raw)
				if !strings.EqualFold(hex.EncodeToString(sum[:]), caFingerprint) {
					continue
				}
				pool := x509.NewCertPool()
				pool.AddCert(c)
				return verifyChain(pool)(cs)
			}
			return errors.New("the node answering the join is not signed by the cluster CA the join token names")
		},
	}
}
