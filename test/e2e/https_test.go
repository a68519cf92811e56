package e2e

import (
	"bytes"
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
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/anode/anode/internal/testutil"
)

// testCA is a certificate authority made for one test, and the PEM files
// of a server certificate it signed for 127.0.0.1 and localhost.
type testCA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	caFile  string
	pool    *x509.CertPool
	dir     string
	serials int64
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "anode test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, dir: t.TempDir(), pool: x509.NewCertPool(), serials: 100}
	ca.pool.AddCert(cert)
	ca.caFile = filepath.Join(ca.dir, "ca.pem")
	writePEM(t, ca.caFile, "CERTIFICATE", der)
	return ca
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	// Written next to the target and renamed, as cert-manager and certbot
	// replace files.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// issue writes a server certificate and key to cert.pem and key.pem and
// returns its serial number.
func (ca *testCA) issue(t *testing.T) (certFile, keyFile string, serial int64) {
	t.Helper()
	ca.serials++
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(ca.serials), Subject: pkix.Name{CommonName: "anode"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile = filepath.Join(ca.dir, "cert.pem"), filepath.Join(ca.dir, "key.pem")
	writePEM(t, keyFile, "PRIVATE KEY", kder)
	writePEM(t, certFile, "CERTIFICATE", der)
	return certFile, keyFile, ca.serials
}

// servedSerial returns the serial number of the certificate addr serves.
func servedSerial(addr string, pool *x509.CertPool) (int64, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64(), nil
}

// TestHTTPS serves the S3 and admin ports over HTTPS with a certificate
// made in the test, and runs the aws CLI (--ca-bundle), boto3 (verify=),
// aws-sdk-go-v2, minio-go and `anode admin` against it; then replaces the
// certificate files and checks that the new certificate is served without
// a restart.
func TestHTTPS(t *testing.T) {
	_, python := requireClients(t)
	ca := newTestCA(t)
	certFile, keyFile, first := ca.issue(t)
	trusting := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}}}
	testutil.HTTPClient = trusting
	t.Cleanup(func() { testutil.HTTPClient = &http.Client{} })
	bin := testutil.BuildAnode(t)
	p := testutil.StartProcess(t, bin, t.TempDir(),
		"--set", "s3.tls_cert_file="+certFile, "--set", "s3.tls_key_file="+keyFile,
		"--set", "admin.tls_cert_file="+certFile, "--set", "admin.tls_key_file="+keyFile)
	if !strings.HasPrefix(p.Endpoint, "https://") || !strings.HasPrefix(p.AdminURL, "https://") {
		t.Fatalf("endpoints %s and %s, want https", p.Endpoint, p.AdminURL)
	}
	ctx := context.Background()
	home := t.TempDir()
	env := slices.Concat(clientEnv(t, p.Endpoint), []string{
		"AWS_ACCESS_KEY_ID=" + testutil.AccessKey, "AWS_SECRET_ACCESS_KEY=" + testutil.SecretKey, "AWS_DEFAULT_REGION=us-east-1",
	})
	run := func(name string, args ...string) (string, error) {
		cctx, cancel := context.WithTimeout(ctx, scriptTimeout)
		defer cancel()
		cmd := exec.CommandContext(cctx, name, args...)
		cmd.Env, cmd.Dir = env, home
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	t.Run("aws CLI", func(t *testing.T) {
		src := filepath.Join(home, "cli.bin")
		data := bytes.Repeat([]byte("tls"), 400_000)
		os.WriteFile(src, data, 0o600)
		if out, err := run("aws", "--endpoint-url", p.Endpoint, "s3", "ls"); err == nil {
			t.Fatalf("aws CLI without --ca-bundle trusted the test CA:\n%s", out)
		} else if !strings.Contains(out, "CERTIFICATE_VERIFY_FAILED") && !strings.Contains(strings.ToLower(out), "certificate") {
			t.Fatalf("aws CLI without --ca-bundle failed for another reason:\n%s", out)
		}
		for _, args := range [][]string{
			{"s3", "mb", "s3://tls-cli"},
			{"s3", "cp", src, "s3://tls-cli/obj"},
			{"s3", "cp", "s3://tls-cli/obj", filepath.Join(home, "cli.out")},
		} {
			if out, err := run("aws", append([]string{"--endpoint-url", p.Endpoint, "--ca-bundle", ca.caFile}, args...)...); err != nil {
				t.Fatalf("aws %v: %v\n%s", args, err, out)
			}
		}
		if got, _ := os.ReadFile(filepath.Join(home, "cli.out")); !bytes.Equal(got, data) {
			t.Fatalf("aws CLI round trip over HTTPS: %d bytes back, want %d", len(got), len(data))
		}
	})

	t.Run("boto3", func(t *testing.T) {
		script := `
import os, sys, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], verify=sys.argv[1],
                  config=Config(s3={"addressing_style": "path"}))
s3.create_bucket(Bucket="tls-boto3")
s3.put_object(Bucket="tls-boto3", Key="k", Body=b"over https" * 1000)
got = s3.get_object(Bucket="tls-boto3", Key="k")["Body"].read()
assert got == b"over https" * 1000, len(got)
try:
    boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], verify=True).list_buckets()
except Exception as e:
    assert "CERTIFICATE_VERIFY_FAILED" in str(e) or "certificate" in str(e).lower(), e
else:
    raise SystemExit("boto3 with verify=True trusted the test CA")
print("ok")
`
		if out, err := run(python, "-c", script, ca.caFile); err != nil || !strings.Contains(out, "ok") {
			t.Fatalf("boto3 over HTTPS: %v\n%s", err, out)
		}
	})

	t.Run("aws-sdk-go-v2", func(t *testing.T) {
		c := s3.New(s3.Options{
			BaseEndpoint: aws.String(p.Endpoint), Region: "us-east-1", UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider(testutil.AccessKey, testutil.SecretKey, ""),
			HTTPClient:  trusting,
		})
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("tls-go")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tls-go"), Key: aws.String("k"), Body: strings.NewReader("sdk")}); err != nil {
			t.Fatal(err)
		}
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("tls-go"), Key: aws.String("k")})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(b) != "sdk" {
			t.Fatalf("got %q", b)
		}
	})

	t.Run("minio-go", func(t *testing.T) {
		mc, err := minio.New(strings.TrimPrefix(p.Endpoint, "https://"), &minio.Options{
			Creds: miniocreds.NewStaticV4(testutil.AccessKey, testutil.SecretKey, ""), Secure: true,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}}, Region: "us-east-1",
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := mc.MakeBucket(ctx, "tls-minio", minio.MakeBucketOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := mc.PutObject(ctx, "tls-minio", "k", strings.NewReader("minio"), 5, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		o, err := mc.GetObject(ctx, "tls-minio", "k", minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(o)
		if string(b) != "minio" {
			t.Fatalf("got %q", b)
		}
	})

	t.Run("anode admin", func(t *testing.T) {
		cmd := exec.Command(bin, "admin", "status", "--addr", p.AdminURL, "--ca-bundle", ca.caFile)
		cmd.Env = append(os.Environ(), "ANODE_ROOT_USER="+testutil.AccessKey, "ANODE_ROOT_PASSWORD="+testutil.SecretKey)
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "groups:") {
			t.Fatalf("anode admin status over HTTPS: %v\n%s", err, out)
		}
		cmd = exec.Command(bin, "admin", "status", "--addr", p.AdminURL, "--ca-bundle", ca.caFile)
		cmd.Env = append(os.Environ(), "ANODE_ROOT_USER="+testutil.AccessKey, "ANODE_ROOT_PASSWORD=wrong-password")
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Fatalf("anode admin status with a wrong password succeeded:\n%s", out)
		}
	})

	t.Run("reload", func(t *testing.T) {
		s3Addr := strings.TrimPrefix(p.Endpoint, "https://")
		if got, err := servedSerial(s3Addr, ca.pool); err != nil || got != first {
			t.Fatalf("serving serial %d (%v), want %d", got, err, first)
		}
		_, _, second := ca.issue(t)
		// Each port checks the files at most once a second.
		for _, addr := range []string{s3Addr, strings.TrimPrefix(p.AdminURL, "https://")} {
			deadline := time.Now().Add(15 * time.Second)
			for {
				got, err := servedSerial(addr, ca.pool)
				if err == nil && got == second {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after replacing the files %s serves serial %d (%v), want %d", addr, got, err, second)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	})
}
