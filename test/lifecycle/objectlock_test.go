package lifecycle

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/anode/anode/internal/testutil"
)

func lockBucket(t *testing.T, c *s3.Client) string {
	t.Helper()
	b := bucketName("lock")
	_, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b), ObjectLockEnabledForBucket: aws.Bool(true)})
	must(t, "create lock bucket", err)
	return b
}

func retained(mode types.ObjectLockMode, until time.Time) func(*s3.PutObjectInput) {
	return func(in *s3.PutObjectInput) {
		in.ObjectLockMode = mode
		in.ObjectLockRetainUntilDate = aws.Time(until)
	}
}

// TestObjectLockRetention: a version under retention refuses deletion by
// anyone (the root credentials included) until its date; GOVERNANCE yields
// to the bypass header, COMPLIANCE to nothing; retention can be extended,
// never shortened under COMPLIANCE. Shown to fail with the protection
// removed: with lockRefusal in internal/meta/objectlock.go made to return
// nil, the first delete of a retained version succeeds and the test stops
// there.
func TestObjectLockRetention(t *testing.T) {
	srv := testutil.Start(t, testutil.Options{})
	c := testutil.S3Client(srv.Endpoint)
	ctx := context.Background()
	b := lockBucket(t, c)

	v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(b)})
	must(t, "get versioning", err)
	if v.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("lock bucket versioning %q, want Enabled", v.Status)
	}
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	wantCode(t, "suspend versioning of a lock bucket", err, "InvalidBucketState")

	until := time.Now().Add(4 * time.Second)
	gov := put(t, c, b, "gov", "g1", retained(types.ObjectLockModeGovernance, until))
	comp := put(t, c, b, "comp", "c1", retained(types.ObjectLockModeCompliance, until))

	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("comp")})
	must(t, "head", err)
	if head.ObjectLockMode != types.ObjectLockModeCompliance || head.ObjectLockRetainUntilDate == nil ||
		head.ObjectLockRetainUntilDate.Sub(until).Abs() > time.Millisecond {
		t.Fatalf("head lock headers: mode %q until %v, want COMPLIANCE %v", head.ObjectLockMode, head.ObjectLockRetainUntilDate, until)
	}

	wantCode(t, "delete GOVERNANCE version", deleteVersion(c, b, "gov", gov, false), "AccessDenied")
	wantCode(t, "delete COMPLIANCE version", deleteVersion(c, b, "comp", comp, false), "AccessDenied")
	wantCode(t, "delete COMPLIANCE version with bypass", deleteVersion(c, b, "comp", comp, true), "AccessDenied")
	// DeleteObjects is refused per key too.
	dout, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("comp"), VersionId: aws.String(comp)}}}})
	must(t, "delete objects", err)
	if len(dout.Errors) != 1 || aws.ToString(dout.Errors[0].Code) != "AccessDenied" {
		t.Fatalf("DeleteObjects of a locked version: %+v", dout.Errors)
	}

	// Retention changes.
	_, err = c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(b), Key: aws.String("comp"), VersionId: aws.String(comp),
		Retention:                 &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(until.Add(-time.Second))},
		BypassGovernanceRetention: aws.Bool(true)})
	wantCode(t, "shorten COMPLIANCE", err, "AccessDenied")
	_, err = c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(b), Key: aws.String("comp"), VersionId: aws.String(comp),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(until)}})
	wantCode(t, "COMPLIANCE to GOVERNANCE", err, "AccessDenied")
	extended := until.Add(2 * time.Second)
	_, err = c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(b), Key: aws.String("comp"), VersionId: aws.String(comp),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(extended)}})
	must(t, "extend COMPLIANCE", err)
	r, err := c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: aws.String(b), Key: aws.String("comp"), VersionId: aws.String(comp)})
	must(t, "get retention", err)
	if r.Retention.Mode != types.ObjectLockRetentionModeCompliance || r.Retention.RetainUntilDate.Sub(extended).Abs() > time.Millisecond {
		t.Fatalf("retention after extension: %+v", r.Retention)
	}

	// Writing over a locked key makes a new version; the locked one stays.
	put(t, c, b, "comp", "c2", nil)
	if got := getBody(t, c, b, "comp", comp); got != "c1" {
		t.Fatalf("locked version reads %q after an overwrite", got)
	}
	// A delete without a version ID only adds a marker.
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("comp")})
	must(t, "delete marker on a locked key", err)
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b)})
	wantCode(t, "delete bucket holding locked versions", err, "BucketNotEmpty")

	// GOVERNANCE yields to the bypass.
	must(t, "delete GOVERNANCE version with bypass", deleteVersion(c, b, "gov", gov, true))

	// Once the date has passed the COMPLIANCE version can go. Until then
	// every attempt is refused.
	for time.Now().Before(extended.Add(-500 * time.Millisecond)) {
		wantCode(t, "delete before the date", deleteVersion(c, b, "comp", comp, true), "AccessDenied")
		time.Sleep(200 * time.Millisecond)
	}
	eventually(t, 10*time.Second, "delete after the date", func() error { return deleteVersion(c, b, "comp", comp, false) })
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("comp"), VersionId: aws.String(comp)})
	if errCode(err) != "NotFound" && errCode(err) != "NoSuchVersion" {
		t.Fatalf("expired version still readable: %v", err)
	}
}

