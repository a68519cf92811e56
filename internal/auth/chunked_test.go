package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/signer"

	"github.com/anode/anode/internal/s3err"
)

// payload returns n bytes of deterministic, non-repeating-looking data.
func payload(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func crc32Base64(b []byte) string {
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE(b))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// minioStreaming returns a PUT signed by minio-go's StreamingSignV4 (signed
// aws-chunked, 64 KiB chunks), with a signed trailer when trailer is set,
// and its encoded body.
func minioStreaming(t testing.TB, url string, data []byte, trailer http.Header) (*http.Request, []byte) {
	t.Helper()
	req, err := http.NewRequest("PUT", url, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Trailer = trailer
	req = signer.StreamingSignV4(req, testAccessKey, testSecretKey, "", testRegion, int64(len(data)), time.Now().UTC(), newSHA256Hasher())
	stream, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	// minio-go announces 0 bytes for an empty payload's stream, which it
	// never sends that way itself.
	req.ContentLength = int64(len(stream))
	req.Body = io.NopCloser(bytes.NewReader(stream))
	return req, stream
}

func withBody(req *http.Request, stream []byte) *http.Request {
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(stream))
	r.ContentLength = int64(len(stream))
	return r
}

func TestStreamingSigned(t *testing.T) {
	v := &Verifier{Creds: testCreds(), Region: testRegion}
	srv := newServer(t, v)
	for _, n := range []int{0, 1, 64 << 10, 3*64<<10 + 17} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			data := payload(n)
			req, _ := minioStreaming(t, srv.URL+"/bucket/stream key", data, nil)
			o := do(t, req)
			wantOK(t, o, string(data))
			if o.ContentLength != int64(n) {
				t.Fatalf("ContentLength = %d, want %d", o.ContentLength, n)
			}
			if o.Trailers != nil {
				t.Fatalf("trailers %v on a stream without trailer", o.Trailers)
			}
		})
	}
}

func TestStreamingSignedCorrupted(t *testing.T) {
	v := &Verifier{Creds: testCreds(), Region: testRegion}
	srv := newServer(t, v)
	data := payload(3*64<<10 + 100)
	req, stream := minioStreaming(t, srv.URL+"/bucket/key", data, nil)

	tests := []struct {
		name   string
		mutate func([]byte) []byte
		code   string
	}{
		{"flipped byte in second chunk", func(s []byte) []byte {
			i := bytes.Index(s, data[64<<10+500:64<<10+532])
			s[i] ^= 1
			return s
		}, "SignatureDoesNotMatch"},
		{"flipped byte in last chunk", func(s []byte) []byte {
			i := bytes.Index(s, data[len(data)-40:])
			s[i] ^= 0x80
			return s
		}, "SignatureDoesNotMatch"},
		{"chunk signature altered", func(s []byte) []byte {
			i := bytes.Index(s, []byte("chunk-signature=")) + len("chunk-signature=")
			if s[i] == '0' {
				s[i] = '1'
			} else {
				s[i] = '0'
			}
			return s
		}, "SignatureDoesNotMatch"},
		{"chunks swapped", func(s []byte) []byte {
			// Move the final chunk before the third: signatures chain,
			// so order matters even when every chunk is genuine.
			var starts []int
			for i := 0; ; {
				j := bytes.Index(s[i:], []byte(";chunk-signature="))
				if j < 0 {
					break
				}
				k := bytes.LastIndex(s[:i+j], []byte("\n")) + 1
				starts = append(starts, k)
				i += j + 1
			}
			out := append([]byte{}, s[:starts[2]]...)
			out = append(out, s[starts[3]:starts[4]]...)
			out = append(out, s[starts[2]:starts[3]]...)
			return append(out, s[starts[4]:]...)
		}, "SignatureDoesNotMatch"},
		{"truncated mid chunk", func(s []byte) []byte { return s[:len(s)/2] }, "IncompleteBody"},
		{"truncated before final chunk", func(s []byte) []byte {
			return s[:bytes.LastIndex(s, []byte("0;chunk-signature="))]
		}, "IncompleteBody"},
		{"extra chunk after announced length", func(s []byte) []byte {
			i := bytes.LastIndex(s, []byte("0;chunk-signature="))
			extra := fmt.Sprintf("1;chunk-signature=%s\r\nx\r\n", strings.Repeat("0", 64))
			return append(append(append([]byte{}, s[:i]...), extra...), s[i:]...)
		}, "InvalidRequest"},
		{"garbage size line", func(s []byte) []byte {
			i := bytes.Index(s, []byte(";chunk-signature="))
			s[i-1] = 'g'
			return s
		}, "InvalidRequest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mutated := tc.mutate(append([]byte{}, stream...))
			wantErr(t, do(t, withBody(req, mutated)), "body", tc.code)
		})
	}
}

