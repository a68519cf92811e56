package integration

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

var ctx = context.Background()

func TestSDKBuckets(t *testing.T) {
	s := startServer(t)
	c := sdkClient(s)
	name := bucketName(t)

	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)}); errorCode(err) != "NotFound" {
		t.Errorf("HeadBucket before create: %v, want NotFound", err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	// In us-east-1 AWS answers 200 to the owner re-creating a bucket
	// (CreateBucket, Errors); test/conformance checks BucketAlreadyOwnedByYou
	// in another region.
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Errorf("CreateBucket twice in us-east-1: %v", err)
	}

	hb, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
	if err != nil || aws.ToString(hb.BucketRegion) != region {
		t.Errorf("HeadBucket = %+v, %v", hb, err)
	}
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(name)})
	if err != nil || loc.LocationConstraint != "" {
		t.Errorf("GetBucketLocation = %+v, %v (us-east-1 is the empty constraint)", loc, err)
	}
	lb, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, b := range lb.Buckets {
		found = found || aws.ToString(b.Name) == name
		if b.CreationDate == nil || b.CreationDate.IsZero() {
			t.Errorf("bucket %s has no creation date", aws.ToString(b.Name))
		}
	}
	if !found || lb.Owner == nil || aws.ToString(lb.Owner.ID) == "" {
		t.Errorf("ListBuckets = %+v: bucket missing or no owner", lb)
	}

	// With no configured region any location constraint is accepted and
	// recorded (test/conformance checks the configured-region case).
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name + "-eu"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}}); err != nil {
		t.Errorf("CreateBucket in eu-west-1: %v", err)
	} else if loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(name + "-eu")}); err != nil || loc.LocationConstraint != types.BucketLocationConstraintEuWest1 {
		t.Errorf("GetBucketLocation of the eu-west-1 bucket: %+v %v", loc, err)
	}

	put(t, c, name, "k", []byte("x"))
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
	wantCode(t, "DeleteBucket not empty", err, "BucketNotEmpty")
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(name), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
	wantCode(t, "DeleteBucket twice", err, "NoSuchBucket")
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(name)})
	wantCode(t, "ListObjectsV2 of deleted bucket", err, "NoSuchBucket")
}

func TestSDKInvalidBucketNames(t *testing.T) {
	s := startServer(t)
	for _, name := range []string{"ab", strings.Repeat("a", 64), "Upper", "under_score", "-dash", "dash-",
		"a..b", "192.168.1.1", "xn--punycode", "name-s3alias"} {
		resp := rawRequest(t, s, "PUT", "/"+name, nil, nil)
		wantXMLError(t, "CreateBucket "+name, resp, 400, "InvalidBucketName")
	}
	resp := rawRequest(t, s, "PUT", "/ok-bucket-name", []byte("<CreateBucketConfiguration><LocationConstraint>"), nil)
	wantXMLError(t, "CreateBucket with malformed XML", resp, 400, "MalformedXML")
}

