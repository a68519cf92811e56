package objectmodel

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func tagMap(ts []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range ts {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func TestObjectTagging(t *testing.T) {
	e := newEnv(t)
	b := e.bucket()
	e.setVersioning(b, types.BucketVersioningStatusEnabled)
	if _, err := e.c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: nil, Tagging: aws.String("x=1")}); err != nil {
		t.Fatal(err)
	}
	h1, _ := e.c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	v1 := aws.ToString(h1.VersionId)
	v2 := e.put(b, "k", []byte("second"))

	get := func(version string) map[string]string {
		t.Helper()
		in := &s3.GetObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("k")}
		if version != "" {
			in.VersionId = aws.String(version)
		}
		out, err := e.c.GetObjectTagging(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return tagMap(out.TagSet)
	}
	if m := get(v1); m["x"] != "1" || len(m) != 1 {
		t.Fatalf("v1 tags %v", m)
	}
	if m := get(""); len(m) != 0 {
		t.Fatalf("current version tags %v, want none", m)
	}
	// Tag the old version in place: its ID and data stay.
	out, err := e.c.PutObjectTagging(e.ctx, &s3.PutObjectTaggingInput{
		Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(v1),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}, {Key: aws.String("c"), Value: aws.String("")}}},
	})
	if err != nil || aws.ToString(out.VersionId) != v1 {
		t.Fatalf("put tagging: %v", err)
	}
	if m := get(v1); len(m) != 2 || m["a"] != "b" {
		t.Fatalf("v1 tags %v", m)
	}
	if string(e.get(b, "k", v1)) != "" || string(e.get(b, "k", "")) != "second" {
		t.Fatal("tagging changed data")
	}
	lv, _ := e.c.ListObjectVersions(e.ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b)})
	if len(lv.Versions) != 2 || aws.ToString(lv.Versions[0].VersionId) != v2 {
		t.Fatal("tagging created a version")
	}
	if _, err := e.c.DeleteObjectTagging(e.ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(v1)}); err != nil {
		t.Fatal(err)
	}
	if m := get(v1); len(m) != 0 {
		t.Fatalf("tags after delete %v", m)
	}
	// Errors: too many tags, duplicate keys, missing objects and versions.
	var eleven []types.Tag
	for i := 0; i < 11; i++ {
		eleven = append(eleven, types.Tag{Key: aws.String(string(rune('a' + i))), Value: aws.String("v")})
	}
	_, err = e.c.PutObjectTagging(e.ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("k"), Tagging: &types.Tagging{TagSet: eleven}})
	wantCode(t, err, "InvalidTag")
	dup := []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("a"), Value: aws.String("2")}}
	_, err = e.c.PutObjectTagging(e.ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("k"), Tagging: &types.Tagging{TagSet: dup}})
	wantCode(t, err, "InvalidTag")
	_, err = e.c.GetObjectTagging(e.ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("missing")})
	wantCode(t, err, "NoSuchKey")
	_, err = e.c.PutObjectTagging(e.ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String("00000000000fffff"), Tagging: &types.Tagging{TagSet: []types.Tag{}}})
	wantCode(t, err, "NoSuchVersion")
	// x-amz-tagging on CreateMultipartUpload.
	u := e.createUpload(b, "mp", func(in *s3.CreateMultipartUploadInput) { in.Tagging = aws.String("team=storage") })
	u.mustPart(1, []byte("x"))
	if _, err := u.complete(u.parts); err != nil {
		t.Fatal(err)
	}
	tg, err := e.c.GetObjectTagging(e.ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("mp")})
	if err != nil || tagMap(tg.TagSet)["team"] != "storage" {
		t.Fatalf("multipart object tags %v, %v", tg, err)
	}
}

func TestBucketTagging(t *testing.T) {
	e := newEnv(t)
	b := e.bucket()
	_, err := e.c.GetBucketTagging(e.ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(b)})
	wantCode(t, err, "NoSuchTagSet")
	_, err = e.c.PutBucketTagging(e.ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(b), Tagging: &types.Tagging{
		TagSet: []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.c.GetBucketTagging(e.ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(b)})
	if err != nil || tagMap(out.TagSet)["env"] != "test" {
		t.Fatalf("bucket tags %v, %v", out, err)
	}
	// Bucket settings are independent: versioning keeps the tags.
	e.setVersioning(b, types.BucketVersioningStatusEnabled)
	if out, err := e.c.GetBucketTagging(e.ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(b)}); err != nil || len(out.TagSet) != 1 {
		t.Fatalf("tags after versioning: %v", err)
	}
	if _, err := e.c.DeleteBucketTagging(e.ctx, &s3.DeleteBucketTaggingInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.GetBucketTagging(e.ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(b)})
	wantCode(t, err, "NoSuchTagSet")
	_, err = e.c.GetBucketTagging(e.ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("no-such-bucket-here")})
	wantCode(t, err, "NoSuchBucket")
}
