package integration

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// minioClient returns a minio-go client for s (path-style unless lookup
// says otherwise).
func minioClient(t *testing.T, s server, ak, sk string, lookup minio.BucketLookupType, trailing bool) *minio.Client {
	t.Helper()
	c, err := minio.New(s.hostPort(t), &minio.Options{
		Creds:           credentials.NewStaticV4(ak, sk, ""),
		Region:          region,
		BucketLookup:    lookup,
		Transport:       loopbackTransport(),
		TrailingHeaders: trailing,
		MaxRetries:      1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func minioCode(err error) string { return minio.ToErrorResponse(err).Code }

func wantMinioCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := minioCode(err); got != code {
		t.Errorf("%s: error code %q, want %q (err: %v)", what, got, code, err)
	}
}

func newMinioBucket(t *testing.T, c *minio.Client) string {
	t.Helper()
	name := bucketName(t)
	if err := c.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: region}); err != nil {
		t.Fatalf("MakeBucket %s: %v", name, err)
	}
	return name
}

func minioGet(t *testing.T, c *minio.Client, bucket, key string, opts minio.GetObjectOptions) ([]byte, error) {
	t.Helper()
	o, err := c.GetObject(ctx, bucket, key, opts)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	return io.ReadAll(o)
}

func TestMinioBuckets(t *testing.T) {
	s := startServer(t)
	c := minioClient(t, s, s.accessKey, s.secretKey, minio.BucketLookupPath, false)
	name := newMinioBucket(t, c)
	// us-east-1 answers 200 to the owner re-creating a bucket (AWS
	// CreateBucket, Errors).
	if err := c.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: region}); err != nil {
		t.Errorf("MakeBucket twice in us-east-1: %v", err)
	}

	ok, err := c.BucketExists(ctx, name)
	if err != nil || !ok {
		t.Errorf("BucketExists = %v, %v", ok, err)
	}
	ok, err = c.BucketExists(ctx, name+"-nope")
	if err != nil || ok {
		t.Errorf("BucketExists(missing) = %v, %v", ok, err)
	}
	loc, err := c.GetBucketLocation(ctx, name)
	if err != nil || loc != region {
		t.Errorf("GetBucketLocation = %q, %v", loc, err)
	}
	buckets, err := c.ListBuckets(ctx)
	found := false
	for _, b := range buckets {
		found = found || b.Name == name
	}
	if err != nil || !found {
		t.Errorf("ListBuckets = %v, %v", buckets, err)
	}
	if _, err := c.PutObject(ctx, name, "k", strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	wantMinioCode(t, "RemoveBucket not empty", c.RemoveBucket(ctx, name), "BucketNotEmpty")
	if err := c.RemoveObject(ctx, name, "k", minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveBucket(ctx, name); err != nil {
		t.Fatal(err)
	}
	wantMinioCode(t, "RemoveBucket twice", c.RemoveBucket(ctx, name), "NoSuchBucket")
}

func TestMinioPutGetStat(t *testing.T) {
	s := startServer(t)
	for _, trailing := range []bool{false, true} {
		c := minioClient(t, s, s.accessKey, s.secretKey, minio.BucketLookupPath, trailing)
		bucket := newMinioBucket(t, c)
		data := randomBytes(2<<20 + 17)
		putOpts := minio.PutObjectOptions{
			ContentType:    "application/x-big",
			UserMetadata:   map[string]string{"Owner": "tests"},
			UserTags:       map[string]string{"k": "v"},
			SendContentMd5: !trailing,
		}
		if trailing {
			// Sent as an aws-chunked trailer.
			putOpts.Checksum = minio.ChecksumCRC32C
		}
		info, err := c.PutObject(ctx, bucket, "big", bytes.NewReader(data), int64(len(data)), putOpts)
		if err != nil {
			t.Fatalf("trailing=%v: PutObject: %v", trailing, err)
		}
		sum := md5.Sum(data)
		if info.ETag != fmt.Sprintf("%x", sum) || info.Size != int64(len(data)) {
			t.Errorf("trailing=%v: UploadInfo %+v", trailing, info)
		}
		got, err := minioGet(t, c, bucket, "big", minio.GetObjectOptions{})
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("trailing=%v: GetObject: %d bytes, %v", trailing, len(got), err)
		}
		st, err := c.StatObject(ctx, bucket, "big", minio.StatObjectOptions{Checksum: true})
		if err != nil || st.ContentType != "application/x-big" || st.UserMetadata["Owner"] != "tests" ||
			st.UserTagCount != 1 || st.Size != int64(len(data)) || trailing && st.ChecksumCRC32C == "" {
			t.Errorf("trailing=%v: StatObject %+v, %v", trailing, st, err)
		}

		var opts minio.GetObjectOptions
		opts.SetRange(10, 19)
		got, err = minioGet(t, c, bucket, "big", opts)
		if err != nil || !bytes.Equal(got, data[10:20]) {
			t.Errorf("trailing=%v: ranged GetObject: %d bytes, %v", trailing, len(got), err)
		}
	}

	c := minioClient(t, s, s.accessKey, s.secretKey, minio.BucketLookupPath, false)
	bucket := newMinioBucket(t, c)
	info, err := c.PutObject(ctx, bucket, "c", strings.NewReader("cond"), 4, minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var opts minio.GetObjectOptions
	opts.SetMatchETag("deadbeef")
	_, err = minioGet(t, c, bucket, "c", opts)
	wantMinioCode(t, "If-Match wrong", err, "PreconditionFailed")
	opts = minio.GetObjectOptions{}
	opts.SetMatchETag(info.ETag)
	if got, err := minioGet(t, c, bucket, "c", opts); err != nil || string(got) != "cond" {
		t.Errorf("If-Match right: %q, %v", got, err)
	}
	opts = minio.GetObjectOptions{}
	opts.SetUnmodified(time.Now().Add(-time.Hour))
	_, err = minioGet(t, c, bucket, "c", opts)
	wantMinioCode(t, "If-Unmodified-Since past", err, "PreconditionFailed")

	_, err = minioGet(t, c, bucket, "missing", minio.GetObjectOptions{})
	wantMinioCode(t, "GetObject missing", err, "NoSuchKey")
	_, err = c.StatObject(ctx, bucket, "missing", minio.StatObjectOptions{})
	wantMinioCode(t, "StatObject missing", err, "NoSuchKey")
	_, err = c.PutObject(ctx, bucket, "meta", strings.NewReader("x"), 1, minio.PutObjectOptions{
		UserMetadata: map[string]string{"big": strings.Repeat("m", 3000)}})
	wantMinioCode(t, "3000 bytes of metadata", err, "MetadataTooLarge")
}

func TestMinioSpecialKeys(t *testing.T) {
	s := startServer(t)
	c := minioClient(t, s, s.accessKey, s.secretKey, minio.BucketLookupPath, false)
	bucket := newMinioBucket(t, c)
	for i, key := range specialKeys {
		data := fmt.Sprintf("minio %d", i)
		if _, err := c.PutObject(ctx, bucket, key, strings.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
			t.Errorf("PutObject %s: %v", fmtKey(key), err)
			continue
		}
		got, err := minioGet(t, c, bucket, key, minio.GetObjectOptions{})
		if err != nil || string(got) != data {
			t.Errorf("GetObject %s: %q, %v", fmtKey(key), got, err)
		}
	}
	want := append([]string(nil), specialKeys...)
	sort.Strings(want)
	for _, v1 := range []bool{false, true} {
		var got []string
		for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true, UseV1: v1}) {
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			got = append(got, o.Key)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("v1=%v: listed %q, want %q", v1, got, want)
		}
	}
}

