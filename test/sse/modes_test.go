package sse

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/encrypt"

	"github.com/anode/anode/internal/config"
	"github.com/anode/anode/internal/testutil"
)

// TestSSEKMSKeys covers named keys: the key ID and context come back on
// PUT, GET and HEAD; a disabled key refuses writes and reads until it is
// enabled again; an unknown key is refused; the admin API refuses
// requests not signed with the root credentials.
func TestSSEKMSKeys(t *testing.T) {
	srv, c := start(t, false)
	ctx := context.Background()
	mkBucket(t, c, "kms")
	if st, _ := kmsAdmin(t, srv.AdminURL, "GET", "/kms/keys", "", "intruder", "not-the-secret"); st != http.StatusForbidden {
		t.Fatalf("unsigned-by-root admin request: %d, want 403", st)
	}
	if resp, err := http.Post(srv.AdminURL+"/kms/disable?id=aws/s3", "", nil); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned admin request: %v %v, want 401", err, resp)
	}
	if st, _ := kmsAdmin(t, srv.AdminURL, "POST", "/kms/keys", `{"id":"bad/name"}`, srv.AccessKey, srv.SecretKey); st != http.StatusBadRequest {
		t.Fatalf("bad key name: %d, want 400", st)
	}
	createKey(t, srv, "app-key")
	if st, _ := kmsAdmin(t, srv.AdminURL, "POST", "/kms/keys", `{"id":"app-key"}`, srv.AccessKey, srv.SecretKey); st != http.StatusConflict {
		t.Fatalf("duplicate key: %d, want 409", st)
	}
	encCtx := base64.StdEncoding.EncodeToString([]byte(`{"dept":"finance"}`))
	data := random(3, 2*chunkSize+5)
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kms"), Key: aws.String("o"), Body: bytes.NewReader(data),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("arn:aws:kms:us-east-1:000000000000:key/app-key"),
		SSEKMSEncryptionContext: aws.String(encCtx), BucketKeyEnabled: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if put.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(put.SSEKMSKeyId) != "app-key" || !aws.ToBool(put.BucketKeyEnabled) {
		t.Fatalf("put answer: %q %q %v", put.ServerSideEncryption, aws.ToString(put.SSEKMSKeyId), aws.ToBool(put.BucketKeyEnabled))
	}
	// As in AWS, an SSE-KMS ETag is not the MD5 of the data (it would
	// reveal it to whoever reads the metadata).
	if sum := md5.Sum(data); strings.Contains(aws.ToString(put.ETag), hex.EncodeToString(sum[:])) || len(aws.ToString(put.ETag)) != 34 {
		t.Fatalf("SSE-KMS ETag %s", aws.ToString(put.ETag))
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("kms"), Key: aws.String("o")})
	if err != nil || aws.ToString(head.SSEKMSKeyId) != "app-key" || head.ServerSideEncryption != types.ServerSideEncryptionAwsKms || !aws.ToBool(head.BucketKeyEnabled) {
		t.Fatalf("head: %v %+v", err, head)
	}
	if _, got := get(t, c, "kms", "o", "bytes=1000-1200000", nil); !bytes.Equal(got, data[1000:1200001]) {
		t.Fatal("range differs")
	}
	// No key named: the default aws/s3 key.
	if put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kms"), Key: aws.String("default"), Body: strings.NewReader("x"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms}); err != nil || aws.ToString(put.SSEKMSKeyId) != "aws/s3" {
		t.Fatalf("default key: %v %v", err, put)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kms"), Key: aws.String("x"), Body: strings.NewReader("x"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("no-such-key")})
	wantCode(t, err, "KMS.NotFoundException", 400)

	if st, body := kmsAdmin(t, srv.AdminURL, "POST", "/kms/disable?id=app-key", "", srv.AccessKey, srv.SecretKey); st != http.StatusOK {
		t.Fatalf("disable: %d %s", st, body)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kms"), Key: aws.String("y"), Body: strings.NewReader("x"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("app-key")})
	wantCode(t, err, "KMS.DisabledException", 400)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("kms"), Key: aws.String("o")})
	wantCode(t, err, "KMS.DisabledException", 400)
	// HEAD needs no key material: it still answers, as in AWS.
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("kms"), Key: aws.String("o")}); err != nil {
		t.Fatalf("head while disabled: %v", err)
	}
	if st, body := kmsAdmin(t, srv.AdminURL, "POST", "/kms/enable?id=app-key", "", srv.AccessKey, srv.SecretKey); st != http.StatusOK {
		t.Fatalf("enable: %d %s", st, body)
	}
	if _, got := get(t, c, "kms", "o", "", nil); !bytes.Equal(got, data) {
		t.Fatal("differs after enable")
	}
	st, body := kmsAdmin(t, srv.AdminURL, "GET", "/kms/keys", "", srv.AccessKey, srv.SecretKey)
	if st != http.StatusOK || !strings.Contains(body, `"app-key"`) || !strings.Contains(body, `"aws/s3"`) {
		t.Fatalf("list: %d %s", st, body)
	}
	// Rotation rewraps noncurrent versions too: "o" and both versions of "v".
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("kms"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 2 {
		put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kms"), Key: aws.String("v"), Body: strings.NewReader(fmt.Sprint("version ", i)),
			ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("app-key"), SSEKMSEncryptionContext: aws.String(encCtx)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(put.VersionId))
	}
	if st, body := kmsAdmin(t, srv.AdminURL, "POST", "/kms/rotate?id=app-key", "", srv.AccessKey, srv.SecretKey); st != http.StatusOK || !strings.Contains(body, `"rewrapped": 3`) {
		t.Fatalf("rotate: %d %s", st, body)
	}
	for i, id := range ids {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("kms"), Key: aws.String("v"), VersionId: aws.String(id)})
		if err != nil {
			t.Fatalf("version %d after rotation: %v", i, err)
		}
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(b) != fmt.Sprint("version ", i) {
			t.Fatalf("version %d: %q", i, b)
		}
	}
	if _, got := get(t, c, "kms", "o", "", nil); !bytes.Equal(got, data) {
		t.Fatal("differs after rotation")
	}
}