func TestSDKPutGetHeadObject(t *testing.T) {
	s := startServer(t)
	c := sdkClient(s)
	bucket := newBucket(t, c)
	data := randomBytes(100_000)
	expires := time.Date(2094, 12, 1, 16, 0, 0, 0, time.UTC)
	out, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("obj"), Body: bytes.NewReader(data),
		ContentType:        aws.String("application/x-test"),
		ContentEncoding:    aws.String("identity"),
		ContentDisposition: aws.String(`attachment; filename="a.bin"`),
		ContentLanguage:    aws.String("fr"),
		CacheControl:       aws.String("max-age=60"),
		Expires:            aws.Time(expires),
		Metadata:           map[string]string{"Color": "blue", "two-words": "hello world"},
		Tagging:            aws.String("project=anode&team=storage"),
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(data)
	wantETag := fmt.Sprintf("%q", fmt.Sprintf("%x", sum))
	if aws.ToString(out.ETag) != wantETag {
		t.Errorf("PutObject ETag %s, want %s", aws.ToString(out.ETag), wantETag)
	}

	check := func(what string, etag, ct, ce, cd, cl, cc *string, exp *time.Time, meta map[string]string, length *int64, tags *int32, lm *time.Time, ar *string) {
		t.Helper()
		if aws.ToString(etag) != wantETag || aws.ToString(ct) != "application/x-test" || aws.ToString(ce) != "identity" ||
			aws.ToString(cd) != `attachment; filename="a.bin"` || aws.ToString(cl) != "fr" || aws.ToString(cc) != "max-age=60" ||
			exp == nil || !exp.Equal(expires) || meta["color"] != "blue" || meta["two-words"] != "hello world" ||
			aws.ToInt64(length) != int64(len(data)) || aws.ToInt32(tags) != 2 || lm == nil || time.Since(*lm) > time.Hour ||
			aws.ToString(ar) != "bytes" {
			t.Errorf("%s headers wrong: etag=%s ct=%s ce=%s cd=%s cl=%s cc=%s exp=%v meta=%v len=%d tags=%d lm=%v ar=%s",
				what, aws.ToString(etag), aws.ToString(ct), aws.ToString(ce), aws.ToString(cd), aws.ToString(cl), aws.ToString(cc),
				exp, meta, aws.ToInt64(length), aws.ToInt32(tags), lm, aws.ToString(ar))
		}
	}
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(g.Body)
	g.Body.Close()
	if !bytes.Equal(body, data) {
		t.Errorf("GetObject body differs (%d bytes, want %d)", len(body), len(data))
	}
	check("GetObject", g.ETag, g.ContentType, g.ContentEncoding, g.ContentDisposition, g.ContentLanguage, g.CacheControl,
		g.Expires, g.Metadata, g.ContentLength, g.TagCount, g.LastModified, g.AcceptRanges)

	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj")})
	if err != nil {
		t.Fatal(err)
	}
	check("HeadObject", h.ETag, h.ContentType, h.ContentEncoding, h.ContentDisposition, h.ContentLanguage, h.CacheControl,
		h.Expires, h.Metadata, h.ContentLength, h.TagCount, h.LastModified, h.AcceptRanges)

	// Defaults: no Content-Type stored means binary/octet-stream.
	raw := rawRequest(t, s, "PUT", "/"+bucket+"/noct", []byte("abc"), nil)
	readAll(t, raw)
	h, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("noct")})
	if err != nil || aws.ToString(h.ContentType) != "binary/octet-stream" {
		t.Errorf("default Content-Type = %q, %v", aws.ToString(h.ContentType), err)
	}

	// Empty object.
	put(t, c, bucket, "empty", nil)
	if b := get(t, c, bucket, "empty"); len(b) != 0 {
		t.Errorf("empty object read back %d bytes", len(b))
	}

	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("missing")})
	wantCode(t, "GetObject missing", err, "NoSuchKey")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("missing")})
	wantCode(t, "HeadObject missing", err, "NotFound")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket + "-nope"), Key: aws.String("k")})
	wantCode(t, "GetObject in missing bucket", err, "NoSuchBucket")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket + "-nope"), Key: aws.String("k"), Body: strings.NewReader("x")})
	wantCode(t, "PutObject in missing bucket", err, "NoSuchBucket")
}

func TestSDKPutObjectValidation(t *testing.T) {
	s := startServer(t)
	c := sdkClient(s, whenRequired)
	bucket := newBucket(t, c)

	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		Body: strings.NewReader("x"), Metadata: map[string]string{"big": strings.Repeat("v", 2100)}})
	wantCode(t, "2 KiB of metadata", err, "MetadataTooLarge")

	good := md5.Sum([]byte("hello"))
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		Body: strings.NewReader("hello"), ContentMD5: aws.String(base64.StdEncoding.EncodeToString(good[:]))})
	if err != nil {
		t.Errorf("PutObject with a good Content-MD5: %v", err)
	}
	bad := md5.Sum([]byte("other"))
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k2"),
		Body: strings.NewReader("hello"), ContentMD5: aws.String(base64.StdEncoding.EncodeToString(bad[:]))})
	wantCode(t, "wrong Content-MD5", err, "BadDigest")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k2"),
		Body: strings.NewReader("hello"), ContentMD5: aws.String("not-base64!")})
	wantCode(t, "invalid Content-MD5", err, "InvalidDigest")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k2")})
	wantCode(t, "object after failed puts", err, "NotFound")

	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(strings.Repeat("k", 1025)),
		Body: strings.NewReader("x")})
	wantCode(t, "1025-byte key", err, "KeyTooLongError")

	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		Body: strings.NewReader("x"), Tagging: aws.String("a=1&a=2")})
	wantCode(t, "duplicate tag", err, "InvalidTag")

	// Conditional writes.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		Body: strings.NewReader("again"), IfNoneMatch: aws.String("*")})
	wantCode(t, "If-None-Match * on an existing key", err, "PreconditionFailed")
	if _, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("new"),
		Body: strings.NewReader("first"), IfNoneMatch: aws.String("*")}); err != nil {
		t.Errorf("If-None-Match * on a new key: %v", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		Body: strings.NewReader("again"), IfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)})
	wantCode(t, "If-Match with a wrong ETag", err, "PreconditionFailed")
	etag := fmt.Sprintf(`"%x"`, good)
	if _, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		Body: strings.NewReader("again"), IfMatch: aws.String(etag)}); err != nil {
		t.Errorf("If-Match with the right ETag: %v", err)
	}

	// A body without Content-Length (chunked transfer, not aws-chunked).
	req, _ := http.NewRequest("PUT", s.endpoint+"/"+bucket+"/nolength", io.NopCloser(strings.NewReader("abc")))
	req.ContentLength = -1
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	if err := v4.NewSigner(s3Signing).SignHTTP(ctx, aws.Credentials{AccessKeyID: s.accessKey, SecretAccessKey: s.secretKey},
		req, "UNSIGNED-PAYLOAD", "s3", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("PUT with Transfer-Encoding: chunked: %d, want 200", resp.StatusCode)
	} else if got := get(t, c, bucket, "nolength"); string(got) != "abc" {
		t.Errorf("chunked PUT stored %q", got)
	}
}

