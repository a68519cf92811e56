package objectmodel

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// checksumOf computes an S3 checksum here, independently of the server.
func checksumOf(algo types.ChecksumAlgorithm, data []byte) string {
	var h hash.Hash
	switch algo {
	case types.ChecksumAlgorithmCrc32:
		h = crc32.NewIEEE()
	case types.ChecksumAlgorithmCrc32c:
		h = crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case types.ChecksumAlgorithmCrc64nvme:
		b := binary.BigEndian.AppendUint64(nil, crc64.Checksum(data, crc64.MakeTable(0x9A6C9329AC4BC9B5)))
		return base64.StdEncoding.EncodeToString(b)
	case types.ChecksumAlgorithmSha1:
		h = sha1.New()
	case types.ChecksumAlgorithmSha256:
		h = sha256.New()
	}
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func checksumField(algo types.ChecksumAlgorithm, crc32v, crc32c, crc64, sha1v, sha256v *string) string {
	switch algo {
	case types.ChecksumAlgorithmCrc32:
		return aws.ToString(crc32v)
	case types.ChecksumAlgorithmCrc32c:
		return aws.ToString(crc32c)
	case types.ChecksumAlgorithmCrc64nvme:
		return aws.ToString(crc64)
	case types.ChecksumAlgorithmSha1:
		return aws.ToString(sha1v)
	}
	return aws.ToString(sha256v)
}

var allAlgorithms = []types.ChecksumAlgorithm{
	types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc64nvme,
	types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256,
}

// TestPutObjectChecksums: every algorithm is verified on write, stored, and
// returned by GET and HEAD in checksum mode and by GetObjectAttributes.
func TestPutObjectChecksums(t *testing.T) {
	e := newEnv(t)
	b := e.bucket()
	data := randBytes(7, 300000)
	for _, algo := range allAlgorithms {
		key := "ck-" + string(algo)
		want := checksumOf(algo, data)
		if _, err := e.c.PutObject(e.ctx, &s3.PutObjectInput{
			Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(data), ChecksumAlgorithm: algo,
		}); err != nil {
			t.Fatalf("%s: %v", algo, err)
		}
		g, err := e.c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, g.Body)
		g.Body.Close()
		if got := checksumField(algo, g.ChecksumCRC32, g.ChecksumCRC32C, g.ChecksumCRC64NVME, g.ChecksumSHA1, g.ChecksumSHA256); got != want {
			t.Fatalf("%s: GET checksum %q, want %q", algo, got, want)
		}
		h, err := e.c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		if got := checksumField(algo, h.ChecksumCRC32, h.ChecksumCRC32C, h.ChecksumCRC64NVME, h.ChecksumSHA1, h.ChecksumSHA256); got != want {
			t.Fatalf("%s: HEAD checksum %q, want %q", algo, got, want)
		}
		at, err := e.c.GetObjectAttributes(e.ctx, &s3.GetObjectAttributesInput{
			Bucket: aws.String(b), Key: aws.String(key),
			ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesChecksum, types.ObjectAttributesObjectSize, types.ObjectAttributesEtag, types.ObjectAttributesStorageClass},
		})
		if err != nil {
			t.Fatal(err)
		}
		c := at.Checksum
		if c == nil || checksumField(algo, c.ChecksumCRC32, c.ChecksumCRC32C, c.ChecksumCRC64NVME, c.ChecksumSHA1, c.ChecksumSHA256) != want ||
			aws.ToInt64(at.ObjectSize) != int64(len(data)) || aws.ToString(at.ETag) != md5hex(data) || at.StorageClass != types.StorageClassStandard {
			t.Fatalf("%s: attributes %+v", algo, at)
		}
	}
	// Without checksum mode no checksum is returned.
	h, err := e.c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("ck-SHA256")})
	if err != nil {
		t.Fatal(err)
	}
	if h.ChecksumSHA256 != nil {
		t.Fatal("checksum returned without x-amz-checksum-mode")
	}
}

