package objectmodel

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func (e *env) setVersioning(bucket string, status types.BucketVersioningStatus) {
	e.t.Helper()
	_, err := e.c.PutBucketVersioning(e.ctx, &s3.PutBucketVersioningInput{
		Bucket: aws.String(bucket), VersioningConfiguration: &types.VersioningConfiguration{Status: status},
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func TestVersioning(t *testing.T) {
	e := newEnv(t)
	b := e.bucket()
	gv, err := e.c.GetBucketVersioning(e.ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(b)})
	if err != nil || gv.Status != "" {
		t.Fatalf("new bucket versioning %q, %v", gv.Status, err)
	}
	null := e.put(b, "k", []byte("before versioning"))
	if null != "" {
		t.Fatalf("unversioned put returned version %q", null)
	}
	e.setVersioning(b, types.BucketVersioningStatusEnabled)
	gv, _ = e.c.GetBucketVersioning(e.ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(b)})
	if gv.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning %q", gv.Status)
	}
	v1 := e.put(b, "k", []byte("one"))
	v2 := e.put(b, "k", []byte("two"))
	if v1 == "" || v2 == "" || v1 == v2 {
		t.Fatalf("version IDs %q %q", v1, v2)
	}
	if string(e.get(b, "k", "")) != "two" || string(e.get(b, "k", v1)) != "one" || string(e.get(b, "k", "null")) != "before versioning" {
		t.Fatal("reading versions by ID")
	}
	h, err := e.c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(v1)})
	if err != nil || aws.ToString(h.VersionId) != v1 || aws.ToInt64(h.ContentLength) != 3 {
		t.Fatalf("head v1: %v", err)
	}
	// Copy from an old version.
	cp, err := e.c.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("copy"), CopySource: aws.String(b + "/k?versionId=" + v1)})
	if err != nil || aws.ToString(cp.CopySourceVersionId) != v1 || string(e.get(b, "copy", "")) != "one" {
		t.Fatalf("copy from version: %v", err)
	}

	// A delete adds a delete marker.
	del, err := e.c.DeleteObject(e.ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	if err != nil || !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) == "" {
		t.Fatalf("delete: marker %v, %v", aws.ToBool(del.DeleteMarker), err)
	}
	marker := aws.ToString(del.VersionId)
	resp := e.signedRequest(http.MethodGet, "/"+b+"/k", nil, nil)
	readAll(t, resp)
	if resp.StatusCode != 404 || resp.Header.Get("x-amz-delete-marker") != "true" || resp.Header.Get("x-amz-version-id") != marker {
		t.Fatalf("GET on a delete marker: %d, headers %v", resp.StatusCode, resp.Header)
	}
	resp = e.signedRequest(http.MethodGet, "/"+b+"/k?versionId="+marker, nil, nil)
	body := readAll(t, resp)
	if resp.StatusCode != 405 || !contains(body, "MethodNotAllowed") || resp.Header.Get("x-amz-delete-marker") != "true" {
		t.Fatalf("GET of a delete marker by version: %d %s", resp.StatusCode, body)
	}
	if string(e.get(b, "k", v2)) != "two" {
		t.Fatal("old version lost under the delete marker")
	}

	// ListObjectVersions: newest first, the marker latest.
	lv, err := e.c.ListObjectVersions(e.ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	if len(lv.DeleteMarkers) != 1 || !aws.ToBool(lv.DeleteMarkers[0].IsLatest) || aws.ToString(lv.DeleteMarkers[0].VersionId) != marker {
		t.Fatalf("delete markers %+v", lv.DeleteMarkers)
	}
	var ids []string
	for _, v := range lv.Versions {
		ids = append(ids, aws.ToString(v.VersionId))
		if aws.ToBool(v.IsLatest) {
			t.Fatal("a version under a delete marker is latest")
		}
	}
	if len(ids) != 3 || ids[0] != v2 || ids[1] != v1 || ids[2] != "null" {
		t.Fatalf("versions %v, want [%s %s null]", ids, v2, v1)
	}
	// ListObjects hides the deleted key.
	lo, _ := e.c.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	if len(lo.Contents) != 1 || aws.ToString(lo.Contents[0].Key) != "copy" {
		t.Fatalf("ListObjectsV2 after delete: %d keys", len(lo.Contents))
	}

	// Deleting the marker by version brings the key back.
	dm, err := e.c.DeleteObject(e.ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(marker)})
	if err != nil || !aws.ToBool(dm.DeleteMarker) || aws.ToString(dm.VersionId) != marker {
		t.Fatalf("delete marker removal: %v", err)
	}
	if string(e.get(b, "k", "")) != "two" {
		t.Fatal("key not restored by deleting its delete marker")
	}
	// Permanently deleting a version.
	if _, err := e.c.DeleteObject(e.ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(v1)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(v1)})
	wantCode(t, err, "NoSuchVersion")

	// Suspended: writes replace the null version.
	e.setVersioning(b, types.BucketVersioningStatusSuspended)
	if v := e.put(b, "k", []byte("null 2")); v != "null" {
		t.Fatalf("suspended put version %q, want null", v)
	}
	lv, _ = e.c.ListObjectVersions(e.ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String("k")})
	ids = ids[:0]
	for _, v := range lv.Versions {
		ids = append(ids, aws.ToString(v.VersionId))
	}
	if len(ids) != 2 || ids[0] != "null" || ids[1] != v2 {
		t.Fatalf("versions under Suspended %v, want [null %s]", ids, v2)
	}
	if string(e.get(b, "k", "null")) != "null 2" {
		t.Fatal("null version not replaced")
	}
	// Versioning can be suspended, never removed.
	resp = e.signedRequest(http.MethodPut, "/"+b+"?versioning", nil, []byte(`<VersioningConfiguration><Status>Off</Status></VersioningConfiguration>`))
	if body := readAll(t, resp); resp.StatusCode != 400 || !contains(body, "MalformedXML") {
		t.Fatalf("versioning Off: %d %s", resp.StatusCode, body)
	}
}

func TestListObjectVersionsPaging(t *testing.T) {
	e := newEnv(t)
	b := e.bucket()
	e.setVersioning(b, types.BucketVersioningStatusEnabled)
	type ver struct{ key, id string }
	var want []ver
	for _, k := range []string{"a", "d/1", "d/2", "z"} {
		var ids []string
		for i := 0; i < 3; i++ {
			ids = append(ids, e.put(b, k, []byte(k)))
		}
		for i := len(ids) - 1; i >= 0; i-- {
			want = append(want, ver{k, ids[i]})
		}
	}
	var got []ver
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(b), MaxKeys: aws.Int32(2)}
	for pages := 0; ; pages++ {
		out, err := e.c.ListObjectVersions(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.Versions {
			got = append(got, ver{aws.ToString(v.Key), aws.ToString(v.VersionId)})
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if len(got) != len(want) {
		t.Fatalf("paged %d versions, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("version %d: %v, want %v", i, got[i], want[i])
		}
	}
	// Delimiter rolls d/ up; key-marker alone skips all versions of a key.
	out, err := e.c.ListObjectVersions(e.ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b), Delimiter: aws.String("/"), KeyMarker: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.CommonPrefixes) != 1 || aws.ToString(out.CommonPrefixes[0].Prefix) != "d/" || len(out.Versions) != 3 || aws.ToString(out.Versions[0].Key) != "z" {
		t.Fatalf("delimited after a: %d prefixes, %d versions", len(out.CommonPrefixes), len(out.Versions))
	}
}