// checksumOf computes an S3 checksum locally.
func checksumOf(algo types.ChecksumAlgorithm, data []byte) string {
	var sum []byte
	switch algo {
	case types.ChecksumAlgorithmCrc32:
		sum = binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(data))
	case types.ChecksumAlgorithmCrc32c:
		sum = binary.BigEndian.AppendUint32(nil, crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
	case types.ChecksumAlgorithmCrc64nvme:
		sum = binary.BigEndian.AppendUint64(nil, crc64.Checksum(data, crc64.MakeTable(0x9A6C9329AC4BC9B5)))
	case types.ChecksumAlgorithmSha1:
		s := sha1.Sum(data)
		sum = s[:]
	case types.ChecksumAlgorithmSha256:
		s := sha256.Sum256(data)
		sum = s[:]
	}
	return base64.StdEncoding.EncodeToString(sum)
}

func TestSDKChecksums(t *testing.T) {
	s := startServer(t)
	data := randomBytes(300_000)
	for _, mode := range []struct {
		name string
		opt  func(*s3.Options)
	}{{"default", func(*s3.Options) {}}, {"when-required", whenRequired}} {
		c := sdkClient(s, mode.opt)
		bucket := newBucket(t, c)
		for _, algo := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c,
			types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256} {
			key := mode.name + "-" + string(algo)
			want := checksumOf(algo, data)
			out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
				Body: bytes.NewReader(data), ChecksumAlgorithm: algo})
			if err != nil {
				t.Errorf("%s: PutObject: %v", key, err)
				continue
			}
			if got := putChecksum(out, algo); got != want {
				t.Errorf("%s: PutObject echoed checksum %q, want %q", key, got, want)
			}
			g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
				ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Errorf("%s: GetObject: %v", key, err)
				continue
			}
			body, err := io.ReadAll(g.Body) // the SDK validates the checksum while reading
			g.Body.Close()
			if err != nil || !bytes.Equal(body, data) {
				t.Errorf("%s: GetObject body: %v", key, err)
			}
			if got := getChecksum(g, algo); got != want {
				t.Errorf("%s: GetObject checksum %q, want %q", key, got, want)
			}
		}
		// A checksum header that does not match the body.
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("bad"),
			Body: bytes.NewReader(data), ChecksumCRC32: aws.String(checksumOf(types.ChecksumAlgorithmCrc32, []byte("other")))})
		wantCode(t, mode.name+": wrong x-amz-checksum-crc32", err, "BadDigest")
	}
}

func putChecksum(o *s3.PutObjectOutput, algo types.ChecksumAlgorithm) string {
	return aws.ToString(map[types.ChecksumAlgorithm]*string{
		types.ChecksumAlgorithmCrc32: o.ChecksumCRC32, types.ChecksumAlgorithmCrc32c: o.ChecksumCRC32C,
		types.ChecksumAlgorithmCrc64nvme: o.ChecksumCRC64NVME, types.ChecksumAlgorithmSha1: o.ChecksumSHA1,
		types.ChecksumAlgorithmSha256: o.ChecksumSHA256,
	}[algo])
}

func getChecksum(o *s3.GetObjectOutput, algo types.ChecksumAlgorithm) string {
	return aws.ToString(map[types.ChecksumAlgorithm]*string{
		types.ChecksumAlgorithmCrc32: o.ChecksumCRC32, types.ChecksumAlgorithmCrc32c: o.ChecksumCRC32C,
		types.ChecksumAlgorithmCrc64nvme: o.ChecksumCRC64NVME, types.ChecksumAlgorithmSha1: o.ChecksumSHA1,
		types.ChecksumAlgorithmSha256: o.ChecksumSHA256,
	}[algo])
}

