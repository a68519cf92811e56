package sse

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/anode/anode/internal/server"
	"github.com/anode/anode/internal/testutil"
)

// TestSSES3RoundTrip writes SSE-S3 objects (inline, one chunk, several
// chunks) and reads them back whole, by ranges crossing 64 KiB blocks and
// 1 MiB chunks, and with HEAD; every answer carries the SSE header.
func TestSSES3RoundTrip(t *testing.T) {
	srv, c := start(t, false)
	ctx := context.Background()
	mkBucket(t, c, "s3rt")
	for _, size := range []int{0, 100, 64 << 10, 300 << 10, 3*chunkSize + 12345} {
		key := fmt.Sprintf("obj-%d", size)
		data := random(uint64(size), size)
		put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("s3rt"), Key: aws.String(key),
			Body: bytes.NewReader(data), ServerSideEncryption: types.ServerSideEncryptionAes256})
		if err != nil {
			t.Fatalf("put %d: %v", size, err)
		}
		if put.ServerSideEncryption != types.ServerSideEncryptionAes256 {
			t.Fatalf("put %d: SSE header %q", size, put.ServerSideEncryption)
		}
		if sum := md5.Sum(data); aws.ToString(put.ETag) != `"`+hex.EncodeToString(sum[:])+`"` {
			t.Fatalf("put %d: SSE-S3 ETag %s is not the MD5, as S3 answers", size, aws.ToString(put.ETag))
		}
		out, got := get(t, c, "s3rt", key, "", nil)
		if !bytes.Equal(got, data) || out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
			t.Fatalf("get %d: %d bytes (equal %v), SSE %q", size, len(got), bytes.Equal(got, data), out.ServerSideEncryption)
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("s3rt"), Key: aws.String(key)})
		if err != nil || head.ServerSideEncryption != types.ServerSideEncryptionAes256 || aws.ToInt64(head.ContentLength) != int64(size) {
			t.Fatalf("head %d: %v %+v", size, err, head)
		}
		if size > 2*chunkSize {
			// A 10-byte range inside one block decrypts that block only.
			before := testutil.Metric(t, srv.AdminURL, "anode_sse_decrypted_bytes_total")
			if _, part := get(t, c, "s3rt", key, "bytes=1500000-1500009", nil); !bytes.Equal(part, data[1500000:1500010]) {
				t.Fatal("small range differs")
			}
			if d := testutil.Metric(t, srv.AdminURL, "anode_sse_decrypted_bytes_total") - before; d != 64<<10 {
				t.Fatalf("a 10-byte range decrypted %.0f bytes, want one 64 KiB block", d)
			}
		}
		for _, r := range [][2]int{{0, 0}, {65535, 65537}, {size / 3, size/3 + 200000}, {chunkSize - 10, chunkSize + 70000}, {size - 5, size - 1}} {
			lo, hi := r[0], min(r[1], size-1)
			if size == 0 || lo > hi {
				continue
			}
			_, part := get(t, c, "s3rt", key, fmt.Sprintf("bytes=%d-%d", lo, hi), nil)
			if !bytes.Equal(part, data[lo:hi+1]) {
				t.Fatalf("range %d-%d of %d differs", lo, hi, size)
			}
		}
	}
}

