package objectmodel

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// upload is a multipart upload in progress in a test.
type upload struct {
	e           *env
	bucket, key string
	id          string
	parts       []types.CompletedPart
}

func (e *env) createUpload(bucket, key string, mod ...func(*s3.CreateMultipartUploadInput)) *upload {
	e.t.Helper()
	in := &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	for _, m := range mod {
		m(in)
	}
	out, err := e.c.CreateMultipartUpload(e.ctx, in)
	if err != nil {
		e.t.Fatalf("create upload: %v", err)
	}
	return &upload{e: e, bucket: bucket, key: key, id: aws.ToString(out.UploadId)}
}

func (u *upload) part(n int, data []byte) (*s3.UploadPartOutput, error) {
	out, err := u.e.c.UploadPart(u.e.ctx, &s3.UploadPartInput{
		Bucket: aws.String(u.bucket), Key: aws.String(u.key), UploadId: aws.String(u.id),
		PartNumber: aws.Int32(int32(n)), Body: bytes.NewReader(data),
	})
	if err == nil {
		u.parts = append(u.parts, types.CompletedPart{PartNumber: aws.Int32(int32(n)), ETag: out.ETag})
	}
	return out, err
}

func (u *upload) mustPart(n int, data []byte) {
	u.e.t.Helper()
	if _, err := u.part(n, data); err != nil {
		u.e.t.Fatalf("upload part %d: %v", n, err)
	}
}

func (u *upload) complete(parts []types.CompletedPart) (*s3.CompleteMultipartUploadOutput, error) {
	return u.e.c.CompleteMultipartUpload(u.e.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(u.bucket), Key: aws.String(u.key), UploadId: aws.String(u.id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
}

// multipartETag is the ETag S3 gives an object made of these parts.
func multipartETag(parts ...[]byte) string {
	var cat []byte
	for _, p := range parts {
		s := md5.Sum(p)
		cat = append(cat, s[:]...)
	}
	s := md5.Sum(cat)
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(s[:]), len(parts))
}

func TestMultipartUploadRoundTrip(t *testing.T) {
	e := newEnv(t)
	b := e.bucket()
	p1, p2, p3 := randBytes(1, 5*mib), randBytes(2, 5*mib+123), randBytes(3, 1000)
	u := e.createUpload(b, "big", func(in *s3.CreateMultipartUploadInput) {
		in.ContentType = aws.String("text/x-test")
		in.Metadata = map[string]string{"color": "blue"}
		in.Tagging = aws.String("a=1&b=2")
	})
	u.mustPart(2, p2)
	u.mustPart(1, randBytes(9, 5*mib)) // replaced below
	u.mustPart(1, p1)
	u.mustPart(3, p3)
	u.mustPart(4, []byte("not listed in the completion"))

	// Nothing is visible before completion.
	_, err := e.c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("big")})
	wantStatus(t, err, 404)

	lp, err := e.c.ListParts(e.ctx, &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("big"), UploadId: aws.String(u.id)})
	if err != nil {
		t.Fatal(err)
	}
	if len(lp.Parts) != 4 || aws.ToInt32(lp.Parts[0].PartNumber) != 1 || aws.ToInt64(lp.Parts[1].Size) != int64(len(p2)) {
		t.Fatalf("ListParts: %+v", lp.Parts)
	}
	if got := aws.ToString(lp.Parts[0].ETag); got != `"`+md5hex(p1)+`"` {
		t.Fatalf("part 1 ETag %s, want the MD5 of the replacing upload", got)
	}
	// Paging through ListParts.
	lp2, err := e.c.ListParts(e.ctx, &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("big"), UploadId: aws.String(u.id), MaxParts: aws.Int32(2), PartNumberMarker: aws.String("1")})
	if err != nil {
		t.Fatal(err)
	}
	if len(lp2.Parts) != 2 || aws.ToInt32(lp2.Parts[0].PartNumber) != 2 || !aws.ToBool(lp2.IsTruncated) || aws.ToString(lp2.NextPartNumberMarker) != "3" {
		t.Fatalf("ListParts page: %d parts, truncated %v, next %s", len(lp2.Parts), aws.ToBool(lp2.IsTruncated), aws.ToString(lp2.NextPartNumberMarker))
	}

	parts := []types.CompletedPart{
		{PartNumber: aws.Int32(1), ETag: aws.String(md5hex(p1))},
		{PartNumber: aws.Int32(2), ETag: aws.String(`"` + md5hex(p2) + `"`)},
		{PartNumber: aws.Int32(3), ETag: aws.String(md5hex(p3))},
	}
	out, err := u.complete(parts)
	if err != nil {
		t.Fatal(err)
	}
	if want := multipartETag(p1, p2, p3); aws.ToString(out.ETag) != want {
		t.Fatalf("ETag %s, want %s", aws.ToString(out.ETag), want)
	}
	whole := append(append(append([]byte{}, p1...), p2...), p3...)
	if !bytes.Equal(e.get(b, "big", ""), whole) {
		t.Fatal("completed object differs from its parts")
	}
	// x-amz-mp-parts-count only with a partNumber (HeadObject reference).
	head, err := e.c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ContentType) != "text/x-test" || head.Metadata["color"] != "blue" || aws.ToInt32(head.TagCount) != 2 || head.PartsCount != nil {
		t.Fatalf("head: type %s meta %v tags %d parts %d", aws.ToString(head.ContentType), head.Metadata, aws.ToInt32(head.TagCount), aws.ToInt32(head.PartsCount))
	}
	// GET ?partNumber= serves one part.
	for n, want := range [][]byte{p1, p2, p3} {
		g, err := e.c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("big"), PartNumber: aws.Int32(int32(n + 1))})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(g.Body)
		g.Body.Close()
		if !bytes.Equal(buf.Bytes(), want) || aws.ToInt32(g.PartsCount) != 3 {
			t.Fatalf("part %d: %d bytes, parts count %d", n+1, buf.Len(), aws.ToInt32(g.PartsCount))
		}
	}
	// The upload is gone.
	_, err = e.c.ListParts(e.ctx, &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("big"), UploadId: aws.String(u.id)})
	wantCode(t, err, "NoSuchUpload")
	// Completing it again answers the same success (see TestCompleteRetry).
	if _, err := u.complete(parts); err != nil {
		t.Fatalf("repeated completion: %v", err)
	}
}