// TestSSEC covers customer keys: the key is needed for GET and HEAD (none:
// 400; another: 403), copy with the copy-source key headers, and plain
// HTTP is refused unless allowed.
func TestSSEC(t *testing.T) {
	_, strict := start(t, true)
	ctx := context.Background()
	mkBucket(t, strict, "strict")
	k := newSSEC(1)
	_, err := strict.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("strict"), Key: aws.String("o"), Body: strings.NewReader("x"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(k.key), SSECustomerKeyMD5: aws.String(k.md5)})
	wantCode(t, err, "InvalidRequest", 400)

	_, c := start(t, false)
	mkBucket(t, c, "ssec")
	data := random(5, chunkSize+777)
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("ssec"), Key: aws.String("o"), Body: bytes.NewReader(data),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(k.key), SSECustomerKeyMD5: aws.String(k.md5)})
	if err != nil || aws.ToString(put.SSECustomerKeyMD5) != k.md5 || aws.ToString(put.SSECustomerAlgorithm) != "AES256" {
		t.Fatalf("put: %v %+v", err, put)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ssec"), Key: aws.String("o")})
	wantCode(t, err, "InvalidRequest", 400)
	wrong := newSSEC(2)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ssec"), Key: aws.String("o"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(wrong.key), SSECustomerKeyMD5: aws.String(wrong.md5)})
	wantCode(t, err, "AccessDenied", 403)
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("ssec"), Key: aws.String("o")})
	if err == nil {
		t.Fatal("HEAD without the key succeeded")
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("ssec"), Key: aws.String("o"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(k.key), SSECustomerKeyMD5: aws.String(k.md5)})
	if err != nil || aws.ToString(head.SSECustomerKeyMD5) != k.md5 {
		t.Fatalf("head: %v %+v", err, head)
	}
	out, got := get(t, c, "ssec", "o", "bytes=10-1048600", &k)
	if !bytes.Equal(got, data[10:1048601]) || aws.ToString(out.SSECustomerKeyMD5) != k.md5 {
		t.Fatal("range with key differs")
	}
	// Operations that read no data need no key.
	if _, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("ssec"), Key: aws.String("o")}); err != nil {
		t.Fatalf("GetObjectAcl of an SSE-C object: %v", err)
	}
	if _, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("ssec"), Key: aws.String("o")}); err != nil {
		t.Fatalf("GetObjectTagging of an SSE-C object: %v", err)
	}
	// Copy to SSE-S3 with the source's key.
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("ssec"), Key: aws.String("copy"), CopySource: aws.String("ssec/o"),
		CopySourceSSECustomerAlgorithm: aws.String("AES256"), CopySourceSSECustomerKey: aws.String(k.key), CopySourceSSECustomerKeyMD5: aws.String(k.md5),
		ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil || cp.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("copy: %v", err)
	}
	if _, got := get(t, c, "ssec", "copy", "", nil); !bytes.Equal(got, data) {
		t.Fatal("copy differs")
	}
	// Copy without the source key is refused.
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("ssec"), Key: aws.String("copy2"), CopySource: aws.String("ssec/o")})
	wantCode(t, err, "InvalidRequest", 400)
	// A key given for an object that has none is refused.
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ssec"), Key: aws.String("copy"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(k.key), SSECustomerKeyMD5: aws.String(k.md5)})
	wantCode(t, err, "InvalidRequest", 400)
}