func TestMinioListPaging(t *testing.T) {
	s := startServer(t)
	c := minioClient(t, s, s.accessKey, s.secretKey, minio.BucketLookupPath, false)
	bucket := newMinioBucket(t, c)
	var keys []string
	for i := range 25 {
		keys = append(keys, fmt.Sprintf("p/%02d", i))
	}
	keys = append(keys, "q/x", "r")
	for _, k := range keys {
		if _, err := c.PutObject(ctx, bucket, k, strings.NewReader(k), int64(len(k)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, v1 := range []bool{false, true} {
		var got []string
		for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true, MaxKeys: 4, UseV1: v1}) {
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			got = append(got, o.Key)
		}
		if strings.Join(got, ",") != strings.Join(keys, ",") {
			t.Errorf("v1=%v: paged listing %q", v1, got)
		}
		got = nil
		for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{MaxKeys: 2, UseV1: v1}) {
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			got = append(got, o.Key)
		}
		if strings.Join(got, ",") != "p/,q/,r" {
			t.Errorf("v1=%v: delimited paged listing %q", v1, got)
		}
	}
}

func TestMinioRemoveObjects(t *testing.T) {
	s := startServer(t)
	c := minioClient(t, s, s.accessKey, s.secretKey, minio.BucketLookupPath, false)
	bucket := newMinioBucket(t, c)
	ch := make(chan minio.ObjectInfo, 50)
	for i := range 50 {
		k := fmt.Sprintf("obj %d+", i)
		if _, err := c.PutObject(ctx, bucket, k, strings.NewReader(k), int64(len(k)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		ch <- minio.ObjectInfo{Key: k}
	}
	close(ch)
	for e := range c.RemoveObjects(ctx, bucket, ch, minio.RemoveObjectsOptions{}) {
		t.Errorf("RemoveObjects %q: %v", e.ObjectName, e.Err)
	}
	for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		t.Errorf("left after RemoveObjects: %q %v", o.Key, o.Err)
	}
}

func TestMinioCopyObject(t *testing.T) {
	s := startServer(t)
	c := minioClient(t, s, s.accessKey, s.secretKey, minio.BucketLookupPath, false)
	bucket := newMinioBucket(t, c)
	src := "source key+日本"
	if _, err := c.PutObject(ctx, bucket, src, strings.NewReader("copy me"), 7, minio.PutObjectOptions{
		ContentType: "text/plain", UserMetadata: map[string]string{"a": "1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CopyObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: "copy"},
		minio.CopySrcOptions{Bucket: bucket, Object: src}); err != nil {
		t.Fatal(err)
	}
	st, err := c.StatObject(ctx, bucket, "copy", minio.StatObjectOptions{})
	if err != nil || st.ContentType != "text/plain" || st.UserMetadata["A"] != "1" {
		t.Errorf("COPY metadata: %+v, %v", st, err)
	}
	if _, err := c.CopyObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: "copy2", ReplaceMetadata: true,
		UserMetadata: map[string]string{"b": "2"}}, minio.CopySrcOptions{Bucket: bucket, Object: src}); err != nil {
		t.Fatal(err)
	}
	st, err = c.StatObject(ctx, bucket, "copy2", minio.StatObjectOptions{})
	if err != nil || st.UserMetadata["B"] != "2" || st.UserMetadata["A"] != "" {
		t.Errorf("REPLACE metadata: %+v, %v", st, err)
	}
	got, err := minioGet(t, c, bucket, "copy2", minio.GetObjectOptions{})
	if err != nil || string(got) != "copy me" {
		t.Errorf("copied body %q, %v", got, err)
	}
	_, err = c.CopyObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: src}, minio.CopySrcOptions{Bucket: bucket, Object: src})
	wantMinioCode(t, "copy onto itself", err, "InvalidRequest")
	_, err = c.CopyObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: "x"},
		minio.CopySrcOptions{Bucket: bucket, Object: src, MatchETag: "deadbeef"})
	wantMinioCode(t, "copy-source-if-match wrong", err, "PreconditionFailed")
}