func TestSDKRanges(t *testing.T) {
	s := startServer(t)
	c := sdkClient(s)
	bucket := newBucket(t, c)
	data := randomBytes(10_000)
	put(t, c, bucket, "r", data)
	tests := []struct {
		rng          string
		start, end   int // inclusive; start < 0 means the whole object
		contentRange string
	}{
		{"bytes=0-0", 0, 0, "bytes 0-0/10000"},
		{"bytes=0-99", 0, 99, "bytes 0-99/10000"},
		{"bytes=9990-", 9990, 9999, "bytes 9990-9999/10000"},
		{"bytes=-10", 9990, 9999, "bytes 9990-9999/10000"},
		{"bytes=9000-20000", 9000, 9999, "bytes 9000-9999/10000"},
		{"bytes=-20000", 0, 9999, "bytes 0-9999/10000"},
		// Ignored by S3: the whole object, 200.
		{"bytes=5-1", -1, -1, ""},
		{"bytes=0-1,5-6", -1, -1, ""},
		{"bytes=abc", -1, -1, ""},
		{"pages=1-2", -1, -1, ""},
	}
	for _, tt := range tests {
		g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("r"), Range: aws.String(tt.rng)})
		if err != nil {
			t.Errorf("%s: %v", tt.rng, err)
			continue
		}
		body, _ := io.ReadAll(g.Body)
		g.Body.Close()
		want := data
		if tt.start >= 0 {
			want = data[tt.start : tt.end+1]
		}
		if !bytes.Equal(body, want) || aws.ToString(g.ContentRange) != tt.contentRange || aws.ToInt64(g.ContentLength) != int64(len(want)) {
			t.Errorf("%s: %d bytes, Content-Range %q, Content-Length %d; want %d bytes, %q",
				tt.rng, len(body), aws.ToString(g.ContentRange), aws.ToInt64(g.ContentLength), len(want), tt.contentRange)
		}
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("r"), Range: aws.String(tt.rng)})
		if err != nil || aws.ToInt64(h.ContentLength) != int64(len(want)) || aws.ToString(h.ContentRange) != tt.contentRange {
			t.Errorf("HEAD %s: %+v, %v", tt.rng, h, err)
		}
	}
	for _, rng := range []string{"bytes=10000-", "bytes=20000-30000", "bytes=-0"} {
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("r"), Range: aws.String(rng)})
		wantCode(t, "GetObject "+rng, err, "InvalidRange")
		resp := rawRequest(t, s, "GET", "/"+bucket+"/r", nil, http.Header{"Range": {rng}})
		if cr := resp.Header.Get("Content-Range"); cr != "bytes */10000" {
			t.Errorf("%s: Content-Range %q, want bytes */10000", rng, cr)
		}
		wantXMLError(t, "raw GET "+rng, resp, 416, "InvalidRange")
	}
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("r"), PartNumber: aws.Int32(0)})
	wantCode(t, "partNumber=0", err, "InvalidArgument")
}

func TestSDKConditionalReads(t *testing.T) {
	s := startServer(t)
	c := sdkClient(s)
	bucket := newBucket(t, c)
	etag := aws.ToString(put(t, c, bucket, "c", []byte("conditional")).ETag)
	past, future := time.Now().Add(-24*time.Hour), time.Now().Add(24*time.Hour)
	tests := []struct {
		name string
		in   s3.GetObjectInput
		code string // "" means success
	}{
		{"If-Match right", s3.GetObjectInput{IfMatch: aws.String(etag)}, ""},
		{"If-Match wrong", s3.GetObjectInput{IfMatch: aws.String(`"nope"`)}, "PreconditionFailed"},
		{"If-None-Match right", s3.GetObjectInput{IfNoneMatch: aws.String(etag)}, "NotModified"},
		{"If-None-Match other", s3.GetObjectInput{IfNoneMatch: aws.String(`"nope"`)}, ""},
		{"If-Modified-Since past", s3.GetObjectInput{IfModifiedSince: aws.Time(past)}, ""},
		{"If-Modified-Since future", s3.GetObjectInput{IfModifiedSince: aws.Time(future)}, "NotModified"},
		{"If-Unmodified-Since future", s3.GetObjectInput{IfUnmodifiedSince: aws.Time(future)}, ""},
		{"If-Unmodified-Since past", s3.GetObjectInput{IfUnmodifiedSince: aws.Time(past)}, "PreconditionFailed"},
	}
	for _, tt := range tests {
		in := tt.in
		in.Bucket, in.Key = aws.String(bucket), aws.String("c")
		g, err := c.GetObject(ctx, &in)
		if err == nil {
			g.Body.Close()
		}
		wantCode(t, tt.name, err, tt.code)
	}
	// 304 carries no body.
	resp := rawRequest(t, s, "GET", "/"+bucket+"/c", nil, http.Header{"If-None-Match": {etag}})
	if b := readAll(t, resp); resp.StatusCode != 304 || len(b) != 0 {
		t.Errorf("If-None-Match: %d with %d body bytes, want 304 and none", resp.StatusCode, len(b))
	}
}

func TestSDKResponseOverrides(t *testing.T) {
	s := startServer(t)
	c := sdkClient(s)
	bucket := newBucket(t, c)
	put(t, c, bucket, "o", []byte("x"))
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("o"),
		ResponseContentType: aws.String("text/csv"), ResponseContentLanguage: aws.String("de"),
		ResponseExpires: aws.Time(exp), ResponseCacheControl: aws.String("no-store"),
		ResponseContentDisposition: aws.String("inline"), ResponseContentEncoding: aws.String("gzip")})
	if err != nil {
		t.Fatal(err)
	}
	g.Body.Close()
	if aws.ToString(g.ContentType) != "text/csv" || aws.ToString(g.ContentLanguage) != "de" || g.Expires == nil ||
		!g.Expires.Equal(exp) || aws.ToString(g.CacheControl) != "no-store" ||
		aws.ToString(g.ContentDisposition) != "inline" || aws.ToString(g.ContentEncoding) != "gzip" {
		t.Errorf("overrides not applied: %+v", g)
	}
}