// TestNoPlaintextOnDisk stores objects holding a marker string under each
// mode and greps every file of the data directory (chunks and metadata)
// for the markers: an encrypted object's must be absent, a plain one's
// present. Only objects stored in chunks are checked: inline objects live
// in metadata records as base64 JSON, where a literal marker is never
// found even in clear, so this grep cannot tell.
//
// Shown to fail with encryption turned off: making sealBlocks in
// internal/object/sse.go append the plaintext instead of g.Seal(...)
// (`dst = append(dst, plain[:n]...)`) fails this test with "marker of
// sse-s3-big found in .../chunks/..." (and likewise sse-kms-big, sse-c-big).
func TestNoPlaintextOnDisk(t *testing.T) {
	srv, c := start(t, false)
	ctx := context.Background()
	mkBucket(t, c, "disk")
	createKey(t, srv, "disk-key")
	k := newSSEC(9)
	body := func(marker string, size int) []byte {
		return bytes.Repeat([]byte(marker+" "), size/(len(marker)+1))
	}
	cases := []struct {
		name      string
		size      int
		encrypted bool
		in        func(*s3.PutObjectInput)
	}{
		{"plain-big", 2 * chunkSize, false, func(*s3.PutObjectInput) {}},
		{"sse-s3-big", 2 * chunkSize, true, func(in *s3.PutObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAes256 }},
		{"sse-kms-big", 2 * chunkSize, true, func(in *s3.PutObjectInput) {
			in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String("disk-key")
		}},
		{"sse-c-big", 2 * chunkSize, true, func(in *s3.PutObjectInput) {
			in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(k.key), aws.String(k.md5)
		}},
	}
	for _, tc := range cases {
		in := &s3.PutObjectInput{Bucket: aws.String("disk"), Key: aws.String(tc.name), Body: bytes.NewReader(body("MARKER-"+tc.name+"-XYZZY", tc.size))}
		tc.in(in)
		if _, err := c.PutObject(ctx, in); err != nil {
			t.Fatalf("put %s: %v", tc.name, err)
		}
	}
	// Small (inline) encrypted objects, for the fsck below.
	for _, sse := range []types.ServerSideEncryption{types.ServerSideEncryptionAes256, types.ServerSideEncryptionAwsKms} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("disk"), Key: aws.String("small-" + string(sse)),
			Body: bytes.NewReader(random(1, 70000)), ServerSideEncryption: sse}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("disk"), Key: aws.String("inline-" + string(sse)),
			Body: bytes.NewReader(random(1, 3000)), ServerSideEncryption: sse}); err != nil {
			t.Fatal(err)
		}
	}
	srv.Stop() // flush Pebble's memtable and WAL to files
	// fsck accepts encrypted objects (stored sizes include the GCM tags).
	if rep, err := server.Fsck(srv.DataDir); err != nil || !rep.OK() {
		t.Fatalf("fsck: %v %+v", err, rep)
	}
	found := map[string]string{}
	err := filepath.Walk(srv.DataDir, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, tc := range cases {
			if bytes.Contains(b, []byte("MARKER-"+tc.name+"-XYZZY")) {
				found[tc.name] = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		_, ok := found[tc.name]
		if tc.encrypted && ok {
			t.Errorf("marker of %s found in %s", tc.name, found[tc.name])
		}
		if !tc.encrypted && !ok {
			t.Errorf("marker of plain object %s not found on disk: the search finds nothing", tc.name)
		}
	}
}

// TestDedupUnderEncryption repeats the foundation's dedup test under
// encryption: the same data twice under SSE-S3 takes one copy; twice
// under one KMS key one more copy; under a second KMS key another; SSE-C
// under another customer key another.
func TestDedupUnderEncryption(t *testing.T) {
	srv, c := start(t, false)
	ctx := context.Background()
	mkBucket(t, c, "dedup")
	createKey(t, srv, "key-a")
	createKey(t, srv, "key-b")
	const size = 3 * chunkSize
	data := random(7, size)
	// The stored size of one encrypted copy: 16 bytes of GCM tag per 64 KiB block.
	oneCopy := float64(size + size/(64<<10)*16)
	put := func(key string, mod func(*s3.PutObjectInput)) {
		in := &s3.PutObjectInput{Bucket: aws.String("dedup"), Key: aws.String(key), Body: bytes.NewReader(data)}
		mod(in)
		if _, err := c.PutObject(ctx, in); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	physical := func() float64 { return testutil.Metric(t, srv.AdminURL, "anode_chunk_bytes") }
	sseS3 := func(in *s3.PutObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAes256 }
	kms := func(id string) func(*s3.PutObjectInput) {
		return func(in *s3.PutObjectInput) {
			in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(id)
		}
	}
	steps := []struct {
		key   string
		mod   func(*s3.PutObjectInput)
		total float64
	}{
		{"s3-1", sseS3, oneCopy},
		{"s3-2", sseS3, oneCopy},
		{"a-1", kms("key-a"), 2 * oneCopy},
		{"a-2", kms("key-a"), 2 * oneCopy},
		{"b-1", kms("key-b"), 3 * oneCopy},
		{"b-2", kms("key-b"), 3 * oneCopy},
	}
	for _, st := range steps {
		put(st.key, st.mod)
		if got := physical(); got != st.total {
			t.Fatalf("after %s: physical bytes %.0f, want %.0f", st.key, got, st.total)
		}
	}
	for _, st := range steps {
		if _, got := get(t, c, "dedup", st.key, "", nil); !bytes.Equal(got, data) {
			t.Fatalf("%s differs", st.key)
		}
	}
	// Rotation keeps dedup (the chunk-key secret survives it) and old
	// objects readable.
	// Rotation rewraps the data keys of a-1 and a-2 (their records only).
	if st, body := kmsAdmin(t, srv.AdminURL, "POST", "/kms/rotate?id=key-a", "", srv.AccessKey, srv.SecretKey); st != http.StatusOK ||
		!strings.Contains(body, `"versions": 2`) || !strings.Contains(body, `"rewrapped": 2`) {
		t.Fatalf("rotate: %d %s", st, body)
	}
	put("a-3", kms("key-a"))
	if got := physical(); got != 3*oneCopy {
		t.Fatalf("after rotation: physical %.0f, want %.0f", got, 3*oneCopy)
	}
	// The built-in SSE-S3 key rotates the same way.
	if st, body := kmsAdmin(t, srv.AdminURL, "POST", "/kms/rotate?id=anode/sse-s3", "", srv.AccessKey, srv.SecretKey); st != http.StatusOK || !strings.Contains(body, `"rewrapped": 2`) {
		t.Fatalf("rotate the SSE-S3 key: %d %s", st, body)
	}
	if _, got := get(t, c, "dedup", "s3-1", "", nil); !bytes.Equal(got, data) {
		t.Fatal("s3-1 differs after rotating the SSE-S3 key")
	}
	// A second rotation rewraps all three (a-3 was written under version 2).
	if st, body := kmsAdmin(t, srv.AdminURL, "POST", "/kms/rotate?id=key-a", "", srv.AccessKey, srv.SecretKey); st != http.StatusOK || !strings.Contains(body, `"rewrapped": 3`) {
		t.Fatalf("second rotate: %d %s", st, body)
	}
	if got := physical(); got != 3*oneCopy {
		t.Fatalf("rotation rewrote data: physical %.0f, want %.0f", got, 3*oneCopy)
	}
	for _, key := range []string{"a-1", "a-2", "a-3"} {
		if _, got := get(t, c, "dedup", key, "", nil); !bytes.Equal(got, data) {
			t.Fatalf("%s differs after rotation", key)
		}
	}
	// A plain copy is one more: plaintext chunks are never shared with encrypted ones.
	put("plain", func(*s3.PutObjectInput) {})
	if got := physical(); got != 3*oneCopy+size {
		t.Fatalf("after plain: physical %.0f, want %.0f", got, 3*oneCopy+size)
	}
	// SSE-C: deduplicated only under the same customer key.
	ssecPut := func(k ssec) func(*s3.PutObjectInput) {
		return func(in *s3.PutObjectInput) {
			in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(k.key), aws.String(k.md5)
		}
	}
	kx, ky := newSSEC(21), newSSEC(22)
	for i, st := range []struct {
		k     ssec
		total float64
	}{{kx, 4*oneCopy + size}, {kx, 4*oneCopy + size}, {ky, 5*oneCopy + size}} {
		put(fmt.Sprint("c-", i), ssecPut(st.k))
		if got := physical(); got != st.total {
			t.Fatalf("after SSE-C put %d: physical %.0f, want %.0f", i, got, st.total)
		}
	}
}