func TestStreamingSignedTrailer(t *testing.T) {
	v := &Verifier{Creds: testCreds(), Region: testRegion}
	srv := newServer(t, v)
	data := payload(2*64<<10 + 5)
	sum := crc32Base64(data)
	req, stream := minioStreaming(t, srv.URL+"/bucket/key", data, http.Header{"x-amz-checksum-crc32": {sum}})
	if got := req.Header.Get("X-Amz-Content-Sha256"); got != streamingPayloadTrailer {
		t.Fatalf("test premise: minio-go sent x-amz-content-sha256 %q", got)
	}
	o := do(t, req)
	wantOK(t, o, string(data))
	if got := o.Trailers.Get("X-Amz-Checksum-Crc32"); got != sum {
		t.Fatalf("trailer crc32 = %q, want %q (trailers %v)", got, sum, o.Trailers)
	}

	// A changed trailer value breaks the trailer signature.
	forged := bytes.Replace(append([]byte{}, stream...), []byte(sum), []byte(crc32Base64([]byte("x"))), 1)
	wantErr(t, do(t, withBody(req, forged)), "body", "SignatureDoesNotMatch")
}

func TestStreamingUnsignedTrailerMinio(t *testing.T) {
	v := &Verifier{Creds: testCreds(), Region: testRegion}
	srv := newServer(t, v)
	data := payload(100<<10 + 3)
	sum := crc32Base64(data)
	req, _ := http.NewRequest("PUT", srv.URL+"/bucket/k", bytes.NewReader(data))
	req.Header.Set("X-Amz-Content-Sha256", streamingUnsignedPayloadTrail)
	req = signer.SignV4Trailer(*req, testAccessKey, testSecretKey, "", testRegion, http.Header{"x-amz-checksum-crc32": {sum}})
	o := do(t, req)
	wantOK(t, o, string(data))
	if o.ContentLength != int64(len(data)) {
		t.Fatalf("ContentLength = %d", o.ContentLength)
	}
	if got := o.Trailers.Get("X-Amz-Checksum-Crc32"); got != sum {
		t.Fatalf("trailer crc32 = %q, want %q", got, sum)
	}
}

// awsUnsignedTrailerRequest builds the request aws-sdk-go-v2 sends for a
// trailing checksum: the header signed over STREAMING-UNSIGNED-PAYLOAD-TRAILER
// and a body in the AWS framing, chunks of chunkSize.
func awsUnsignedTrailerRequest(t *testing.T, url string, data []byte, chunkSize int, trailer string) *http.Request {
	var body bytes.Buffer
	for rest := data; len(rest) > 0; {
		n := min(chunkSize, len(rest))
		fmt.Fprintf(&body, "%x\r\n%s\r\n", n, rest[:n])
		rest = rest[n:]
	}
	body.WriteString("0\r\n" + trailer + "\r\n")
	req, _ := http.NewRequest("PUT", url, bytes.NewReader(body.Bytes()))
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)))
	req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	awsSign(t, req, testAccessKey, testSecretKey, streamingUnsignedPayloadTrail, testRegion, time.Now())
	return req
}