// TestChecksumMismatch: a wrong checksum in a header fails the write with
// BadDigest and stores nothing, for objects and parts.
func TestChecksumMismatch(t *testing.T) {
	e := newEnv(t)
	b := e.bucket()
	data := []byte("the data")
	wrong := checksumOf(types.ChecksumAlgorithmSha256, []byte("other data"))
	_, err := e.c.PutObject(e.ctx, &s3.PutObjectInput{
		Bucket: aws.String(b), Key: aws.String("k"), Body: bytes.NewReader(data), ChecksumSHA256: aws.String(wrong),
	})
	wantCode(t, err, "BadDigest")
	_, err = e.c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	wantStatus(t, err, 404)
	_, err = e.c.PutObject(e.ctx, &s3.PutObjectInput{
		Bucket: aws.String(b), Key: aws.String("k"), Body: bytes.NewReader(data), ChecksumCRC32: aws.String("notbase64!"),
	})
	wantCode(t, err, "InvalidRequest")

	u := e.createUpload(b, "mp", func(in *s3.CreateMultipartUploadInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256 })
	_, err = e.c.UploadPart(e.ctx, &s3.UploadPartInput{
		Bucket: aws.String(b), Key: aws.String("mp"), UploadId: aws.String(u.id), PartNumber: aws.Int32(1),
		Body: bytes.NewReader(data), ChecksumSHA256: aws.String(wrong),
	})
	wantCode(t, err, "BadDigest")
	lp, err := e.c.ListParts(e.ctx, &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: aws.String(u.id)})
	if err != nil {
		t.Fatal(err)
	}
	if len(lp.Parts) != 0 {
		t.Fatal("a part with a bad checksum was stored")
	}
	// A part with another algorithm than the upload's is refused.
	_, err = e.c.UploadPart(e.ctx, &s3.UploadPartInput{
		Bucket: aws.String(b), Key: aws.String("mp"), UploadId: aws.String(u.id), PartNumber: aws.Int32(1),
		Body: bytes.NewReader(data), ChecksumCRC32: aws.String(checksumOf(types.ChecksumAlgorithmCrc32, data)),
	})
	wantCode(t, err, "InvalidRequest")
}

