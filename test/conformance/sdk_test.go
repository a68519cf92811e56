package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/anode/anode/internal/testutil"
)

const mib = 1 << 20

// sdkCase is one behaviour checked through aws-sdk-go-v2, in a new bucket.
type sdkCase struct {
	name, doc string
	// versioned enables versioning on the bucket first.
	versioned bool
	fn        func(t *testing.T, c *s3.Client, bucket string)
}

// client returns an SDK client for endpoint signing for region.
func client(endpoint, region string) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint:     aws.String(endpoint),
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(testutil.AccessKey, testutil.SecretKey, ""),
		UsePathStyle:     true,
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: 60 * time.Second},
	})
}

// wantCode fails unless err is the S3 error code (and, when status is
// not 0, the HTTP status).
func wantCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("error %v, want %s", err, code)
	}
	var re interface{ HTTPStatusCode() int }
	if status != 0 && errors.As(err, &re) && re.HTTPStatusCode() != status {
		t.Fatalf("status %d, want %d (%v)", re.HTTPStatusCode(), status, err)
	}
}

// must returns v, or stops the case with err: TestSDK turns the panic
// into the case's failure (Go cannot pass a call's two results after t).
func must[T any](v T, err error) T {
	if err != nil {
		panic(mustFailure{err})
	}
	return v
}

type mustFailure struct{ err error }

var ctx = context.Background()

// multipart uploads parts of the given sizes and completes the upload.
func multipart(t *testing.T, c *s3.Client, bucket, key string, create *s3.CreateMultipartUploadInput, sizes ...int) (*s3.CompleteMultipartUploadOutput, []byte) {
	t.Helper()
	if create == nil {
		create = &s3.CreateMultipartUploadInput{}
	}
	create.Bucket, create.Key = aws.String(bucket), aws.String(key)
	up := must(c.CreateMultipartUpload(ctx, create))
	var all []byte
	var parts []types.CompletedPart
	for i, n := range sizes {
		data := bytes.Repeat([]byte{byte('a' + i)}, n)
		all = append(all, data...)
		in := &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(data), ChecksumAlgorithm: create.ChecksumAlgorithm}
		out := must(c.UploadPart(ctx, in))
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag,
			ChecksumCRC32: out.ChecksumCRC32, ChecksumSHA256: out.ChecksumSHA256})
	}
	done := must(c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}))
	return done, all
}