// TestLegalHold: a held version cannot be deleted, with or without
// bypass, until the hold is released.
func TestLegalHold(t *testing.T) {
	srv := testutil.Start(t, testutil.Options{})
	c := testutil.S3Client(srv.Endpoint)
	ctx := context.Background()
	b := lockBucket(t, c)
	v := put(t, c, b, "held", "x", func(in *s3.PutObjectInput) { in.ObjectLockLegalHoldStatus = types.ObjectLockLegalHoldStatusOn })
	wantCode(t, "delete held", deleteVersion(c, b, "held", v, true), "AccessDenied")
	lh, err := c.GetObjectLegalHold(ctx, &s3.GetObjectLegalHoldInput{Bucket: aws.String(b), Key: aws.String("held"), VersionId: aws.String(v)})
	must(t, "get legal hold", err)
	if lh.LegalHold.Status != types.ObjectLockLegalHoldStatusOn {
		t.Fatalf("legal hold %q", lh.LegalHold.Status)
	}
	_, err = c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: aws.String(b), Key: aws.String("held"), VersionId: aws.String(v),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff}})
	must(t, "release hold", err)
	must(t, "delete released", deleteVersion(c, b, "held", v, false))
}

// TestObjectLockConfiguration: default retention applies to new versions
// (PUT, copy, multipart); buckets without Object Lock refuse lock
// settings with AWS's errors; a PUT with lock headers needs an integrity
// header.
func TestObjectLockConfiguration(t *testing.T) {
	srv := testutil.Start(t, testutil.Options{})
	c := testutil.S3Client(srv.Endpoint)
	ctx := context.Background()

	plain := bucketName("plain")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(plain)})
	must(t, "create", err)
	_, err = c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(plain)})
	wantCode(t, "get lock config of a plain bucket", err, "ObjectLockConfigurationNotFoundError")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(plain), Key: aws.String("k"), Body: strings.NewReader("x"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(time.Now().Add(time.Hour))})
	wantCode(t, "lock headers on a plain bucket", err, "InvalidRequest")
	lockCfg := &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
		Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}}}
	_, err = c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(plain), ObjectLockConfiguration: lockCfg})
	wantCode(t, "lock config on an unversioned bucket", err, "InvalidBucketState")

	b := lockBucket(t, c)
	_, err = c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(b), ObjectLockConfiguration: lockCfg})
	must(t, "put lock config", err)
	got, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(b)})
	must(t, "get lock config", err)
	if got.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled || got.ObjectLockConfiguration.Rule == nil ||
		got.ObjectLockConfiguration.Rule.DefaultRetention.Mode != types.ObjectLockRetentionModeGovernance ||
		aws.ToInt32(got.ObjectLockConfiguration.Rule.DefaultRetention.Days) != 1 {
		t.Fatalf("lock config: %+v", got.ObjectLockConfiguration)
	}
	bad := &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
		Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1), Years: aws.Int32(1)}}}
	_, err = c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(b), ObjectLockConfiguration: bad})
	wantCode(t, "Days and Years", err, "MalformedXML")

	checkDefault := func(key, version string) {
		t.Helper()
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: aws.String(version)})
		must(t, "head "+key, err)
		want := time.Now().Add(24 * time.Hour)
		if h.ObjectLockMode != types.ObjectLockModeGovernance || h.ObjectLockRetainUntilDate == nil || h.ObjectLockRetainUntilDate.Sub(want).Abs() > time.Minute {
			t.Fatalf("%s: default retention not applied: %q %v", key, h.ObjectLockMode, h.ObjectLockRetainUntilDate)
		}
		wantCode(t, "delete "+key, deleteVersion(c, b, key, version, false), "AccessDenied")
	}
	v := put(t, c, b, "d", "x", nil)
	checkDefault("d", v)
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("d2"), CopySource: aws.String(b + "/d")})
	must(t, "copy", err)
	checkDefault("d2", aws.ToString(cp.VersionId))
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp"),
		ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: aws.Time(time.Now().Add(time.Hour))})
	must(t, "create upload", err)
	part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("part")})
	must(t, "upload part", err)
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}})
	must(t, "complete", err)
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("mp")})
	must(t, "head mp", err)
	if h.ObjectLockMode != types.ObjectLockModeCompliance {
		t.Fatalf("multipart object lock mode %q", h.ObjectLockMode)
	}
	wantCode(t, "delete multipart object", deleteVersion(c, b, "mp", aws.ToString(done.VersionId), true), "AccessDenied")

	// Without Content-MD5, a checksum or a signed payload hash, lock
	// headers are refused.
	bare := s3.New(c.Options(), func(o *s3.Options) {
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	})
	_, err = bare.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("nomd5"), Body: strings.NewReader("x"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(time.Now().Add(time.Hour))})
	wantCode(t, "lock headers without integrity header", err, "InvalidRequest")
	_, err = bare.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("past"), Body: strings.NewReader("x"),
		ContentMD5:     aws.String("ndTkYSaMgDT1yFZOFVxnpg=="), // md5("x")
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(time.Now().Add(-time.Hour))})
	wantCode(t, "retain-until in the past", err, "InvalidArgument")
}