func TestSDKSpecialKeys(t *testing.T) {
	s := startServer(t)
	c := sdkClient(s)
	bucket := newBucket(t, c)
	for i, key := range specialKeys {
		data := []byte(fmt.Sprintf("object %d", i))
		put(t, c, bucket, key, data)
		if got := get(t, c, bucket, key); !bytes.Equal(got, data) {
			t.Errorf("key %s: read back %q, want %q", fmtKey(key), got, data)
		}
	}
	// Every key lists back exactly, with and without encoding-type=url.
	want := append([]string(nil), specialKeys...)
	sort.Strings(want)
	for _, enc := range []types.EncodingType{"", types.EncodingTypeUrl} {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), EncodingType: enc})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range out.Contents {
			k := aws.ToString(o.Key)
			if enc == types.EncodingTypeUrl {
				// aws-sdk-go-v2 leaves the decoding to the caller.
				if k, err = url.QueryUnescape(k); err != nil {
					t.Fatal(err)
				}
			}
			got = append(got, k)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("encoding %q: listed %q, want %q", enc, got, want)
		}
	}
	// A literal '+' in the path is a plus, not a space.
	resp := rawRequest(t, s, "GET", "/"+bucket+"/plus+sign", nil, nil)
	if b := readAll(t, resp); resp.StatusCode != 200 || !strings.HasPrefix(string(b), "object ") {
		t.Errorf("GET plus+sign: %d %q", resp.StatusCode, b)
	}
	// Invalid UTF-8 in a key.
	resp = rawRequest(t, s, "PUT", "/"+bucket+"/bad%FFkey", []byte("x"), nil)
	wantXMLError(t, "PUT invalid UTF-8 key", resp, 400, "InvalidArgument")
}

func TestSDKDeleteObjects(t *testing.T) {
	s := startServer(t)
	for _, mode := range []struct {
		name string
		opt  func(*s3.Options)
	}{{"default", func(*s3.Options) {}}, {"when-required", whenRequired}} {
		c := sdkClient(s, mode.opt)
		bucket := newBucket(t, c)
		keys := []string{"a", "b/c", "with space", "plus+", "日本"}
		for _, k := range keys {
			put(t, c, bucket, k, []byte(k))
		}
		var ids []types.ObjectIdentifier
		for _, k := range append(keys, "never-existed") {
			ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
		}
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids}})
		if err != nil {
			t.Fatalf("%s: %v", mode.name, err)
		}
		var deleted []string
		for _, d := range out.Deleted {
			deleted = append(deleted, aws.ToString(d.Key))
		}
		sort.Strings(deleted)
		if len(out.Errors) != 0 || len(deleted) != len(keys)+1 {
			t.Errorf("%s: deleted %q, errors %+v", mode.name, deleted, out.Errors)
		}
		l, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		if err != nil || len(l.Contents) != 0 {
			t.Errorf("%s: after DeleteObjects %d objects remain (%v)", mode.name, len(l.Contents), err)
		}

		// Quiet mode reports nothing on success.
		put(t, c, bucket, "q", []byte("q"))
		out, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket),
			Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("q")}}, Quiet: aws.Bool(true)}})
		if err != nil || len(out.Deleted) != 0 || len(out.Errors) != 0 {
			t.Errorf("%s: quiet delete = %+v, %v", mode.name, out, err)
		}
	}

	c := sdkClient(s)
	bucket := newBucket(t, c)
	var many []types.ObjectIdentifier
	for i := range 1001 {
		many = append(many, types.ObjectIdentifier{Key: aws.String(fmt.Sprint(i))})
	}
	_, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: many}})
	wantCode(t, "1001 keys", err, "MalformedXML")

	body := []byte("<Delete><Object><Key>a</Key></Object>")
	resp := rawRequest(t, s, "POST", "/"+bucket+"?delete", body, nil)
	wantXMLError(t, "unclosed XML", resp, 400, "MalformedXML")
	body = []byte("<Delete><Object><Key>a</Key></Object></Delete>")
	wrong := md5.Sum([]byte("other"))
	resp = rawRequest(t, s, "POST", "/"+bucket+"?delete", body,
		http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(wrong[:])}})
	wantXMLError(t, "DeleteObjects wrong Content-MD5", resp, 400, "BadDigest")
	right := md5.Sum(body)
	resp = rawRequest(t, s, "POST", "/"+bucket+"?delete", body,
		http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(right[:])}})
	if b := readAll(t, resp); resp.StatusCode != 200 || !strings.Contains(string(b), "<Deleted><Key>a</Key></Deleted>") {
		t.Errorf("DeleteObjects with Content-MD5: %d %s", resp.StatusCode, b)
	}

	// DeleteObject of a missing key succeeds.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("ghost")}); err != nil {
		t.Errorf("DeleteObject of a missing key: %v", err)
	}
}