var sdkCases = []sdkCase{
	{
		name: "HeadObject partNumber answers the part's size and range", doc: "HeadObject, partNumber; x-amz-mp-parts-count",
		fn: func(t *testing.T, c *s3.Client, b string) {
			multipart(t, c, b, "mp", nil, 5*mib, 100)
			for n, want := range map[int32]int64{1: 5 * mib, 2: 100} {
				h := must(c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("mp"), PartNumber: aws.Int32(n)}))
				if aws.ToInt64(h.ContentLength) != want || aws.ToInt32(h.PartsCount) != 2 {
					t.Errorf("part %d: length %d parts %d, want %d and 2", n, aws.ToInt64(h.ContentLength), aws.ToInt32(h.PartsCount), want)
				}
				start := int64(0)
				if n == 2 {
					start = 5 * mib
				}
				if cr := fmt.Sprintf("bytes %d-%d/%d", start, start+want-1, 5*mib+100); aws.ToString(h.ContentRange) != cr {
					t.Errorf("part %d: Content-Range %q, want %q", n, aws.ToString(h.ContentRange), cr)
				}
			}
			// A part beyond the object's parts: 400 InvalidPart, as ceph
			// s3-tests test_multipart_get_part expects (a HEAD carries the
			// status only, so GET shows the code).
			_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("mp"), PartNumber: aws.Int32(3)})
			wantCode(t, err, "InvalidPart", 400)
		},
	},
	{
		name: "GetObject partNumber returns the part", doc: "GetObject, partNumber",
		fn: func(t *testing.T, c *s3.Client, b string) {
			_, all := multipart(t, c, b, "mp", nil, 5*mib, 100)
			g := must(c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("mp"), PartNumber: aws.Int32(2)}))
			data := must(io.ReadAll(g.Body))
			if !bytes.Equal(data, all[5*mib:]) || aws.ToInt32(g.PartsCount) != 2 || aws.ToInt64(g.ContentLength) != 100 {
				t.Errorf("part 2: %d bytes, parts %d", len(data), aws.ToInt32(g.PartsCount))
			}
		},
	},
	{
		name: "ChecksumType FULL_OBJECT through create, complete, head and attributes", doc: "Checking object integrity: full object checksums for multipart uploads; CreateMultipartUpload/CompleteMultipartUpload/HeadObject/GetObjectAttributes ChecksumType",
		fn: func(t *testing.T, c *s3.Client, b string) {
			probe := must(c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("probe"),
				ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ChecksumType: types.ChecksumTypeFullObject}))
			if probe.ChecksumType != types.ChecksumTypeFullObject || probe.ChecksumAlgorithm != types.ChecksumAlgorithmCrc32 {
				t.Errorf("create: type %q algorithm %q", probe.ChecksumType, probe.ChecksumAlgorithm)
			}
			create := &s3.CreateMultipartUploadInput{ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ChecksumType: types.ChecksumTypeFullObject}
			done, _ := multipart(t, c, b, "full", create, 5*mib, 10)
			if done.ChecksumType != types.ChecksumTypeFullObject || aws.ToString(done.ChecksumCRC32) == "" {
				t.Errorf("complete: type %q crc32 %q", done.ChecksumType, aws.ToString(done.ChecksumCRC32))
			}
			h := must(c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("full"), ChecksumMode: types.ChecksumModeEnabled}))
			if h.ChecksumType != types.ChecksumTypeFullObject {
				t.Errorf("head: type %q", h.ChecksumType)
			}
			at := must(c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(b), Key: aws.String("full"),
				ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesChecksum}}))
			if at.Checksum == nil || at.Checksum.ChecksumType != types.ChecksumTypeFullObject {
				t.Errorf("attributes: %+v", at.Checksum)
			}
		},
	},
	{
		name: "ChecksumType COMPOSITE", doc: "Checking object integrity: composite checksums (\"<checksum>-<parts>\")",
		fn: func(t *testing.T, c *s3.Client, b string) {
			create := &s3.CreateMultipartUploadInput{ChecksumAlgorithm: types.ChecksumAlgorithmSha256, ChecksumType: types.ChecksumTypeComposite}
			done, _ := multipart(t, c, b, "comp", create, 5*mib, 10)
			if done.ChecksumType != types.ChecksumTypeComposite || !strings.HasSuffix(aws.ToString(done.ChecksumSHA256), "-2") {
				t.Errorf("complete: type %q sha256 %q", done.ChecksumType, aws.ToString(done.ChecksumSHA256))
			}
		},
	},
	{
		name: "UploadPartCopy of a range outside the source", doc: "UploadPartCopy, x-amz-copy-source-range (InvalidRange; ceph s3-tests test_multipart_copy_invalid_range)",
		fn: func(t *testing.T, c *s3.Client, b string) {
			must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("src"), Body: strings.NewReader("0123456789")}))
			up := must(c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("dst")}))
			_, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(b), Key: aws.String("dst"), UploadId: up.UploadId,
				PartNumber: aws.Int32(1), CopySource: aws.String(b + "/src"), CopySourceRange: aws.String("bytes=5-20")})
			wantCode(t, err, "InvalidRange", 416)
		},
	},
	{
		name: "a part below 5 MiB that is not the last", doc: "CompleteMultipartUpload: EntityTooSmall (every part but the last at least 5 MiB)",
		fn: func(t *testing.T, c *s3.Client, b string) {
			up := must(c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("k")}))
			var parts []types.CompletedPart
			for n := int32(1); n <= 2; n++ {
				p := must(c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("k"), UploadId: up.UploadId,
					PartNumber: aws.Int32(n), Body: strings.NewReader("small")}))
				parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: p.ETag})
			}
			_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("k"),
				UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
			wantCode(t, err, "EntityTooSmall", 400)
		},
	},
	{
		name: "UploadPart with a wrong checksum or Content-MD5 is BadDigest", doc: "UploadPart, x-amz-checksum-crc32 and Content-MD5; Error responses: BadDigest",
		fn: func(t *testing.T, c *s3.Client, b string) {
			up := must(c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("k"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32}))
			_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("k"), UploadId: up.UploadId,
				PartNumber: aws.Int32(1), Body: strings.NewReader("data"), ChecksumCRC32: aws.String("AAAAAA==")})
			wantCode(t, err, "BadDigest", 400)
			_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("k"), UploadId: up.UploadId,
				PartNumber: aws.Int32(1), Body: strings.NewReader("data"), ContentMD5: aws.String(md5b64("other"))})
			wantCode(t, err, "BadDigest", 400)
			parts := must(c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("k"), UploadId: up.UploadId}))
			if len(parts.Parts) != 0 {
				t.Errorf("a refused part was stored: %+v", parts.Parts)
			}
		},
	},
	{
		name: "no VersionId from CompleteMultipartUpload in an unversioned bucket", doc: "CompleteMultipartUpload, x-amz-version-id (versioned buckets only)",
		fn: func(t *testing.T, c *s3.Client, b string) {
			done, _ := multipart(t, c, b, "k", nil, 10)
			if done.VersionId != nil {
				t.Errorf("VersionId %q", *done.VersionId)
			}
		},
	},
	{
		name: "VersionId from CompleteMultipartUpload in a versioned bucket", doc: "CompleteMultipartUpload, x-amz-version-id",
		versioned: true,
		fn: func(t *testing.T, c *s3.Client, b string) {
			done, _ := multipart(t, c, b, "k", nil, 10)
			if v := aws.ToString(done.VersionId); v == "" || v == "null" {
				t.Errorf("VersionId %q", v)
			}
		},
	},
	{
		name: "CompleteMultipartUpload If-None-Match: * on an existing key", doc: "CompleteMultipartUpload, If-None-Match (412 PreconditionFailed)",
		fn: func(t *testing.T, c *s3.Client, b string) {
			must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x")}))
			up := must(c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("k")}))
			p := must(c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("k"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("y")}))
			_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("k"), UploadId: up.UploadId,
				IfNoneMatch:     aws.String("*"),
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: p.ETag}}}})
			wantCode(t, err, "PreconditionFailed", 412)
		},
	},
	{
		name: "PutObject If-None-Match with the current ETag", doc: "PutObject, If-None-Match",
		fn: func(t *testing.T, c *s3.Client, b string) {
			out := must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x")}))
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("y"), IfNoneMatch: out.ETag})
			wantCode(t, err, "PreconditionFailed", 412)
		},
	},
	{
		name: "PutObject If-Match: * on a missing key", doc: "PutObject, If-Match; RFC 9110 section 13.1.1 (412)",
		fn: func(t *testing.T, c *s3.Client, b string) {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("y"), IfMatch: aws.String("*")})
			wantCode(t, err, "PreconditionFailed", 412)
		},
	},
	{
		name: "non-ASCII metadata decodes to what was sent", doc: "Working with object metadata (RFC 2047 encoded on the way back)",
		fn: func(t *testing.T, c *s3.Client, b string) {
			must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x"),
				Metadata: map[string]string{"city": "Zürich 東京"}}))
			h := must(c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")}))
			got, err := new(mime.WordDecoder).DecodeHeader(h.Metadata["city"])
			if err != nil || got != "Zürich 東京" {
				t.Errorf("metadata %q decodes to %q (%v)", h.Metadata["city"], got, err)
			}
		},
	},
	{
		name: "encoding-type=url keys decode the same with path and query unescaping", doc: "ListObjectsV2, EncodingType",
		fn: func(t *testing.T, c *s3.Client, b string) {
			key := "a b+c/d%e&f"
			must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: strings.NewReader("x")}))
			out := must(c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b), EncodingType: types.EncodingTypeUrl}))
			if len(out.Contents) != 1 {
				t.Fatalf("%d keys", len(out.Contents))
			}
			got := aws.ToString(out.Contents[0].Key)
			p, _ := url.PathUnescape(got)
			q, _ := url.QueryUnescape(got)
			if p != key || q != key {
				t.Errorf("key %q decodes to %q (path) and %q (query), want %q", got, p, q, key)
			}
		},
	},
	{
		name: "a presigned PUT works and cannot be turned into a copy", doc: "Sharing objects with presigned URLs; unsigned x-amz-* headers are AccessDenied",
		fn: func(t *testing.T, c *s3.Client, b string) {
			must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("private"), Body: strings.NewReader("secret")}))
			ps := must(s3.NewPresignClient(c).PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("upload")}))
			attack, _ := http.NewRequest("PUT", ps.URL, strings.NewReader(""))
			attack.Header.Set("x-amz-copy-source", b+"/private")
			resp := must(http.DefaultClient.Do(attack))
			resp.Body.Close()
			if resp.StatusCode != 403 {
				t.Fatalf("presigned PUT + x-amz-copy-source: %d, want 403", resp.StatusCode)
			}
			if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("upload")}); err == nil {
				t.Fatal("the refused request created the object")
			}
			ok, _ := http.NewRequest("PUT", ps.URL, strings.NewReader("mine"))
			resp = must(http.DefaultClient.Do(ok))
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("presigned PUT: %d", resp.StatusCode)
			}
		},
	},
	{
		name: "ListObjectVersions stays exact while each page is deleted before the next", doc: "ListObjectVersions, key-marker and version-id-marker (resume after the marker whether or not it still exists; boto3 Bucket.object_versions.delete())",
		versioned: true,
		fn: func(t *testing.T, c *s3.Client, b string) {
			const keys, perKey, page = 3, 40, 7
			for k := 0; k < keys; k++ {
				for v := 0; v < perKey; v++ {
					must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(fmt.Sprintf("k%d", k)), Body: strings.NewReader("x")}))
				}
			}
			seen := map[string]bool{}
			in := &s3.ListObjectVersionsInput{Bucket: aws.String(b), MaxKeys: aws.Int32(page)}
			for {
				out := must(c.ListObjectVersions(ctx, in))
				var del []types.ObjectIdentifier
				for _, v := range out.Versions {
					id := aws.ToString(v.Key) + "@" + aws.ToString(v.VersionId)
					if seen[id] {
						t.Fatalf("%s listed twice", id)
					}
					seen[id] = true
					del = append(del, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
				}
				if len(del) > 0 {
					must(c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: del}}))
				}
				if !aws.ToBool(out.IsTruncated) {
					break
				}
				in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
			}
			if len(seen) != keys*perKey {
				t.Errorf("listed %d versions, want %d", len(seen), keys*perKey)
			}
			left := must(c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b)}))
			if n := len(left.Versions) + len(left.DeleteMarkers); n != 0 {
				t.Errorf("%d versions left after deleting every listed one", n)
			}
		},
	},
	{
		name: "deleting a delete marker by version ID answers x-amz-delete-marker", doc: "DeleteObject, x-amz-delete-marker (\"Specifies whether the versioned object that was permanently deleted was (true) or was not (false) a delete marker\")",
		versioned: true,
		fn: func(t *testing.T, c *s3.Client, b string) {
			must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x")}))
			dm := must(c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k")}))
			if !aws.ToBool(dm.DeleteMarker) || aws.ToString(dm.VersionId) == "" {
				t.Fatalf("delete: marker %v version %q", aws.ToBool(dm.DeleteMarker), aws.ToString(dm.VersionId))
			}
			out := must(c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: dm.VersionId}))
			if !aws.ToBool(out.DeleteMarker) || aws.ToString(out.VersionId) != aws.ToString(dm.VersionId) {
				t.Errorf("delete of the marker: marker %v version %q", aws.ToBool(out.DeleteMarker), aws.ToString(out.VersionId))
			}
			// The marker gone, the object is current again.
			must(c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")}))
		},
	},
	{
		name: "DeleteObjects in a versioned bucket reports the delete marker", doc: "DeleteObjects, Deleted: DeleteMarker and DeleteMarkerVersionId",
		versioned: true,
		fn: func(t *testing.T, c *s3.Client, b string) {
			must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x")}))
			out := must(c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b),
				Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("k")}}}}))
			if len(out.Deleted) != 1 || !aws.ToBool(out.Deleted[0].DeleteMarker) || aws.ToString(out.Deleted[0].DeleteMarkerVersionId) == "" {
				t.Errorf("deleted: %+v", out.Deleted)
			}
		},
	},
	{
		name: "a client signing for eu-central-1 creates and finds its bucket", doc: "CreateBucket, CreateBucketConfiguration; GetBucketLocation; HeadBucket BucketRegion",
		fn: func(t *testing.T, _ *s3.Client, _ string) {
			c := client(servers.open.Endpoint, "eu-central-1")
			b := newBucketName()
			must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b),
				CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuCentral1}}))
			loc := must(c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(b)}))
			if loc.LocationConstraint != types.BucketLocationConstraintEuCentral1 {
				t.Errorf("location %q", loc.LocationConstraint)
			}
			h := must(c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b)}))
			if aws.ToString(h.BucketRegion) != "eu-central-1" {
				t.Errorf("HeadBucket region %q", aws.ToString(h.BucketRegion))
			}
			_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b + "-x"),
				CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "us-east-1"}})
			wantCode(t, err, "InvalidLocationConstraint", 400)
		},
	},
	{
		name: "ListBuckets pages with MaxBuckets and reports BucketRegion", doc: "ListBuckets, max-buckets, continuation-token, prefix; Bucket, BucketRegion",
		fn: func(t *testing.T, c *s3.Client, _ string) {
			prefix := newBucketName()
			for i := 0; i < 5; i++ {
				must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(fmt.Sprintf("%s-%d", prefix, i))}))
			}
			var names []string
			p := s3.NewListBucketsPaginator(c, &s3.ListBucketsInput{MaxBuckets: aws.Int32(2), Prefix: aws.String(prefix + "-")})
			pages := 0
			for p.HasMorePages() {
				out := must(p.NextPage(ctx))
				pages++
				for _, b := range out.Buckets {
					names = append(names, aws.ToString(b.Name))
					if aws.ToString(b.BucketRegion) != "us-east-1" {
						t.Errorf("%s: BucketRegion %q", aws.ToString(b.Name), aws.ToString(b.BucketRegion))
					}
				}
				if aws.ToString(out.Prefix) != prefix+"-" {
					t.Errorf("Prefix %q", aws.ToString(out.Prefix))
				}
			}
			if len(names) != 5 || pages != 3 {
				t.Errorf("%d buckets in %d pages: %v", len(names), pages, names)
			}
		},
	},
}

