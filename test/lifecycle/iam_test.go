package lifecycle

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/anode/anode/internal/admin"
	"github.com/anode/anode/internal/iam"
	"github.com/anode/anode/internal/testutil"
)

// userClient creates a user with the given policies and returns an S3
// client signing as its new key.
func userClient(t *testing.T, adm *admin.Client, endpoint, name string, policies ...string) *s3.Client {
	t.Helper()
	ctx := context.Background()
	if err := adm.Do(ctx, "POST", "/admin/users", map[string]any{"name": name, "policies": policies}, nil); err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	var k iam.NewKey
	if err := adm.Do(ctx, "POST", "/admin/users/"+name+"/keys", map[string]any{"description": "test"}, &k); err != nil {
		t.Fatalf("create key of %s: %v", name, err)
	}
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(endpoint), Region: "us-east-1", UsePathStyle: true, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(k.AccessKey, k.SecretKey, ""),
		HTTPClient:  &http.Client{Timeout: 30 * time.Second},
	})
}

// TestGovernanceBypassPermission: the bypass header lets a user past
// GOVERNANCE retention only with s3:BypassGovernanceRetention; without it
// the header changes nothing. Setting a retention on a write needs
// s3:PutObjectRetention.
func TestGovernanceBypassPermission(t *testing.T) {
	srv := testutil.Start(t, testutil.Options{})
	root := testutil.S3Client(srv.Endpoint)
	adm := &admin.Client{URL: srv.AdminURL, AccessKey: testutil.AccessKey, SecretKey: testutil.SecretKey}
	ctx := context.Background()
	b := lockBucket(t, root)
	if err := adm.Do(ctx, "PUT", "/admin/policies/no-bypass", []byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Deny","Action":["s3:BypassGovernanceRetention","s3:PutObjectRetention"],"Resource":"arn:aws:s3:::*"}]}`), nil); err != nil {
		t.Fatal(err)
	}
	plain := userClient(t, adm, srv.Endpoint, "plain", "readwrite", "no-bypass")
	trusted := userClient(t, adm, srv.Endpoint, "trusted", "readwrite")

	until := time.Now().Add(time.Hour)
	v1 := put(t, root, b, "k1", "1", retained(types.ObjectLockModeGovernance, until))
	v2 := put(t, root, b, "k2", "2", retained(types.ObjectLockModeGovernance, until))
	free := put(t, root, b, "free", "f", nil)

	wantCode(t, "bypass without the permission", deleteVersion(plain, b, "k1", v1, true), "AccessDenied")
	must(t, "an unprotected version with the header, without the permission", deleteVersion(plain, b, "free", free, true))
	_, err := plain.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("r"), Body: nil,
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(until)})
	wantCode(t, "retention on a write without s3:PutObjectRetention", err, "AccessDenied")
	dout, err := plain.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b), BypassGovernanceRetention: aws.Bool(true),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("k2"), VersionId: aws.String(v2)}}}})
	must(t, "delete objects", err)
	if len(dout.Errors) != 1 || aws.ToString(dout.Errors[0].Code) != "AccessDenied" {
		t.Fatalf("DeleteObjects with bypass, without the permission: %+v", dout.Errors)
	}

	must(t, "bypass with the permission", deleteVersion(trusted, b, "k1", v1, true))
	dout, err = trusted.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b), BypassGovernanceRetention: aws.Bool(true),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("k2"), VersionId: aws.String(v2)}}}})
	must(t, "delete objects", err)
	if len(dout.Errors) != 0 {
		t.Fatalf("DeleteObjects with bypass and the permission: %+v", dout.Errors)
	}
}
