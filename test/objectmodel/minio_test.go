package objectmodel

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/tags"

	"github.com/anode/anode/internal/testutil"
)

// TestMinioGo drives multipart uploads, versioning and tagging through
// minio-go, whose request shapes differ from the AWS SDK's.
func TestMinioGo(t *testing.T) {
	e := newEnv(t)
	u, _ := url.Parse(e.endpoint)
	c, err := minio.New(u.Host, &minio.Options{
		Creds: credentials.NewStaticV4(testutil.AccessKey, testutil.SecretKey, ""), Region: "us-east-1",
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b := e.bucket()
	if err := c.EnableVersioning(ctx, b); err != nil {
		t.Fatal(err)
	}
	data := randBytes(200, 12*mib+17)
	info, err := c.PutObject(ctx, b, "big", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
		PartSize: 5 * mib, UserTags: map[string]string{"k": "v"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.VersionID == "" {
		t.Fatal("no version ID")
	}
	st, err := c.StatObject(ctx, b, "big", minio.StatObjectOptions{})
	if err != nil || st.Size != int64(len(data)) || len(st.ETag) < 3 || st.ETag[len(st.ETag)-2:] != "-3" {
		t.Fatalf("stat: %+v, %v", st, err)
	}
	obj, err := c.GetObject(ctx, b, "big", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
	tg, err := c.GetObjectTagging(ctx, b, "big", minio.GetObjectTaggingOptions{})
	if err != nil || tg.ToMap()["k"] != "v" {
		t.Fatalf("tags %v, %v", tg, err)
	}
	nt, _ := tags.NewTags(map[string]string{"x": "y"}, true)
	if err := c.PutObjectTagging(ctx, b, "big", nt, minio.PutObjectTaggingOptions{VersionID: info.VersionID}); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveObject(ctx, b, "big", minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	var versions, markers int
	for o := range c.ListObjects(ctx, b, minio.ListObjectsOptions{WithVersions: true, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		if o.IsDeleteMarker {
			markers++
		} else {
			versions++
		}
	}
	if versions != 1 || markers != 1 {
		t.Fatalf("%d versions and %d delete markers, want 1 and 1", versions, markers)
	}
	// An upload abandoned by minio-go is listed and can be aborted.
	uploads := 0
	for range c.ListIncompleteUploads(ctx, b, "", true) {
		uploads++
	}
	if uploads != 0 {
		t.Fatalf("%d incomplete uploads, want 0", uploads)
	}
}