// TestObjectLockSurvivesRestart: the lock configuration and a version's
// retention are still enforced after the server restarts.
func TestObjectLockSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	srv := testutil.Start(t, testutil.Options{DataDir: dir})
	c := testutil.S3Client(srv.Endpoint)
	b := lockBucket(t, c)
	v := put(t, c, b, "k", "x", retained(types.ObjectLockModeCompliance, time.Now().Add(time.Hour)))
	srv.Stop()

	srv = testutil.Start(t, testutil.Options{DataDir: dir})
	c = testutil.S3Client(srv.Endpoint)
	wantCode(t, "delete after restart", deleteVersion(c, b, "k", v, true), "AccessDenied")
	_, err := c.PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	wantCode(t, "suspend after restart", err, "InvalidBucketState")
}

// TestObjectLockAcrossCluster: a retention and a legal hold set through
// node 1 are enforced by node 3 of a real 3-node cluster.
func TestObjectLockAcrossCluster(t *testing.T) {
	cl := testutil.StartCluster(t, 3)
	c1 := testutil.S3Client(cl.Nodes[0].Endpoint)
	c3 := testutil.S3Client(cl.Nodes[2].Endpoint)
	ctx := context.Background()
	b := lockBucket(t, c1)
	ret := put(t, c1, b, "ret", "x", retained(types.ObjectLockModeGovernance, time.Now().Add(time.Hour)))
	held := put(t, c1, b, "held", "y", nil)
	_, err := c1.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: aws.String(b), Key: aws.String("held"), VersionId: aws.String(held),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
	must(t, "legal hold via node 1", err)

	wantCode(t, "node 3 deletes retained version", deleteVersion(c3, b, "ret", ret, false), "AccessDenied")
	wantCode(t, "node 3 deletes held version", deleteVersion(c3, b, "held", held, true), "AccessDenied")
	lh, err := c3.GetObjectLegalHold(ctx, &s3.GetObjectLegalHoldInput{Bucket: aws.String(b), Key: aws.String("held"), VersionId: aws.String(held)})
	must(t, "legal hold via node 3", err)
	if lh.LegalHold.Status != types.ObjectLockLegalHoldStatusOn {
		t.Fatalf("node 3 sees legal hold %q", lh.LegalHold.Status)
	}
	must(t, "node 3 bypasses governance", deleteVersion(c3, b, "ret", ret, true))
}