func TestMultipartErrors(t *testing.T) {
	e := newEnv(t)
	b := e.bucket()
	small, big := []byte("tiny part"), randBytes(4, 5*mib)
	u := e.createUpload(b, "k")
	u.mustPart(1, small)
	u.mustPart(2, big)
	u.mustPart(3, small)

	// Every part but the last must be at least 5 MiB.
	_, err := u.complete(u.parts)
	wantCode(t, err, "EntityTooSmall")
	// Parts in ascending order.
	_, err = u.complete([]types.CompletedPart{u.parts[2], u.parts[1]})
	wantCode(t, err, "InvalidPartOrder")
	// ETags must match.
	_, err = u.complete([]types.CompletedPart{{PartNumber: aws.Int32(2), ETag: aws.String(md5hex(small))}})
	wantCode(t, err, "InvalidPart")
	// Parts that were never uploaded.
	_, err = u.complete([]types.CompletedPart{{PartNumber: aws.Int32(7), ETag: aws.String(md5hex(small))}})
	wantCode(t, err, "InvalidPart")
	// No parts at all.
	_, err = u.complete(nil)
	wantCode(t, err, "MalformedXML")
	// Part numbers 1..10000.
	_, err = u.part(10001, small)
	wantCode(t, err, "InvalidArgument")
	_, err = u.part(0, small)
	if err == nil {
		t.Fatal("part 0 accepted")
	}
	// Unknown uploads.
	bogus := &upload{e: e, bucket: b, key: "k", id: strings.Repeat("ab", 16)}
	_, err = bogus.part(1, small)
	wantCode(t, err, "NoSuchUpload")
	bogus.id = "not-an-id"
	_, err = bogus.part(1, small)
	wantCode(t, err, "NoSuchUpload")
	// The upload ID is bound to its key.
	other := &upload{e: e, bucket: b, key: "other", id: u.id}
	_, err = other.part(1, small)
	wantCode(t, err, "NoSuchUpload")
	// A valid completion after the failed ones still works.
	if _, err := u.complete([]types.CompletedPart{u.parts[1], u.parts[2]}); err != nil {
		t.Fatal(err)
	}
	if got := e.get(b, "k", ""); !bytes.Equal(got, append(append([]byte{}, big...), small...)) {
		t.Fatal("object differs")
	}

	// Abort: the upload and its parts are gone.
	a := e.createUpload(b, "aborted")
	a.mustPart(1, small)
	if _, err := e.c.AbortMultipartUpload(e.ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("aborted"), UploadId: aws.String(a.id)}); err != nil {
		t.Fatal(err)
	}
	_, err = a.part(2, small)
	wantCode(t, err, "NoSuchUpload")
	_, err = a.complete(a.parts)
	wantCode(t, err, "NoSuchUpload")
	_, err = e.c.AbortMultipartUpload(e.ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("aborted"), UploadId: aws.String(a.id)})
	wantCode(t, err, "NoSuchUpload")
	_, err = e.c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("aborted")})
	wantStatus(t, err, 404)
	// A bucket with an upload in progress is not empty.
	c := e.createUpload(b, "pending")
	_ = c
	for _, k := range []string{"k"} {
		e.c.DeleteObject(e.ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(k)})
	}
	_, err = e.c.DeleteBucket(e.ctx, &s3.DeleteBucketInput{Bucket: aws.String(b)})
	wantCode(t, err, "BucketNotEmpty")
}