func TestMinioPresigned(t *testing.T) {
	s := startServer(t)
	c := minioClient(t, s, s.accessKey, s.secretKey, minio.BucketLookupPath, false)
	bucket := newMinioBucket(t, c)
	pu, err := c.PresignedPutObject(ctx, bucket, "pre signed", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PUT", pu.String(), strings.NewReader("presigned body"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if b := readAll(t, resp); resp.StatusCode != 200 {
		t.Fatalf("presigned PUT: %d %s", resp.StatusCode, b)
	}
	pg, err := c.PresignedGetObject(ctx, bucket, "pre signed", time.Minute,
		url.Values{"response-content-disposition": {"attachment"}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(pg.String())
	if err != nil {
		t.Fatal(err)
	}
	if b := readAll(t, resp); resp.StatusCode != 200 || string(b) != "presigned body" ||
		resp.Header.Get("Content-Disposition") != "attachment" {
		t.Errorf("presigned GET: %d %q %v", resp.StatusCode, b, resp.Header)
	}
}

func TestMinioAuthErrors(t *testing.T) {
	s := startServer(t)
	_, err := minioClient(t, s, s.accessKey, "wrong-secret", minio.BucketLookupPath, false).ListBuckets(ctx)
	wantMinioCode(t, "wrong secret", err, "SignatureDoesNotMatch")
	_, err = minioClient(t, s, "NOSUCHACCESSKEY", "secret", minio.BucketLookupPath, false).ListBuckets(ctx)
	wantMinioCode(t, "unknown access key", err, "InvalidAccessKeyId")
}

// TestMinioVirtualHost addresses buckets as bucket.localhost; the server
// must list "localhost" among its virtual-host domains.
func TestMinioVirtualHost(t *testing.T) {
	s := startServer(t)
	vs := s
	vs.endpoint = "http://localhost:" + s.port(t)
	c := minioClient(t, vs, s.accessKey, s.secretKey, minio.BucketLookupDNS, false)
	bucket := newMinioBucket(t, c)
	for _, key := range []string{"vh", "a b/c+d", "../x"} {
		if _, err := c.PutObject(ctx, bucket, key, strings.NewReader(key), int64(len(key)), minio.PutObjectOptions{}); err != nil {
			t.Fatalf("PutObject %q: %v", key, err)
		}
		got, err := minioGet(t, c, bucket, key, minio.GetObjectOptions{})
		if err != nil || string(got) != key {
			t.Errorf("GetObject %q: %q, %v", key, got, err)
		}
	}
	n := 0
	for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		n++
	}
	if n != 3 {
		t.Errorf("virtual-host listing found %d objects, want 3", n)
	}
}