func TestStreamingUnsignedTrailerAWSFraming(t *testing.T) {
	v := &Verifier{Creds: testCreds(), Region: testRegion}
	srv := newServer(t, v)
	data := payload(70000)
	sum := crc32Base64(data)

	o := do(t, awsUnsignedTrailerRequest(t, srv.URL+"/b/k", data, 65536, "x-amz-checksum-crc32:"+sum+"\r\n"))
	wantOK(t, o, string(data))
	if got := o.Trailers.Get("X-Amz-Checksum-Crc32"); got != sum {
		t.Fatalf("trailer crc32 = %q, want %q", got, sum)
	}

	for name, tc := range map[string]struct {
		trailer string
		code    string
	}{
		"unannounced trailer": {"x-amz-checksum-crc32:" + sum + "\r\nx-amz-checksum-sha1:abc=\r\n", "InvalidRequest"},
		"missing trailer":     {"", "InvalidRequest"},
		"no colon":            {"x-amz-checksum-crc32\r\n", "InvalidRequest"},
	} {
		t.Run(name, func(t *testing.T) {
			wantErr(t, do(t, awsUnsignedTrailerRequest(t, srv.URL+"/b/k", data, 65536, tc.trailer)), "body", tc.code)
		})
	}

	t.Run("no final CRLF", func(t *testing.T) {
		req := awsUnsignedTrailerRequest(t, srv.URL+"/b/k", data, 65536, "x-amz-checksum-crc32:"+sum)
		wantErr(t, do(t, req), "body", "IncompleteBody")
	})
	t.Run("shorter than decoded length", func(t *testing.T) {
		req := awsUnsignedTrailerRequest(t, srv.URL+"/b/k", data, 65536, "x-amz-checksum-crc32:"+sum+"\r\n")
		req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)+1))
		awsSign(t, req, testAccessKey, testSecretKey, streamingUnsignedPayloadTrail, testRegion, time.Now())
		wantErr(t, do(t, req), "body", "IncompleteBody")
	})
	t.Run("longer than decoded length", func(t *testing.T) {
		req := awsUnsignedTrailerRequest(t, srv.URL+"/b/k", data, 65536, "x-amz-checksum-crc32:"+sum+"\r\n")
		req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)-1))
		awsSign(t, req, testAccessKey, testSecretKey, streamingUnsignedPayloadTrail, testRegion, time.Now())
		wantErr(t, do(t, req), "body", "InvalidRequest")
	})
}

// The decoder refuses hostile framing without reading or holding much.
func TestChunkedLimits(t *testing.T) {
	decode := func(stream string, decodedLen int64) error {
		cr := newChunkedReader(io.NopCloser(strings.NewReader(stream)), decodedLen, nil, false, nil)
		_, err := io.Copy(io.Discard, cr)
		return err
	}
	tests := []struct {
		name   string
		stream string
		code   string
	}{
		{"chunk above limit", fmt.Sprintf("%x\r\n", MaxChunkSize+1), "InvalidRequest"},
		{"huge size", "ffffffffffffffffffff\r\n", "InvalidRequest"},
		{"endless size line", strings.Repeat("1", 100000), "InvalidRequest"},
		{"empty size", "\r\n", "InvalidRequest"},
		{"missing CRLF after data", "3\r\nabcX\r\n0\r\n\r\n", "InvalidRequest"},
		{"eof in size line", "3", "IncompleteBody"},
		{"eof after data", "3\r\nabc", "IncompleteBody"},
		{"empty stream", "", "IncompleteBody"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := codeOf(decode(tc.stream, -1)); got != tc.code {
				t.Fatalf("code %q, want %q", got, tc.code)
			}
		})
	}
	if err := decode("3\r\nabc\r\n0\r\n\r\n", 3); err != nil {
		t.Fatalf("a valid unsigned stream fails: %v", err)
	}
	if err := decode("3\r\nabc\r\n0\r\n", -1); err != nil {
		t.Fatalf("a stream without its last CRLF fails: %v", err)
	}
}

// Errors are sticky: once Body failed, it keeps failing and never turns
// into io.EOF.
func TestChunkedErrorSticky(t *testing.T) {
	cr := newChunkedReader(io.NopCloser(strings.NewReader("3\r\nab")), -1, nil, false, nil)
	_, err := io.ReadAll(cr)
	if codeOf(err) != s3err.IncompleteBody.Code {
		t.Fatalf("first error %v", err)
	}
	if _, err2 := cr.Read(make([]byte, 10)); err2 != err {
		t.Fatalf("second Read returned %v, want %v", err2, err)
	}
	if cr.Trailers() != nil {
		t.Fatal("trailers after a failed body")
	}
}
