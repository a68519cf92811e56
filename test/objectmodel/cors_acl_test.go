package objectmodel

import (
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestCORS(t *testing.T) {
	e := newEnv(t)
	b := e.bucket()
	e.put(b, "k", []byte("data"))
	_, err := e.c.GetBucketCors(e.ctx, &s3.GetBucketCorsInput{Bucket: aws.String(b)})
	wantCode(t, err, "NoSuchCORSConfiguration")
	preflight := func(origin, method, headers string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, e.endpoint+"/"+b+"/k", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		if headers != "" {
			req.Header.Set("Access-Control-Request-Headers", headers)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := preflight("https://app.example.com", "GET", ""); resp.StatusCode != 403 {
		t.Fatalf("preflight without CORS config: %d", resp.StatusCode)
	}
	_, err = e.c.PutBucketCors(e.ctx, &s3.PutBucketCorsInput{Bucket: aws.String(b), CORSConfiguration: &types.CORSConfiguration{
		CORSRules: []types.CORSRule{{
			AllowedOrigins: []string{"https://*.example.com"}, AllowedMethods: []string{"GET", "PUT"},
			AllowedHeaders: []string{"x-amz-*", "content-type"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(600),
		}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.c.GetBucketCors(e.ctx, &s3.GetBucketCorsInput{Bucket: aws.String(b)})
	if err != nil || len(got.CORSRules) != 1 || got.CORSRules[0].AllowedMethods[1] != "PUT" || aws.ToInt32(got.CORSRules[0].MaxAgeSeconds) != 600 {
		t.Fatalf("GetBucketCors: %+v, %v", got, err)
	}
	resp := preflight("https://app.example.com", "PUT", "Content-Type, X-Amz-Date")
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		resp.Header.Get("Access-Control-Allow-Methods") != "GET, PUT" || resp.Header.Get("Access-Control-Max-Age") != "600" ||
		resp.Header.Get("Access-Control-Allow-Headers") != "Content-Type, X-Amz-Date" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	for _, bad := range [][3]string{
		{"https://evil.com", "GET", ""},
		{"https://app.example.com", "DELETE", ""},
		{"https://app.example.com", "GET", "authorization-x"},
	} {
		if resp := preflight(bad[0], bad[1], bad[2]); resp.StatusCode != 403 {
			t.Fatalf("preflight %v allowed: %d", bad, resp.StatusCode)
		}
	}
	// A signed request from an allowed origin gets the headers.
	r := e.signedRequest(http.MethodGet, "/"+b+"/k", http.Header{"Origin": {"https://app.example.com"}}, nil)
	readAll(t, r)
	if r.StatusCode != 200 || r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || r.Header.Get("Access-Control-Expose-Headers") != "ETag" {
		t.Fatalf("GET with Origin: %d %v", r.StatusCode, r.Header)
	}
	r = e.signedRequest(http.MethodGet, "/"+b+"/k", http.Header{"Origin": {"https://evil.com"}}, nil)
	readAll(t, r)
	if r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS headers for a disallowed origin")
	}
	// Invalid configurations.
	_, err = e.c.PutBucketCors(e.ctx, &s3.PutBucketCorsInput{Bucket: aws.String(b), CORSConfiguration: &types.CORSConfiguration{
		CORSRules: []types.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"PATCH"}}},
	}})
	wantCode(t, err, "InvalidRequest")
	if _, err := e.c.DeleteBucketCors(e.ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.GetBucketCors(e.ctx, &s3.GetBucketCorsInput{Bucket: aws.String(b)})
	wantCode(t, err, "NoSuchCORSConfiguration")
}

func TestACLAndNotImplemented(t *testing.T) {
	e := newEnv(t)
	b := e.bucket()
	e.put(b, "k", []byte("x"))
	for _, acl := range []func() (*types.Owner, []types.Grant, error){
		func() (*types.Owner, []types.Grant, error) {
			out, err := e.c.GetBucketAcl(e.ctx, &s3.GetBucketAclInput{Bucket: aws.String(b)})
			if err != nil {
				return nil, nil, err
			}
			return out.Owner, out.Grants, nil
		},
		func() (*types.Owner, []types.Grant, error) {
			out, err := e.c.GetObjectAcl(e.ctx, &s3.GetObjectAclInput{Bucket: aws.String(b), Key: aws.String("k")})
			if err != nil {
				return nil, nil, err
			}
			return out.Owner, out.Grants, nil
		},
	} {
		owner, grants, err := acl()
		if err != nil {
			t.Fatal(err)
		}
		if owner == nil || len(grants) != 1 || grants[0].Permission != types.PermissionFullControl ||
			aws.ToString(grants[0].Grantee.ID) != aws.ToString(owner.ID) || grants[0].Grantee.Type != types.TypeCanonicalUser {
			t.Fatalf("ACL: owner %+v grants %+v", owner, grants)
		}
	}
	if _, err := e.c.PutBucketAcl(e.ctx, &s3.PutBucketAclInput{Bucket: aws.String(b), ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.PutObjectAcl(e.ctx, &s3.PutObjectAclInput{Bucket: aws.String(b), Key: aws.String("k"), ACL: types.ObjectCannedACLPrivate}); err != nil {
		t.Fatal(err)
	}
	// An object ACL other than private is refused (Anode keeps none);
	// bucket ACLs are tested in test/iam.
	_, err := e.c.PutObjectAcl(e.ctx, &s3.PutObjectAclInput{Bucket: aws.String(b), Key: aws.String("k"), ACL: types.ObjectCannedACLPublicRead})
	wantCode(t, err, "NotImplemented")
	wantStatus(t, err, 501)
	_, err = e.c.GetObjectAcl(e.ctx, &s3.GetObjectAclInput{Bucket: aws.String(b), Key: aws.String("missing")})
	wantCode(t, err, "NoSuchKey")
	// A bucket without a lifecycle configuration or object lock answers as
	// AWS does (test/conformance, test/lifecycle).
	_, err = e.c.GetBucketLifecycleConfiguration(e.ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b)})
	wantCode(t, err, "NoSuchLifecycleConfiguration")
	_, err = e.c.GetObjectRetention(e.ctx, &s3.GetObjectRetentionInput{Bucket: aws.String(b), Key: aws.String("k")})
	wantCode(t, err, "InvalidRequest")
	// Object Lock exists (test/lifecycle); in a bucket without it, setting
	// a retention is refused as AWS refuses it.
	_, err = e.c.PutObjectRetention(e.ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(b), Key: aws.String("k"),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(time.Now().Add(time.Hour))}})
	wantCode(t, err, "InvalidRequest")
	wantStatus(t, err, 400)
}
