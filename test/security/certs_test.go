package security

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/anode/anode/internal/testutil"
)

// writePKI makes a CA and a node certificate signed by it, as PEM files in
// dir, and returns their paths.
func writePKI(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "operator CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "anode node"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	caFile, certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "node.pem"), filepath.Join(dir, "node.key")
	for path, block := range map[string]*pem.Block{
		caFile: {Type: "CERTIFICATE", Bytes: caDER}, certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "PRIVATE KEY", Bytes: kder},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return caFile, certFile, keyFile
}

// TestOperatorCertificates runs a 3-node cluster on operator certificates
// (cluster.tls_*) instead of a secret: it replicates and serves, and a
// client with a certificate of another CA is refused on the cluster port.
func TestOperatorCertificates(t *testing.T) {
	caFile, certFile, keyFile := writePKI(t, t.TempDir())
	cl := testutil.StartCluster(t, 3, "--placement-groups", "8",
		"--set", "cluster.tls_cert_file="+certFile, "--set", "cluster.tls_key_file="+keyFile, "--set", "cluster.tls_ca_file="+caFile)
	if cl.Secret != "" {
		t.Fatal("StartCluster added a secret beside the certificates")
	}
	waitMembers(t, cl, 3)
	ctx := context.Background()
	c1 := testutil.S3Client(cl.Nodes[0].Endpoint)
	if _, err := c1.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("certs")}); err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("operator pki ", 50_000)
	if _, err := c1.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("certs"), Key: aws.String("k"), Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	out, err := testutil.S3Client(cl.Nodes[2].Endpoint).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("certs"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(got) != body {
		t.Fatalf("read through node 3: %d bytes, want %d", len(got), len(body))
	}
	// An attacker with a certificate of its own CA.
	_, otherCert, otherKey := writePKI(t, t.TempDir())
	cert, err := tls.LoadX509KeyPair(otherCert, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	cid := clusterID(t, cl.Dirs[1])
	for _, path := range []string{"/raft", "/join", "/chunks/" + strings.Repeat("ab", 32)} {
		code := attack(t, attackClient(&cert), http.MethodPost, "https://"+cl.Members[1]+path, []byte("x"),
			map[string]string{"X-Anode-Cluster-Id": cid, "X-Anode-From": "1", "X-Anode-To": "2"})
		if !refused(code) {
			t.Errorf("%s with another CA's certificate: %d, want refused", path, code)
		}
	}
}
