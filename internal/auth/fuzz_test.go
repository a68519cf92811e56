package auth

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/signer"

	"github.com/anode/anode/internal/s3err"
)

// FuzzParseAuthorization checks that any Authorization header either parses
// into a consistent credential scope or fails with an S3 error.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
		"AWS4-HMAC-SHA256 Credential=a/b/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=00",
		"AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00, Credential=AK/20130524/r/s3/aws4_request",
		"AWS4-HMAC-SHA256 Credential=AK//20130524/r/s3/aws4_request, SignedHeaders=;;, Signature=",
		"AWS4-HMAC-SHA256 Credential=, Credential=, SignedHeaders=host",
		"AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
		"AWS4-HMAC-SHA256",
		"AWS4-HMAC-SHA256Credential=x",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		p, err := parseAuthorization(h)
		if err != nil {
			var e *s3err.Error
			if !errors.As(err, &e) {
				t.Fatalf("non-S3 error %T: %v", err, err)
			}
			return
		}
		if p.accessKey == "" || p.signature == "" || p.signedHeaders == "" {
			t.Fatalf("accepted with empty parts: %+v", p)
		}
		if p.scope != p.date+"/"+p.region+"/"+p.service+"/"+p.terminal {
			t.Fatalf("scope %q does not match its parts %+v", p.scope, p)
		}
		if !strings.Contains(";"+p.signedHeaders+";", ";host;") {
			t.Fatalf("accepted SignedHeaders without host: %q", p.signedHeaders)
		}
	})
}

// FuzzParsePresigned checks presigned query parsing: no panic, S3 errors
// only, and an accepted expiry within a week.
func FuzzParsePresigned(f *testing.F) {
	req, _ := http.NewRequest("GET", "http://example.com/bucket/key?versionId=1", nil)
	req = signer.PreSignV4(*req, testAccessKey, testSecretKey, "", testRegion, 3600)
	f.Add(req.URL.RawQuery)
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20240101%2Fr%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
	f.Add("X-Amz-Expires=-1&X-Amz-Expires=99999999999999999999999&&=&%zz=%")
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=&X-Amz-Date=2024&X-Amz-Expires=1&X-Amz-SignedHeaders=&X-Amz-Signature=")
	f.Fuzz(func(t *testing.T, raw string) {
		q := parseQuery(raw)
		_ = appendCanonicalQuery(nil, q, true)
		p, err := parsePresigned(q)
		if err != nil {
			var e *s3err.Error
			if !errors.As(err, &e) {
				t.Fatalf("non-S3 error %T: %v", err, err)
			}
			return
		}
		if p.expires < 0 || p.expires > MaxPresignExpiry {
			t.Fatalf("accepted expiry %v", p.expires)
		}
		if _, err := time.Parse(amzDateLayout, p.amzDate); err != nil {
			t.Fatalf("accepted date %q", p.amzDate)
		}
	})
}

// FuzzChunkedDecoder feeds arbitrary bytes to the aws-chunked decoder in
// each of its modes. It must not panic, must end in io.EOF or an S3 error,
// must not return more than the announced decoded length, and must not
// buffer: it reads through a 1 KiB caller buffer whatever the input.
func FuzzChunkedDecoder(f *testing.F) {
	// Seeds stay small: the fuzzer minimises every new input, and
	// minimising kilobytes takes it minutes.
	data := payload(100)
	req, _ := http.NewRequest("PUT", "http://example.com/b/k", bytes.NewReader(data))
	req = signer.StreamingSignV4(req, testAccessKey, testSecretKey, "", testRegion, int64(len(data)), time.Now().UTC(), newSHA256Hasher())
	stream, _ := io.ReadAll(req.Body)
	// The signer of that stream, so that mutations of a valid stream
	// explore the paths after a good signature, not only the first check.
	p, err := parseAuthorization(req.Header.Get("Authorization"))
	if err != nil {
		f.Fatal(err)
	}
	fuzzSigner := chunkSigner{key: deriveSigningKey(testSecretKey, p.date, p.region), amzDate: req.Header.Get("X-Amz-Date"), scope: p.scope}
	if _, err := hex.Decode(fuzzSigner.seed[:], []byte(p.signature)); err != nil {
		f.Fatal(err)
	}
	f.Add(stream, uint8(1), int64(len(data)))
	f.Add([]byte("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"), uint8(3), int64(3))
	f.Add([]byte("3\r\nabc\r\n0\r\n\r\n"), uint8(0), int64(3))
	f.Add([]byte("0;chunk-signature="+strings.Repeat("a", 64)+"\r\nx-amz-checksum-crc32:AAAAAA==\n\r\nx-amz-trailer-signature:"+strings.Repeat("b", 64)+"\r\n\r\n"), uint8(2), int64(0))
	f.Add([]byte("10000000\r\n"), uint8(0), int64(-1))
	f.Fuzz(func(t *testing.T, stream []byte, mode uint8, decodedLen int64) {
		var s *chunkSigner
		if mode&1 != 0 {
			sg := fuzzSigner
			s = &sg
		}
		hasTrailer := mode&2 != 0
		cr := newChunkedReader(io.NopCloser(bytes.NewReader(stream)), decodedLen, s, hasTrailer, []string{"x-amz-checksum-crc32"})
		buf := make([]byte, 1024)
		var total int64
		for {
			n, err := cr.Read(buf)
			total += int64(n)
			if n < 0 || n > len(buf) {
				t.Fatalf("Read returned %d", n)
			}
			if err == io.EOF {
				if decodedLen >= 0 && total != decodedLen {
					t.Fatalf("EOF after %d bytes, announced %d", total, decodedLen)
				}
				if total > int64(len(stream)) {
					t.Fatalf("decoded %d bytes from %d", total, len(stream))
				}
				return
			}
			if err != nil {
				var e *s3err.Error
				if !errors.As(err, &e) {
					t.Fatalf("non-S3 error %T: %v", err, err)
				}
				return
			}
			if decodedLen >= 0 && total > decodedLen {
				t.Fatalf("decoded %d bytes, announced %d", total, decodedLen)
			}
		}
	})
}