// TestMultipartChecksums: composite and full-object checksums of
// multipart objects, as AWS defines them, in the completion answer, on GET
// and HEAD, in ListParts and in GetObjectAttributes.
func TestMultipartChecksums(t *testing.T) {
	e := newEnv(t)
	b := e.bucket()
	parts := [][]byte{randBytes(11, 5*mib), randBytes(12, 5*mib+7), randBytes(13, 4321)}
	whole := bytes.Join(parts, nil)
	cases := []struct {
		algo types.ChecksumAlgorithm
		typ  types.ChecksumType
	}{
		{types.ChecksumAlgorithmSha256, types.ChecksumTypeComposite},
		{types.ChecksumAlgorithmSha1, ""},
		{types.ChecksumAlgorithmCrc32c, types.ChecksumTypeComposite},
		{types.ChecksumAlgorithmCrc32, types.ChecksumTypeFullObject},
		{types.ChecksumAlgorithmCrc32c, types.ChecksumTypeFullObject},
		{types.ChecksumAlgorithmCrc64nvme, types.ChecksumTypeFullObject},
	}
	for _, tc := range cases {
		key := fmt.Sprintf("mp-%s-%s", tc.algo, tc.typ)
		u := e.createUpload(b, key, func(in *s3.CreateMultipartUploadInput) {
			in.ChecksumAlgorithm, in.ChecksumType = tc.algo, tc.typ
		})
		var completed []types.CompletedPart
		var cat []byte
		for i, p := range parts {
			out, err := e.c.UploadPart(e.ctx, &s3.UploadPartInput{
				Bucket: aws.String(b), Key: aws.String(key), UploadId: aws.String(u.id), PartNumber: aws.Int32(int32(i + 1)),
				Body: bytes.NewReader(p), ChecksumAlgorithm: tc.algo,
			})
			if err != nil {
				t.Fatalf("%s: part %d: %v", key, i+1, err)
			}
			sum := checksumOf(tc.algo, p)
			if got := checksumField(tc.algo, out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256); got != sum {
				t.Fatalf("%s: part %d checksum %q, want %q", key, i+1, got, sum)
			}
			raw, _ := base64.StdEncoding.DecodeString(sum)
			cat = append(cat, raw...)
			cp := types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag}
			switch tc.algo {
			case types.ChecksumAlgorithmCrc32:
				cp.ChecksumCRC32 = aws.String(sum)
			case types.ChecksumAlgorithmCrc32c:
				cp.ChecksumCRC32C = aws.String(sum)
			case types.ChecksumAlgorithmCrc64nvme:
				cp.ChecksumCRC64NVME = aws.String(sum)
			case types.ChecksumAlgorithmSha1:
				cp.ChecksumSHA1 = aws.String(sum)
			case types.ChecksumAlgorithmSha256:
				cp.ChecksumSHA256 = aws.String(sum)
			}
			completed = append(completed, cp)
		}
		want := checksumOf(tc.algo, whole)
		if tc.typ != types.ChecksumTypeFullObject {
			want = fmt.Sprintf("%s-%d", checksumOf(tc.algo, cat), len(parts))
		}
		in := &s3.CompleteMultipartUploadInput{
			Bucket: aws.String(b), Key: aws.String(key), UploadId: aws.String(u.id),
			MultipartUpload: &types.CompletedMultipartUpload{Parts: completed},
		}
		if tc.typ == types.ChecksumTypeFullObject {
			in.ChecksumType = tc.typ
		}
		out, err := e.c.CompleteMultipartUpload(e.ctx, in)
		if err != nil {
			t.Fatalf("%s: complete: %v", key, err)
		}
		if got := checksumField(tc.algo, out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256); got != want {
			t.Fatalf("%s: completion checksum %q, want %q", key, got, want)
		}
		// The SDK validates a full-object checksum against the body it reads.
		g, err := e.c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(g.Body)
		g.Body.Close()
		if err != nil || !bytes.Equal(body, whole) {
			t.Fatalf("%s: body %d bytes, err %v", key, len(body), err)
		}
		if got := checksumField(tc.algo, g.ChecksumCRC32, g.ChecksumCRC32C, g.ChecksumCRC64NVME, g.ChecksumSHA1, g.ChecksumSHA256); got != want {
			t.Fatalf("%s: GET checksum %q, want %q", key, got, want)
		}
		wantType := tc.typ
		if wantType == "" {
			wantType = types.ChecksumTypeComposite
		}
		if g.ChecksumType != wantType {
			t.Fatalf("%s: checksum type %q, want %q", key, g.ChecksumType, wantType)
		}
		at, err := e.c.GetObjectAttributes(e.ctx, &s3.GetObjectAttributesInput{
			Bucket: aws.String(b), Key: aws.String(key),
			ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts},
		})
		if err != nil {
			t.Fatal(err)
		}
		if at.ObjectParts == nil || aws.ToInt32(at.ObjectParts.TotalPartsCount) != 3 || len(at.ObjectParts.Parts) != 3 ||
			aws.ToInt64(at.ObjectParts.Parts[1].Size) != int64(len(parts[1])) {
			t.Fatalf("%s: object parts %+v", key, at.ObjectParts)
		}
		p2 := at.ObjectParts.Parts[1]
		if got := checksumField(tc.algo, p2.ChecksumCRC32, p2.ChecksumCRC32C, p2.ChecksumCRC64NVME, p2.ChecksumSHA1, p2.ChecksumSHA256); got != checksumOf(tc.algo, parts[1]) {
			t.Fatalf("%s: part 2 checksum in attributes %q", key, got)
		}
	}
	// A wrong full-object checksum on completion is refused.
	u := e.createUpload(b, "bad", func(in *s3.CreateMultipartUploadInput) {
		in.ChecksumAlgorithm, in.ChecksumType = types.ChecksumAlgorithmCrc32, types.ChecksumTypeFullObject
	})
	out, err := e.c.UploadPart(e.ctx, &s3.UploadPartInput{
		Bucket: aws.String(b), Key: aws.String("bad"), UploadId: aws.String(u.id), PartNumber: aws.Int32(1),
		Body: bytes.NewReader(parts[2]), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.CompleteMultipartUpload(e.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(b), Key: aws.String("bad"), UploadId: aws.String(u.id), ChecksumType: types.ChecksumTypeFullObject,
		ChecksumCRC32:   aws.String(checksumOf(types.ChecksumAlgorithmCrc32, []byte("nope"))),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: out.ETag}}},
	})
	wantCode(t, err, "BadDigest")
	// SHA256 cannot be FULL_OBJECT.
	_, err = e.c.CreateMultipartUpload(e.ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String(b), Key: aws.String("x"), ChecksumAlgorithm: types.ChecksumAlgorithmSha256, ChecksumType: types.ChecksumTypeFullObject,
	})
	wantCode(t, err, "InvalidRequest")
}
