package auth

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/signer"
)

// BenchmarkVerifyHeader measures verifying a typical header-signed PutObject
// (the body is not read).
func BenchmarkVerifyHeader(b *testing.B) {
	at := time.Now()
	v := &Verifier{Creds: testCreds(), Region: testRegion, Now: func() time.Time { return at }}
	req, _ := http.NewRequest("PUT", "http://localhost:8080/bucket/some/object/key.parquet?x-id=PutObject", http.NoBody)
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Amz-Checksum-Crc32", "AAAAAA==")
	req.Header.Set("X-Amz-Sdk-Checksum-Algorithm", "CRC32")
	awsSign(b, req, testAccessKey, testSecretKey, emptySHA256Hex, testRegion, at)
	if _, err := v.Authenticate(req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Authenticate(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChunkedDecode measures authenticating and reading a 1 MiB PUT
// sent by minio-go as signed aws-chunked (16 chunks of 64 KiB).
func BenchmarkChunkedDecode(b *testing.B) {
	data := payload(1 << 20)
	req, _ := http.NewRequest("PUT", "http://localhost:8080/bucket/key", bytes.NewReader(data))
	req = signer.StreamingSignV4(req, testAccessKey, testSecretKey, "", testRegion, int64(len(data)), time.Now().UTC(), newSHA256Hasher())
	stream, err := io.ReadAll(req.Body)
	if err != nil {
		b.Fatal(err)
	}
	v := &Verifier{Creds: testCreds(), Region: testRegion}
	body := bytes.NewReader(stream)
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		body.Reset(stream)
		req.Body = io.NopCloser(body)
		res, err := v.Authenticate(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(io.Discard, res.Body, buf)
		if err != nil || n != int64(len(data)) {
			b.Fatalf("read %d bytes: %v", n, err)
		}
	}
}

// BenchmarkUnsignedTrailerDecode is the same 1 MiB with unsigned chunks and
// a crc32 trailer, what SDKs send when they checksum in a trailer.
func BenchmarkUnsignedTrailerDecode(b *testing.B) {
	data := payload(1 << 20)
	req, _ := http.NewRequest("PUT", "http://localhost:8080/bucket/key", bytes.NewReader(data))
	req.Header.Set("X-Amz-Content-Sha256", streamingUnsignedPayloadTrail)
	req = signer.SignV4Trailer(*req, testAccessKey, testSecretKey, "", testRegion, http.Header{"x-amz-checksum-crc32": {crc32Base64(data)}})
	stream, err := io.ReadAll(req.Body)
	if err != nil {
		b.Fatal(err)
	}
	v := &Verifier{Creds: testCreds(), Region: testRegion}
	body := bytes.NewReader(stream)
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		body.Reset(stream)
		req.Body = io.NopCloser(body)
		res, err := v.Authenticate(req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, res.Body, buf); err != nil {
			b.Fatal(err)
		}
		if !strings.HasSuffix(res.Trailers().Get("X-Amz-Checksum-Crc32"), "=") {
			b.Fatal("no trailer")
		}
	}
}