func TestSDKCopyObject(t *testing.T) {
	s := startServer(t)
	c := sdkClient(s)
	bucket := newBucket(t, c)
	other := newBucket(t, c)
	data := randomBytes(50_000)
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("src key+1"),
		Body: bytes.NewReader(data), ContentType: aws.String("text/plain"), Metadata: map[string]string{"m": "1"},
		Tagging: aws.String("t=1")})
	if err != nil {
		t.Fatal(err)
	}
	src := bucket + "/" + url.PathEscape("src key+1")

	// COPY keeps the metadata.
	out, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(other), Key: aws.String("dst"), CopySource: aws.String(src)})
	if err != nil {
		t.Fatal(err)
	}
	if out.CopyObjectResult == nil || aws.ToString(out.CopyObjectResult.ETag) == "" || out.CopyObjectResult.LastModified == nil {
		t.Errorf("CopyObjectResult = %+v", out.CopyObjectResult)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(other), Key: aws.String("dst")})
	if err != nil || aws.ToString(h.ContentType) != "text/plain" || h.Metadata["m"] != "1" || aws.ToInt32(h.TagCount) != 1 {
		t.Errorf("copied object: %+v, %v", h, err)
	}
	if got := get(t, c, other, "dst"); !bytes.Equal(got, data) {
		t.Error("copied body differs")
	}

	// REPLACE takes the request's metadata; a leading slash is accepted.
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(other), Key: aws.String("dst2"), CopySource: aws.String("/" + src),
		MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("image/png"), Metadata: map[string]string{"n": "2"},
		TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("a=1&b=2")})
	if err != nil {
		t.Fatal(err)
	}
	h, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(other), Key: aws.String("dst2")})
	if err != nil || aws.ToString(h.ContentType) != "image/png" || h.Metadata["n"] != "2" || h.Metadata["m"] != "" || aws.ToInt32(h.TagCount) != 2 {
		t.Errorf("REPLACE copy: %+v, %v", h, err)
	}

	// Onto itself: refused without REPLACE, allowed with it.
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("src key+1"), CopySource: aws.String(src)})
	wantCode(t, "copy onto itself", err, "InvalidRequest")
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("src key+1"), CopySource: aws.String(src),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"m": "updated"}})
	if err != nil {
		t.Errorf("copy onto itself with REPLACE: %v", err)
	}

	resp := rawRequest(t, s, "PUT", "/"+other+"/dst3", nil, http.Header{"X-Amz-Copy-Source": {src}, "X-Amz-Metadata-Directive": {"MOVE"}})
	wantXMLError(t, "unknown metadata directive", resp, 400, "InvalidArgument")
	resp = rawRequest(t, s, "PUT", "/"+other+"/dst3", nil, http.Header{"X-Amz-Copy-Source": {"just-a-bucket"}})
	wantXMLError(t, "copy source without a key", resp, 400, "InvalidArgument")

	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(other), Key: aws.String("x"), CopySource: aws.String(bucket + "/missing")})
	wantCode(t, "copy of a missing key", err, "NoSuchKey")
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(other), Key: aws.String("x"), CopySource: aws.String(src),
		CopySourceIfMatch: aws.String(`"nope"`)})
	wantCode(t, "x-amz-copy-source-if-match wrong", err, "PreconditionFailed")
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(other), Key: aws.String("x"), CopySource: aws.String(src),
		CopySourceIfNoneMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)})
	if err != nil {
		t.Errorf("x-amz-copy-source-if-none-match of another ETag: %v", err)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(other), Key: aws.String("x"), CopySource: aws.String(src),
		CopySourceIfNoneMatch: h.ETag}) // dst2 has the source's content, so its ETag
	wantCode(t, "x-amz-copy-source-if-none-match of the source's ETag", err, "PreconditionFailed")
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(other), Key: aws.String("x"), CopySource: aws.String(src),
		CopySourceIfUnmodifiedSince: aws.Time(time.Now().Add(-24 * time.Hour))})
	wantCode(t, "x-amz-copy-source-if-unmodified-since past", err, "PreconditionFailed")
}