func TestSDK(t *testing.T) {
	startServers(t)
	c := client(servers.open.Endpoint, "us-east-1")
	for _, tc := range sdkCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Logf("follows: %s", tc.doc)
			b := newBucketName()
			if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
				t.Fatal(err)
			}
			if tc.versioned {
				if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
					VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
					t.Fatal(err)
				}
			}
			defer func() {
				if v := recover(); v != nil {
					f, ok := v.(mustFailure)
					if !ok {
						panic(v)
					}
					t.Fatalf("%v", f.err)
				}
			}()
			tc.fn(t, c, b)
		})
	}
}

// TestCopyObjectSourceAbove5GiB: CopyObject of a source above 5 GiB is
// InvalidRequest, as on AWS ("CopyObject": "you must use the multipart
// upload UploadPartCopy for objects larger than 5 GB"). The source is made
// cheaply: UploadPartCopy of a whole 5 MiB object references its chunks,
// so 1025 such parts make a 5.005 GiB object without writing it. The same
// source is still copied with UploadPartCopy.
func TestCopyObjectSourceAbove5GiB(t *testing.T) {
	startServers(t)
	c := client(servers.open.Endpoint, "us-east-1")
	b := newBucketName()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("5mib"), Body: bytes.NewReader(bytes.Repeat([]byte("z"), 5*mib))}); err != nil {
		t.Fatal(err)
	}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	const parts = 1025
	var done []types.CompletedPart
	for n := int32(1); n <= parts; n++ {
		out, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(b), Key: aws.String("big"), UploadId: up.UploadId,
			PartNumber: aws.Int32(n), CopySource: aws.String(b + "/5mib")})
		if err != nil {
			t.Fatalf("part %d: %v", n, err)
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.CopyPartResult.ETag})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("big"),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
		t.Fatal(err)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("big")})
	if err != nil || aws.ToInt64(h.ContentLength) <= 5<<30 {
		t.Fatalf("source: %v, %d bytes", err, aws.ToInt64(h.ContentLength))
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("copy"), CopySource: aws.String(b + "/big")})
	wantCode(t, err, "InvalidRequest", 400)
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("copy")}); err == nil {
		t.Fatal("the refused copy created the object")
	}
}