func TestListMultipartUploads(t *testing.T) {
	e := newEnv(t)
	b := e.bucket()
	keys := []string{"a/1", "a/2", "a/2", "b", "c/x/y"}
	ids := map[string][]string{}
	for _, k := range keys {
		u := e.createUpload(b, k)
		ids[k] = append(ids[k], u.id)
	}
	list := func(in *s3.ListMultipartUploadsInput) *s3.ListMultipartUploadsOutput {
		t.Helper()
		in.Bucket = aws.String(b)
		out, err := e.c.ListMultipartUploads(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	all := list(&s3.ListMultipartUploadsInput{})
	if len(all.Uploads) != 5 {
		t.Fatalf("%d uploads, want 5", len(all.Uploads))
	}
	// Uploads of one key are in initiation order.
	if aws.ToString(all.Uploads[1].UploadId) != ids["a/2"][0] || aws.ToString(all.Uploads[2].UploadId) != ids["a/2"][1] {
		t.Fatal("uploads of a/2 not in initiation order")
	}
	withDelim := list(&s3.ListMultipartUploadsInput{Delimiter: aws.String("/")})
	if len(withDelim.Uploads) != 1 || aws.ToString(withDelim.Uploads[0].Key) != "b" || len(withDelim.CommonPrefixes) != 2 {
		t.Fatalf("delimited: %d uploads, %d prefixes", len(withDelim.Uploads), len(withDelim.CommonPrefixes))
	}
	withPrefix := list(&s3.ListMultipartUploadsInput{Prefix: aws.String("a/")})
	if len(withPrefix.Uploads) != 3 {
		t.Fatalf("prefix a/: %d uploads", len(withPrefix.Uploads))
	}
	// Paging with key and upload ID markers visits every upload once.
	var seen []string
	in := &s3.ListMultipartUploadsInput{MaxUploads: aws.Int32(2)}
	for page := 0; ; page++ {
		out := list(in)
		for _, u := range out.Uploads {
			seen = append(seen, aws.ToString(u.UploadId))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
		if page > 5 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 5 || seen[1] != ids["a/2"][0] || seen[2] != ids["a/2"][1] {
		t.Fatalf("paged uploads %v", seen)
	}
	// key-marker alone skips every upload of that key.
	after := list(&s3.ListMultipartUploadsInput{KeyMarker: aws.String("a/2")})
	if len(after.Uploads) != 2 || aws.ToString(after.Uploads[0].Key) != "b" {
		t.Fatalf("after a/2: %d uploads", len(after.Uploads))
	}
}

func TestUploadPartCopy(t *testing.T) {
	e := newEnv(t)
	b := e.bucket()
	src := randBytes(5, 7*mib+5)
	e.put(b, "src", src)
	u := e.createUpload(b, "dst")
	copyPart := func(n int, rng string) *s3.UploadPartCopyOutput {
		t.Helper()
		in := &s3.UploadPartCopyInput{
			Bucket: aws.String(b), Key: aws.String("dst"), UploadId: aws.String(u.id),
			PartNumber: aws.Int32(int32(n)), CopySource: aws.String(b + "/src"),
		}
		if rng != "" {
			in.CopySourceRange = aws.String(rng)
		}
		out, err := e.c.UploadPartCopy(e.ctx, in)
		if err != nil {
			t.Fatalf("copy part %d: %v", n, err)
		}
		u.parts = append(u.parts, types.CompletedPart{PartNumber: aws.Int32(int32(n)), ETag: out.CopyPartResult.ETag})
		return out
	}
	copyPart(1, "")                   // the whole source: references its chunks
	copyPart(2, "bytes=1000-6292455") // a range: read and re-chunked
	u.mustPart(3, []byte("tail"))
	_, err := e.c.UploadPartCopy(e.ctx, &s3.UploadPartCopyInput{
		Bucket: aws.String(b), Key: aws.String("dst"), UploadId: aws.String(u.id),
		PartNumber: aws.Int32(4), CopySource: aws.String(b + "/src"), CopySourceRange: aws.String("bytes=0-99999999"),
	})
	wantCode(t, err, "InvalidRange")
	_, err = e.c.UploadPartCopy(e.ctx, &s3.UploadPartCopyInput{
		Bucket: aws.String(b), Key: aws.String("dst"), UploadId: aws.String(u.id),
		PartNumber: aws.Int32(4), CopySource: aws.String(b + "/missing"),
	})
	wantCode(t, err, "NoSuchKey")
	if _, err := u.complete(u.parts); err != nil {
		t.Fatal(err)
	}
	want := append(append(append([]byte{}, src...), src[1000:6292456]...), "tail"...)
	if got := e.get(b, "dst", ""); !bytes.Equal(got, want) {
		t.Fatalf("copied object: %d bytes, want %d", len(got), len(want))
	}
}

// TestConditionalComplete: If-None-Match on CompleteMultipartUpload.
func TestConditionalComplete(t *testing.T) {
	e := newEnv(t)
	b := e.bucket()
	e.put(b, "exists", []byte("x"))
	u := e.createUpload(b, "exists")
	u.mustPart(1, []byte("new"))
	_, err := e.c.CompleteMultipartUpload(e.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(b), Key: aws.String("exists"), UploadId: aws.String(u.id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: u.parts}, IfNoneMatch: aws.String("*"),
	})
	wantCode(t, err, "PreconditionFailed")
	if got := e.get(b, "exists", ""); string(got) != "x" {
		t.Fatalf("object changed by a failed conditional completion: %q", got)
	}
	// The upload survives a failed precondition; If-Match with the right
	// ETag completes it.
	_, err = e.c.CompleteMultipartUpload(e.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(b), Key: aws.String("exists"), UploadId: aws.String(u.id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: u.parts}, IfMatch: aws.String(`"` + md5hex([]byte("x")) + `"`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.get(b, "exists", ""); string(got) != "new" {
		t.Fatalf("got %q", got)
	}
	// If-Match on a missing key.
	u2 := e.createUpload(b, "absent")
	u2.mustPart(1, []byte("a"))
	_, err = e.c.CompleteMultipartUpload(e.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(b), Key: aws.String("absent"), UploadId: aws.String(u2.id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: u2.parts}, IfMatch: aws.String(`"abc"`),
	})
	wantStatus(t, err, 404)
}

// TestCompleteRetry repeats a CompleteMultipartUpload that succeeded (as a
// client does when the first answer was lost): S3 answers the same success.
// Once the key holds another version, the upload is gone for good.
func TestCompleteRetry(t *testing.T) {
	e := newEnv(t)
	b := e.bucket()
	u := e.createUpload(b, "retried")
	u.mustPart(1, randBytes(1, 5<<20))
	u.mustPart(2, randBytes(2, 1000))
	first, err := u.complete(u.parts)
	if err != nil {
		t.Fatal(err)
	}
	again, err := u.complete(u.parts)
	if err != nil {
		t.Fatalf("retried completion: %v", err)
	}
	if aws.ToString(again.ETag) != aws.ToString(first.ETag) {
		t.Fatalf("retried completion ETag %s, first %s", aws.ToString(again.ETag), aws.ToString(first.ETag))
	}
	e.put(b, "retried", []byte("overwritten"))
	_, err = u.complete(u.parts)
	wantCode(t, err, "NoSuchUpload")
}