func TestSDKListObjects(t *testing.T) {
	s := startServer(t)
	c := sdkClient(s)
	bucket := newBucket(t, c)
	keys := []string{"a/1", "a/2", "a/b/3", "b/4", "c", "d"}
	for _, k := range keys {
		put(t, c, bucket, k, []byte(k))
	}

	// v2, paging one key at a time through everything.
	var got []string
	var token *string
	for pages := 0; ; pages++ {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(1), ContinuationToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt32(out.KeyCount) != int32(len(out.Contents)) || len(out.Contents) > 1 {
			t.Fatalf("KeyCount %d with %d contents", aws.ToInt32(out.KeyCount), len(out.Contents))
		}
		for _, o := range out.Contents {
			got = append(got, aws.ToString(o.Key))
			if o.Owner != nil {
				t.Error("Owner without fetch-owner")
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		token = out.NextContinuationToken
		if pages > 10 {
			t.Fatal("listing does not end")
		}
	}
	if strings.Join(got, ",") != strings.Join(keys, ",") {
		t.Errorf("v2 paged listing %q, want %q", got, keys)
	}

	// v2 with a delimiter, prefix, start-after and fetch-owner.
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Delimiter: aws.String("/"), FetchOwner: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	var prefixes []string
	for _, p := range out.CommonPrefixes {
		prefixes = append(prefixes, aws.ToString(p.Prefix))
	}
	if strings.Join(prefixes, ",") != "a/,b/" || len(out.Contents) != 2 || out.Contents[0].Owner == nil ||
		aws.ToString(out.Contents[0].Owner.ID) == "" || aws.ToInt32(out.KeyCount) != 4 {
		t.Errorf("delimiter listing: prefixes %q, %d contents, KeyCount %d", prefixes, len(out.Contents), aws.ToInt32(out.KeyCount))
	}
	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("a/"), Delimiter: aws.String("/")})
	if err != nil || len(out.Contents) != 2 || len(out.CommonPrefixes) != 1 || aws.ToString(out.CommonPrefixes[0].Prefix) != "a/b/" {
		t.Errorf("prefix a/: %+v, %v", out, err)
	}
	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), StartAfter: aws.String("b/4")})
	if err != nil || len(out.Contents) != 2 || aws.ToString(out.Contents[0].Key) != "c" || aws.ToString(out.StartAfter) != "b/4" {
		t.Errorf("start-after b/4: %+v, %v", out, err)
	}
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), ContinuationToken: aws.String("!!not a token!!")})
	wantCode(t, "invalid continuation token", err, "InvalidArgument")

	// v1: NextMarker only with a delimiter; Owner always.
	v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(2)})
	if err != nil || !aws.ToBool(v1.IsTruncated) || v1.NextMarker != nil || len(v1.Contents) != 2 || v1.Contents[0].Owner == nil {
		t.Errorf("v1 max-keys 2: %+v, %v", v1, err)
	}
	v1, err = c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(bucket), Marker: aws.String("a/b/3"), MaxKeys: aws.Int32(2), Delimiter: aws.String("/")})
	if err != nil || !aws.ToBool(v1.IsTruncated) || aws.ToString(v1.NextMarker) == "" {
		t.Errorf("v1 with marker and delimiter: %+v, %v", v1, err)
	}
	v1, err = c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(5000)})
	if err != nil || aws.ToInt32(v1.MaxKeys) != 1000 || len(v1.Contents) != len(keys) {
		t.Errorf("v1 max-keys 5000: %+v, %v", v1, err)
	}
	resp := rawRequest(t, s, "GET", "/"+bucket+"?max-keys=-1", nil, nil)
	wantXMLError(t, "max-keys=-1", resp, 400, "InvalidArgument")
	resp = rawRequest(t, s, "GET", "/"+bucket+"?list-type=2&max-keys=ten", nil, nil)
	wantXMLError(t, "max-keys=ten", resp, 400, "InvalidArgument")
	resp = rawRequest(t, s, "GET", "/"+bucket+"?encoding-type=base64", nil, nil)
	wantXMLError(t, "encoding-type=base64", resp, 400, "InvalidArgument")
}

func TestSDKNotImplemented(t *testing.T) {
	s := startServer(t)
	c := sdkClient(s)
	bucket := newBucket(t, c)
	put(t, c, bucket, "k", []byte("x"))
	// A configuration no bucket has answers its "not found" error, as AWS
	// does for a bucket without one (test/conformance has the others).
	_, err := c.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: aws.String(bucket)})
	wantCode(t, "GetBucketWebsite", err, "NoSuchWebsiteConfiguration")
	_, err = c.PutBucketWebsite(ctx, &s3.PutBucketWebsiteInput{Bucket: aws.String(bucket),
		WebsiteConfiguration: &types.WebsiteConfiguration{IndexDocument: &types.IndexDocument{Suffix: aws.String("index.html")}}})
	wantCode(t, "PutBucketWebsite", err, "NotImplemented")
	for _, target := range []string{"/" + bucket + "?torrent", "/" + bucket + "/k?torrent", "/" + bucket + "?list-type=2&website"} {
		resp := rawRequest(t, s, "GET", target, nil, nil)
		wantXMLError(t, "GET "+target, resp, 501, "NotImplemented")
	}
}