// TestMultipartAndCopyCombinations: multipart uploads under each mode
// (every part encrypted, ranges across parts), UploadPartCopy from an
// SSE-C source into an SSE-KMS upload, and CopyObject between every pair
// of modes.
func TestMultipartAndCopyCombinations(t *testing.T) {
	srv, c := start(t, false)
	ctx := context.Background()
	mkBucket(t, c, "mpb")
	createKey(t, srv, "k1")
	createKey(t, srv, "k2")
	k := newSSEC(4)
	type mode struct {
		name string
		put  func(*s3.PutObjectInput)
		mpu  func(*s3.CreateMultipartUploadInput)
		part func(*s3.UploadPartInput)
		read *ssec
		want types.ServerSideEncryption
	}
	modes := []mode{
		{name: "plain", put: func(*s3.PutObjectInput) {}, mpu: func(*s3.CreateMultipartUploadInput) {}, part: func(*s3.UploadPartInput) {}},
		{name: "s3", put: func(in *s3.PutObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAes256 },
			mpu:  func(in *s3.CreateMultipartUploadInput) { in.ServerSideEncryption = types.ServerSideEncryptionAes256 },
			part: func(*s3.UploadPartInput) {}, want: types.ServerSideEncryptionAes256},
		{name: "k1", put: func(in *s3.PutObjectInput) {
			in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String("k1")
		},
			mpu: func(in *s3.CreateMultipartUploadInput) {
				in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String("k1")
			},
			part: func(*s3.UploadPartInput) {}, want: types.ServerSideEncryptionAwsKms},
		{name: "k2", put: func(in *s3.PutObjectInput) {
			in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String("k2")
		},
			mpu: func(in *s3.CreateMultipartUploadInput) {
				in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String("k2")
			},
			part: func(*s3.UploadPartInput) {}, want: types.ServerSideEncryptionAwsKms},
		{name: "ssec", put: func(in *s3.PutObjectInput) {
			in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(k.key), aws.String(k.md5)
		},
			mpu: func(in *s3.CreateMultipartUploadInput) {
				in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(k.key), aws.String(k.md5)
			},
			part: func(in *s3.UploadPartInput) {
				in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(k.key), aws.String(k.md5)
			},
			read: &k},
	}
	parts := [][]byte{random(11, 300<<10), random(12, chunkSize+3), random(13, 1000)}
	whole := bytes.Join(parts, nil)
	for _, m := range modes {
		key := "mp-" + m.name
		cin := &s3.CreateMultipartUploadInput{Bucket: aws.String("mpb"), Key: aws.String(key)}
		m.mpu(cin)
		up, err := c.CreateMultipartUpload(ctx, cin)
		if err != nil || up.ServerSideEncryption != m.want {
			t.Fatalf("%s: create: %v %q", m.name, err, up.ServerSideEncryption)
		}
		var done []types.CompletedPart
		for i, p := range parts {
			pin := &s3.UploadPartInput{Bucket: aws.String("mpb"), Key: aws.String(key), UploadId: up.UploadId,
				PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)}
			m.part(pin)
			res, err := c.UploadPart(ctx, pin)
			if err != nil || res.ServerSideEncryption != m.want {
				t.Fatalf("%s: part %d: %v", m.name, i+1, err)
			}
			done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: res.ETag})
		}
		comp, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpb"), Key: aws.String(key),
			UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
		if err != nil || comp.ServerSideEncryption != m.want {
			t.Fatalf("%s: complete: %v", m.name, err)
		}
		out, got := get(t, c, "mpb", key, "", m.read)
		if !bytes.Equal(got, whole) || out.ServerSideEncryption != m.want {
			t.Fatalf("%s: multipart object differs", m.name)
		}
		lo, hi := len(parts[0])-100, len(parts[0])+chunkSize+50
		if _, got := get(t, c, "mpb", key, fmt.Sprintf("bytes=%d-%d", lo, hi), m.read); !bytes.Equal(got, whole[lo:hi+1]) {
			t.Fatalf("%s: range across parts differs", m.name)
		}
	}
	// UploadPartCopy into an SSE-C upload, with the upload's key.
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpb"), Key: aws.String("upc-c"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(k.key), SSECustomerKeyMD5: aws.String(k.md5)})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("mpb"), Key: aws.String("upc-c"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), CopySource: aws.String("mpb/mp-k1"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(k.key), SSECustomerKeyMD5: aws.String(k.md5)})
	if err != nil {
		t.Fatalf("upload part copy into SSE-C: %v", err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpb"), Key: aws.String("upc-c"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: pc.CopyPartResult.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	if _, got := get(t, c, "mpb", "upc-c", "", &k); !bytes.Equal(got, whole) {
		t.Fatal("SSE-C upload part copy differs")
	}
	// GET by part number of an encrypted multipart object.
	if _, got := get(t, c, "mpb", "mp-k1", "", nil); !bytes.Equal(got, whole) {
		t.Fatal("mp-k1 differs")
	}
	pn, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("mpb"), Key: aws.String("mp-k1"), PartNumber: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	p2data, _ := io.ReadAll(pn.Body)
	pn.Body.Close()
	if !bytes.Equal(p2data, parts[1]) {
		t.Fatal("part 2 of mp-k1 differs")
	}
	// Encryption headers repeated on the completion (minio-go does) must
	// match the upload's.
	up, err = c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpb"), Key: aws.String("repeat"),
		ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil {
		t.Fatal(err)
	}
	rp, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpb"), Key: aws.String("repeat"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("repeat")})
	if err != nil {
		t.Fatal(err)
	}
	complete := func(mode string) error {
		_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpb"), Key: aws.String("repeat"), UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: rp.ETag}}}},
			func(o *s3.Options) {
				o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("x-amz-server-side-encryption", mode))
			})
		return err
	}
	wantCode(t, complete("aws:kms"), "InvalidArgument", 400)
	if err := complete("AES256"); err != nil {
		t.Fatalf("completion restating the upload's encryption: %v", err)
	}
	// A part missing its SSE-C key is refused.
	up, err = c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpb"), Key: aws.String("nokey"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(k.key), SSECustomerKeyMD5: aws.String(k.md5)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpb"), Key: aws.String("nokey"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("x")})
	wantCode(t, err, "InvalidRequest", 400)

	// CopyObject between every pair of modes.
	data := random(21, chunkSize+4321)
	for _, src := range modes {
		in := &s3.PutObjectInput{Bucket: aws.String("mpb"), Key: aws.String("src-" + src.name), Body: bytes.NewReader(data)}
		src.put(in)
		if _, err := c.PutObject(ctx, in); err != nil {
			t.Fatalf("put src %s: %v", src.name, err)
		}
	}
	for _, src := range modes {
		for _, dst := range modes {
			key := "copy-" + src.name + "-" + dst.name
			cin := &s3.CopyObjectInput{Bucket: aws.String("mpb"), Key: aws.String(key), CopySource: aws.String("mpb/src-" + src.name)}
			if src.read != nil {
				cin.CopySourceSSECustomerAlgorithm, cin.CopySourceSSECustomerKey, cin.CopySourceSSECustomerKeyMD5 = aws.String("AES256"), aws.String(k.key), aws.String(k.md5)
			}
			var p s3.PutObjectInput
			dst.put(&p)
			cin.ServerSideEncryption, cin.SSEKMSKeyId = p.ServerSideEncryption, p.SSEKMSKeyId
			cin.SSECustomerAlgorithm, cin.SSECustomerKey, cin.SSECustomerKeyMD5 = p.SSECustomerAlgorithm, p.SSECustomerKey, p.SSECustomerKeyMD5
			res, err := c.CopyObject(ctx, cin)
			if err != nil || res.ServerSideEncryption != dst.want {
				t.Fatalf("copy %s -> %s: %v (%q)", src.name, dst.name, err, res.ServerSideEncryption)
			}
			if _, got := get(t, c, "mpb", key, "", dst.read); !bytes.Equal(got, data) {
				t.Fatalf("copy %s -> %s differs", src.name, dst.name)
			}
		}
	}
	// UploadPartCopy: an SSE-C source range into an SSE-KMS upload, then a plain source.
	up, err = c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpb"), Key: aws.String("upc"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("k2")})
	if err != nil {
		t.Fatal(err)
	}
	p1, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("mpb"), Key: aws.String("upc"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), CopySource: aws.String("mpb/src-ssec"), CopySourceRange: aws.String("bytes=0-99999"),
		CopySourceSSECustomerAlgorithm: aws.String("AES256"), CopySourceSSECustomerKey: aws.String(k.key), CopySourceSSECustomerKeyMD5: aws.String(k.md5)})
	if err != nil || p1.ServerSideEncryption != types.ServerSideEncryptionAwsKms {
		t.Fatalf("upload part copy 1: %v", err)
	}
	p2, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("mpb"), Key: aws.String("upc"), UploadId: up.UploadId,
		PartNumber: aws.Int32(2), CopySource: aws.String("mpb/src-plain")})
	if err != nil {
		t.Fatalf("upload part copy 2: %v", err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpb"), Key: aws.String("upc"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
			{PartNumber: aws.Int32(1), ETag: p1.CopyPartResult.ETag}, {PartNumber: aws.Int32(2), ETag: p2.CopyPartResult.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	if _, got := get(t, c, "mpb", "upc", "", nil); !bytes.Equal(got, append(append([]byte{}, data[:100000]...), data...)) {
		t.Fatal("upload part copy object differs")
	}
}

// TestBucketDefaultAndSelect: PutBucketEncryption applies to writes
// without SSE headers; Get and Delete; S3 Select reads an encrypted CSV.
func TestBucketDefaultAndSelect(t *testing.T) {
	srv, c := start(t, false)
	ctx := context.Background()
	mkBucket(t, c, "def")
	createKey(t, srv, "bk")
	_, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("def")})
	wantCode(t, err, "ServerSideEncryptionConfigurationNotFoundError", 404)
	_, err = c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String("def"),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String("bk")},
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("def")})
	if err != nil || got.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAwsKms {
		t.Fatalf("get: %v", err)
	}
	csv := "name,amount\nalice,10\nbob,20\ncarol,30\n"
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("def"), Key: aws.String("t.csv"), Body: strings.NewReader(csv)})
	if err != nil || put.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(put.SSEKMSKeyId) != "bk" {
		t.Fatalf("default not applied: %v %+v", err, put)
	}
	resp, err := c.SelectObjectContent(ctx, &s3.SelectObjectContentInput{Bucket: aws.String("def"), Key: aws.String("t.csv"),
		Expression: aws.String("SELECT s.name FROM S3Object s WHERE CAST(s.amount AS INT) > 15"), ExpressionType: types.ExpressionTypeSql,
		InputSerialization:  &types.InputSerialization{CSV: &types.CSVInput{FileHeaderInfo: types.FileHeaderInfoUse}},
		OutputSerialization: &types.OutputSerialization{CSV: &types.CSVOutput{}}})
	if err != nil {
		t.Fatal(err)
	}
	var rec strings.Builder
	stream := resp.GetStream()
	for ev := range stream.Events() {
		if r, ok := ev.(*types.SelectObjectContentEventStreamMemberRecords); ok {
			rec.Write(r.Value.Payload)
		}
	}
	stream.Close()
	if rec.String() != "bob\ncarol\n" {
		t.Fatalf("select on encrypted object: %q", rec.String())
	}
	if _, err := c.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: aws.String("def")}); err != nil {
		t.Fatal(err)
	}
	put, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("def"), Key: aws.String("plain"), Body: strings.NewReader("x")})
	if err != nil || put.ServerSideEncryption != "" {
		t.Fatalf("after delete: %v %q", err, put.ServerSideEncryption)
	}
}

