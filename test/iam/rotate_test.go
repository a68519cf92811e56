package iam_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/anode/anode/internal/admin"
	"github.com/anode/anode/internal/config"
	"github.com/anode/anode/internal/iam"
	"github.com/anode/anode/internal/testutil"
)

// TestRootRotationKeepsKeys: IAM secrets are encrypted under the root
// credentials. After a rotation they are unreadable, unless the previous
// credentials are given; `key reencrypt` then moves them to the new ones,
// after which the previous credentials are no longer needed.
func TestRootRotationKeepsKeys(t *testing.T) {
	dir := t.TempDir()
	srv := testutil.Start(t, testutil.Options{DataDir: dir})
	root := clientAs(srv.Endpoint, testutil.AccessKey, testutil.SecretKey)
	if _, err := root.CreateBucket(bg(), &s3.CreateBucketInput{Bucket: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
	if err := put(root, "kept", "k", "v"); err != nil {
		t.Fatal(err)
	}
	_, k := newUserKey(t, rootAdmin(srv.AdminURL), srv.Endpoint, "app", "readonly:kept")
	srv.Stop()

	const newUser, newPass = "newroot", "newroot-secret-1"
	restart := func(previous bool) *testutil.Server {
		return testutil.Start(t, testutil.Options{DataDir: dir, Configure: func(c *config.Config) {
			c.RootUser, c.RootPassword = newUser, newPass
			if previous {
				c.RootPreviousUser, c.RootPreviousPassword = testutil.AccessKey, testutil.SecretKey
			}
		}})
	}
	// New root credentials alone: the old key's secret cannot be read.
	srv = restart(false)
	_, err := get(clientAs(srv.Endpoint, k.AccessKey, k.SecretKey), "kept", "k")
	wantCode(t, "key after rotation without the previous credentials", err, "InvalidAccessKeyId")
	srv.Stop()

	// With the previous ones: the key works, and reencrypt moves it.
	srv = restart(true)
	if got, err := get(clientAs(srv.Endpoint, k.AccessKey, k.SecretKey), "kept", "k"); err != nil || got != "v" {
		t.Fatalf("key with the previous credentials set: %q %v", got, err)
	}
	adm := &admin.Client{URL: srv.AdminURL, AccessKey: newUser, SecretKey: newPass}
	var res iam.ReencryptResult
	mustAdmin(t, adm, "POST", "/admin/keys/reencrypt", nil, &res)
	if res.Reencrypted != 1 || res.Current != 0 || len(res.Undecryptable) != 0 {
		t.Fatalf("reencrypt: %+v", res)
	}
	// The old root credentials no longer open the admin API.
	if err := rootAdmin(srv.AdminURL).Do(bg(), "GET", "/admin/users", nil, nil); err == nil {
		t.Fatal("the previous root credentials were accepted by the admin API")
	}
	srv.Stop()

	srv = restart(false)
	if got, err := get(clientAs(srv.Endpoint, k.AccessKey, k.SecretKey), "kept", "k"); err != nil || got != "v" {
		t.Fatalf("key after reencrypt, previous credentials gone: %q %v", got, err)
	}
}