// TestPartReuploadedWhileInFlight: a part uploaded again while its first
// upload is still sending. AWS: "If you upload a new part using the same
// part number that was used with a previous part, the previously uploaded
// part is overwritten" (UploadPart); the upload that finishes last is the
// part. Here the first upload finishes last, so it is the part, and the
// object holds its bytes; completing with the other ETag is InvalidPart.
func TestPartReuploadedWhileInFlight(t *testing.T) {
	startServers(t)
	c := client(servers.open.Endpoint, "us-east-1")
	b := newBucketName()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	first := bytes.Repeat([]byte("1"), 1<<20)
	pr, pw := io.Pipe()
	type result struct {
		etag string
		err  error
	}
	// The slow upload streams from a pipe (UNSIGNED-PAYLOAD: the SDK would
	// want to hash a seekable body first).
	req := build(t, servers.open.Endpoint, b, raw{method: "PUT", path: "/{b}/k?partNumber=1&uploadId=" + url.QueryEscape(aws.ToString(up.UploadId)), unsignedPayload: true})
	req.Body, req.ContentLength = pr, int64(len(first))
	slow := make(chan result, 1)
	go func() {
		resp, err := httpClient.Do(req)
		if err != nil {
			slow <- result{err: err}
			return
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			err = fmt.Errorf("slow part upload: %s", resp.Status)
		}
		slow <- result{resp.Header.Get("ETag"), err}
	}()
	pw.Write(first[:len(first)/2]) // the first upload is under way
	second, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("k"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("second")})
	if err != nil {
		t.Fatal(err)
	}
	pw.Write(first[len(first)/2:])
	pw.Close()
	r := <-slow
	if r.err != nil {
		t.Fatal(r.err)
	}
	parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("k"), UploadId: up.UploadId})
	if err != nil || len(parts.Parts) != 1 || aws.ToString(parts.Parts[0].ETag) != r.etag {
		t.Fatalf("ListParts after both uploads: %+v %v, want the first upload's ETag %s", parts, err, r.etag)
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("k"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: second.ETag}}}})
	wantCode(t, err, "InvalidPart", 400)
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("k"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(r.etag)}}}}); err != nil {
		t.Fatal(err)
	}
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(g.Body)
	if !bytes.Equal(data, first) {
		t.Fatalf("object has %d bytes, want the first upload's %d", len(data), len(first))
	}
}