// TestNoMasterKey: without a master key every encryption request is
// refused with a message naming the settings; plain writes work.
func TestNoMasterKey(t *testing.T) {
	srv := testutil.Start(t, testutil.Options{Configure: func(c *config.Config) {}})
	c := testutil.S3Client(srv.Endpoint)
	ctx := context.Background()
	mkBucket(t, c, "nokey")
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("nokey"), Key: aws.String("o"), Body: strings.NewReader("x"),
		ServerSideEncryption: types.ServerSideEncryptionAes256})
	wantCode(t, err, "NotImplemented", 501)
	if !strings.Contains(err.Error(), "ANODE_KMS_MASTER_KEY") {
		t.Fatalf("error does not name the setting: %v", err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("nokey"), Key: aws.String("o"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("nokey"), Key: aws.String("missing")}); err == nil {
		t.Fatal("head of a missing key succeeded")
	}
}

// TestMinioClient: minio-go's SSE-S3 and SSE-C.
func TestMinioClient(t *testing.T) {
	srv, _ := start(t, false)
	mc, err := minio.New(strings.TrimPrefix(srv.Endpoint, "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := mc.MakeBucket(ctx, "minio", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	data := random(31, chunkSize+99)
	ssec, err := encrypt.NewSSEC(bytes.Repeat([]byte{8}, 32))
	if err != nil {
		t.Fatal(err)
	}
	for name, sse := range map[string]encrypt.ServerSide{"s3": encrypt.NewSSE(), "c": ssec} {
		if _, err := mc.PutObject(ctx, "minio", name, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{ServerSideEncryption: sse}); err != nil {
			t.Fatalf("%s: put: %v", name, err)
		}
		opts := minio.GetObjectOptions{}
		if name == "c" {
			opts.ServerSideEncryption = sse
		}
		obj, err := mc.GetObject(ctx, "minio", name, opts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(obj)
		obj.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s: get: %v", name, err)
		}
		st, err := mc.StatObject(ctx, "minio", name, minio.StatObjectOptions{ServerSideEncryption: opts.ServerSideEncryption})
		if err != nil {
			t.Fatalf("%s: stat: %v", name, err)
		}
		if name == "s3" && st.Metadata.Get("X-Amz-Server-Side-Encryption") != "AES256" {
			t.Fatalf("stat: no SSE header: %v", st.Metadata)
		}
	}
	// SSE-C GET without the key fails.
	if _, err := mc.StatObject(ctx, "minio", "c", minio.StatObjectOptions{}); err == nil {
		t.Fatal("stat of an SSE-C object without its key succeeded")
	}
	// SSE-KMS, multipart (minio-go's 5 MiB parts), a range, and copies
	// between modes.
	if st, body := kmsAdmin(t, srv.AdminURL, "POST", "/kms/keys", `{"id":"minio-key"}`, srv.AccessKey, srv.SecretKey); st != http.StatusCreated {
		t.Fatalf("create key: %d %s", st, body)
	}
	kmsSSE, err := encrypt.NewSSEKMS("minio-key", map[string]string{"app": "minio"})
	if err != nil {
		t.Fatal(err)
	}
	big := random(32, 11<<20+5)
	if _, err := mc.PutObject(ctx, "minio", "kms-mp", bytes.NewReader(big), int64(len(big)),
		minio.PutObjectOptions{ServerSideEncryption: kmsSSE, PartSize: 5 << 20}); err != nil {
		t.Fatalf("multipart SSE-KMS put: %v", err)
	}
	st, err := mc.StatObject(ctx, "minio", "kms-mp", minio.StatObjectOptions{})
	if err != nil || st.Metadata.Get("X-Amz-Server-Side-Encryption") != "aws:kms" || st.Metadata.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id") != "minio-key" ||
		!strings.HasSuffix(st.ETag, "-3") {
		t.Fatalf("stat multipart SSE-KMS: %v %v %s", err, st.Metadata, st.ETag)
	}
	ropts := minio.GetObjectOptions{}
	ropts.SetRange(5<<20-10, 10<<20+10)
	obj, err := mc.GetObject(ctx, "minio", "kms-mp", ropts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	obj.Close()
	if err != nil || !bytes.Equal(got, big[5<<20-10:10<<20+11]) {
		t.Fatalf("range of multipart SSE-KMS: %v", err)
	}
	for _, cp := range []struct {
		name     string
		src, dst encrypt.ServerSide
		srcKey   string
	}{{"kms-to-c", nil, ssec, "kms-mp"}, {"c-to-s3", ssec, encrypt.NewSSE(), "c"}, {"s3-to-kms", nil, kmsSSE, "s3"}} {
		if _, err := mc.CopyObject(ctx, minio.CopyDestOptions{Bucket: "minio", Object: cp.name, Encryption: cp.dst},
			minio.CopySrcOptions{Bucket: "minio", Object: cp.srcKey, Encryption: cp.src}); err != nil {
			t.Fatalf("copy %s: %v", cp.name, err)
		}
		opts := minio.GetObjectOptions{}
		if cp.dst == ssec {
			opts.ServerSideEncryption = ssec
		}
		obj, err := mc.GetObject(ctx, "minio", cp.name, opts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(obj)
		obj.Close()
		want := data
		if cp.srcKey == "kms-mp" {
			want = big
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("copy %s differs: %v", cp.name, err)
		}
	}
}