func TestSDKResponseHeaders(t *testing.T) {
	s := startServer(t)
	c := sdkClient(s)
	bucket := newBucket(t, c)
	ids := map[string]bool{}
	for _, tt := range []struct {
		method, target string
		status         int
		body           bool
	}{
		{"GET", "/", 200, true},
		{"HEAD", "/" + bucket, 200, false},
		{"HEAD", "/" + bucket + "/missing", 404, false},
		{"HEAD", "/no-such-bucket-here", 404, false},
		{"GET", "/" + bucket + "/missing", 404, true},
	} {
		resp := rawRequest(t, s, tt.method, tt.target, nil, nil)
		b := readAll(t, resp)
		id := resp.Header.Get("x-amz-request-id")
		if resp.StatusCode != tt.status || id == "" || ids[id] || resp.Header.Get("x-amz-id-2") == "" ||
			resp.Header.Get("Server") != "Anode" || resp.Header.Get("Date") == "" || (len(b) > 0) != tt.body {
			t.Errorf("%s %s: %d, headers %v, %d body bytes", tt.method, tt.target, resp.StatusCode, resp.Header, len(b))
		}
		ids[id] = true
		if tt.status == 404 && tt.body && !strings.Contains(string(b), "<Resource>/"+bucket+"/missing</Resource>") {
			t.Errorf("error document lacks the resource: %s", b)
		}
	}
	hb := rawRequest(t, s, "HEAD", "/"+bucket, nil, nil)
	readAll(t, hb)
	if hb.Header.Get("x-amz-bucket-region") != region {
		t.Errorf("HeadBucket x-amz-bucket-region = %q", hb.Header.Get("x-amz-bucket-region"))
	}
}

func TestSDKAuthErrors(t *testing.T) {
	s := startServer(t)
	_, err := sdkClientWithKeys(s, s.accessKey, s.secretKey+"x").ListBuckets(ctx, &s3.ListBucketsInput{})
	wantCode(t, "wrong secret", err, "SignatureDoesNotMatch")
	_, err = sdkClientWithKeys(s, "NOSUCHKEY0000000", "whatever").ListBuckets(ctx, &s3.ListBucketsInput{})
	wantCode(t, "unknown access key", err, "InvalidAccessKeyId")
	resp, err := http.Get(s.endpoint + "/")
	if err != nil {
		t.Fatal(err)
	}
	wantXMLError(t, "anonymous request", resp, 403, "AccessDenied")
}

func TestSDKPresigned(t *testing.T) {
	s := startServer(t)
	c := sdkClient(s)
	bucket := newBucket(t, c)
	pc := s3.NewPresignClient(c)

	data := []byte("uploaded through a presigned URL")
	pu, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("p k")}, s3.WithPresignExpires(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PUT", pu.URL, bytes.NewReader(data))
	for k, v := range pu.SignedHeader {
		if !strings.EqualFold(k, "Host") {
			req.Header[k] = v
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if b := readAll(t, resp); resp.StatusCode != 200 {
		t.Fatalf("presigned PUT: %d %s", resp.StatusCode, b)
	}

	pg, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("p k")}, s3.WithPresignExpires(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	if b := readAll(t, resp); resp.StatusCode != 200 || !bytes.Equal(b, data) {
		t.Errorf("presigned GET: %d %q", resp.StatusCode, b)
	}

	// Signed an hour ago, valid for a minute.
	expired, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("p k")},
		s3.WithPresignExpires(time.Minute), func(o *s3.PresignOptions) { o.Presigner = pastPresigner{v4.NewSigner()} })
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(expired.URL)
	if err != nil {
		t.Fatal(err)
	}
	wantXMLError(t, "expired presigned GET", resp, 403, "AccessDenied")

	// Tampering with a presigned URL breaks its signature.
	resp, err = http.Get(strings.Replace(pg.URL, "p%20k", "p%20x", 1))
	if err != nil {
		t.Fatal(err)
	}
	wantXMLError(t, "tampered presigned GET", resp, 403, "SignatureDoesNotMatch")
}

// TestSDKVirtualHost addresses buckets as bucket.localhost. It needs the
// server to list "localhost" among its virtual-host domains.
func TestSDKVirtualHost(t *testing.T) {
	s := startServer(t)
	c := sdkClient(s, func(o *s3.Options) {
		o.UsePathStyle = false
		o.BaseEndpoint = aws.String("http://localhost:" + s.port(t))
	})
	bucket := bucketName(t)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"vh", "dir/with space+plus", "../up"} {
		put(t, c, bucket, key, []byte(key))
		if got := get(t, c, bucket, key); string(got) != key {
			t.Errorf("virtual-host key %q read back %q", key, got)
		}
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil || len(out.Contents) != 3 || aws.ToString(out.Name) != bucket {
		t.Errorf("virtual-host listing: %+v, %v", out, err)
	}
	// The same objects are visible path-style.
	if got := get(t, sdkClient(s), bucket, "vh"); string(got) != "vh" {
		t.Errorf("path-style read of a virtual-host write: %q", got)
	}
}
