// Package snapshots tests point-in-time bucket snapshots (docs/snapshots.md)
// against real servers with aws-sdk-go-v2: taken, listed and deleted
// through the admin API, read through S3 as the virtual bucket
// BUCKET--NAME--snap.
package snapshots

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/anode/anode/internal/admin"
	"github.com/anode/anode/internal/config"
	"github.com/anode/anode/internal/iam"
	"github.com/anode/anode/internal/testutil"
)

func bg() context.Context { return context.Background() }

func code(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return err.Error()
}

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func etagOf(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// createSnapshot takes a snapshot through the admin API.
func createSnapshot(t *testing.T, adminURL, bucket, name string) {
	t.Helper()
	st, body, err := testutil.AdminDo(adminURL, http.MethodPost, "/snapshots?bucket="+url.QueryEscape(bucket)+"&name="+url.QueryEscape(name))
	if err != nil || st != http.StatusCreated {
		t.Fatalf("create snapshot %s of %s: %d %s %v", name, bucket, st, body, err)
	}
}

func deleteSnapshot(t *testing.T, adminURL, bucket, name string) {
	t.Helper()
	st, body, err := testutil.AdminDo(adminURL, http.MethodDelete, "/snapshots?bucket="+bucket+"&name="+name)
	if err != nil || st != http.StatusNoContent {
		t.Fatalf("delete snapshot %s of %s: %d %s %v", name, bucket, st, body, err)
	}
}

func put(t *testing.T, c *s3.Client, bucket, key string, data []byte) {
	t.Helper()
	if _, err := c.PutObject(bg(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

func del(t *testing.T, c *s3.Client, bucket, key string) {
	t.Helper()
	if _, err := c.DeleteObject(bg(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		t.Fatalf("delete %s/%s: %v", bucket, key, err)
	}
}

// readAll lists a bucket (ListObjectsV2, pages of 3) and reads every
// object: key -> bytes. It checks each listed ETag and size against the
// bytes GET returns, and HEAD against the listing.
func readAll(t *testing.T, c *s3.Client, bucket string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	var token *string
	for {
		page, err := c.ListObjectsV2(bg(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(3), ContinuationToken: token})
		if err != nil {
			t.Fatalf("list %s: %v", bucket, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if _, dup := out[key]; dup {
				t.Fatalf("list %s: %q listed twice", bucket, key)
			}
			g, err := c.GetObject(bg(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
			if err != nil {
				t.Fatalf("get %s/%s: %v", bucket, key, err)
			}
			b, err := io.ReadAll(g.Body)
			g.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Trim(aws.ToString(o.ETag), `"`); got != etagOf(b) || aws.ToInt64(o.Size) != int64(len(b)) {
				t.Fatalf("%s/%s: listed ETag %s size %d, body has %s %d", bucket, key, got, aws.ToInt64(o.Size), etagOf(b), len(b))
			}
			h, err := c.HeadObject(bg(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: o.Key})
			if err != nil || aws.ToString(h.ETag) != aws.ToString(o.ETag) {
				t.Fatalf("head %s/%s: %v (ETag %s, listed %s)", bucket, key, err, aws.ToString(h.ETag), aws.ToString(o.ETag))
			}
			out[key] = b
		}
		if !aws.ToBool(page.IsTruncated) {
			return out
		}
		token = page.NextContinuationToken
	}
}

func sameContent(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: %q missing", what, k)
		} else if !bytes.Equal(g, w) {
			t.Errorf("%s: %q has other bytes (ETag %s, want %s)", what, k, etagOf(g), etagOf(w))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %q should not be there", what, k)
		}
	}
}

// TestSnapshotReadsBucketAsOfCut writes, snapshots, then overwrites,
// deletes and adds (in an unversioned and a versioned bucket, where it
// also deletes versions for good), and reads each snapshot back exactly:
// every key, ETag and byte, through listings (paged, and with a
// delimiter), GET, ranged GET and HEAD, before and after a restart. Every
// write to a snapshot is AccessDenied, CreateBucket refuses the suffix,
// and a deleted snapshot is NoSuchBucket.
func TestSnapshotReadsBucketAsOfCut(t *testing.T) {
	srv := testutil.Start(t, testutil.Options{})
	c := testutil.S3Client(srv.Endpoint)
	for _, versioned := range []bool{false, true} {
		bucket := "plain"
		if versioned {
			bucket = "versioned"
		}
		if _, err := c.CreateBucket(bg(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatal(err)
		}
		if versioned {
			if _, err := c.PutBucketVersioning(bg(), &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
				VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
				t.Fatal(err)
			}
		}
		want := map[string][]byte{}
		for i := 0; i < 12; i++ {
			key := fmt.Sprintf("k%02d", i)
			if i%3 == 0 {
				key = fmt.Sprintf("dir/k%02d", i)
			}
			size := 100 + i
			if i%4 == 1 {
				size = 200 << 10 // chunked, not inline
			}
			want[key] = randBytes(uint64(i), size)
			put(t, c, bucket, key, want[key])
		}
		createSnapshot(t, srv.AdminURL, bucket, "s1")
		// After the cut: overwrite, delete, add, and (versioned) delete
		// the pre-snapshot version of a key for good.
		put(t, c, bucket, "k01", []byte("overwritten"))
		put(t, c, bucket, "dir/k03", []byte("overwritten too"))
		del(t, c, bucket, "k02")
		del(t, c, bucket, "dir/k06")
		put(t, c, bucket, "new", []byte("after the snapshot"))
		if versioned {
			vs, err := c.ListObjectVersions(bg(), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String("k04")})
			if err != nil || len(vs.Versions) != 1 {
				t.Fatalf("versions of k04: %v %v", vs, err)
			}
			if _, err := c.DeleteObject(bg(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k04"), VersionId: vs.Versions[0].VersionId}); err != nil {
				t.Fatal(err)
			}
			// And of an overwritten key, its old (noncurrent) version.
			vs, err = c.ListObjectVersions(bg(), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String("k01")})
			if err != nil || len(vs.Versions) != 2 {
				t.Fatalf("versions of k01: %v %v", vs, err)
			}
			if _, err := c.DeleteObject(bg(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k01"), VersionId: vs.Versions[1].VersionId}); err != nil {
				t.Fatal(err)
			}
		} else {
			del(t, c, bucket, "k04")
		}
		snap := bucket + "--s1--snap"
		sameContent(t, snap, readAll(t, c, snap), want)

		// A delimiter rolls dir/ up.
		l, err := c.ListObjectsV2(bg(), &s3.ListObjectsV2Input{Bucket: aws.String(snap), Delimiter: aws.String("/")})
		if err != nil || len(l.CommonPrefixes) != 1 || aws.ToString(l.CommonPrefixes[0].Prefix) != "dir/" || len(l.Contents) != 8 {
			t.Fatalf("delimited listing of %s: %v, %d keys, prefixes %v", snap, err, len(l.Contents), l.CommonPrefixes)
		}
		// A ranged read of a deleted chunked object.
		g, err := c.GetObject(bg(), &s3.GetObjectInput{Bucket: aws.String(snap), Key: aws.String("k01"), Range: aws.String("bytes=1000-1999")})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(g.Body)
		g.Body.Close()
		if !bytes.Equal(b, want["k01"][1000:2000]) {
			t.Fatalf("ranged read of %s/k01: wrong bytes", snap)
		}
		if _, err := c.HeadObject(bg(), &s3.HeadObjectInput{Bucket: aws.String(snap), Key: aws.String("new")}); code(err) != "NotFound" {
			t.Fatalf("HEAD of a key written after the snapshot: %v, want NotFound", err)
		}
		// The bucket itself moved on.
		now := readAll(t, c, bucket)
		if string(now["k01"]) != "overwritten" || now["k02"] != nil || now["new"] == nil {
			t.Fatalf("the live bucket does not show the writes after the snapshot")
		}

		// Every write to the snapshot is refused.
		_, err = c.PutObject(bg(), &s3.PutObjectInput{Bucket: aws.String(snap), Key: aws.String("x"), Body: strings.NewReader("x")})
		if code(err) != "AccessDenied" {
			t.Fatalf("PUT into a snapshot: %v, want AccessDenied", err)
		}
		_, err = c.DeleteObject(bg(), &s3.DeleteObjectInput{Bucket: aws.String(snap), Key: aws.String("k00")})
		if code(err) != "AccessDenied" {
			t.Fatalf("DELETE in a snapshot: %v, want AccessDenied", err)
		}
		_, err = c.CopyObject(bg(), &s3.CopyObjectInput{Bucket: aws.String(snap), Key: aws.String("y"), CopySource: aws.String(bucket + "/new")})
		if code(err) != "AccessDenied" {
			t.Fatalf("copy into a snapshot: %v, want AccessDenied", err)
		}
	}
	if _, err := c.CreateBucket(bg(), &s3.CreateBucketInput{Bucket: aws.String("mine--snap")}); code(err) != "InvalidBucketName" {
		t.Fatalf("CreateBucket of a name ending in --snap: %v, want InvalidBucketName", err)
	}
	// A bucket with snapshots cannot be deleted until they are.
	for _, k := range []string{"dir/k00", "k01", "dir/k03", "k05", "k07", "k08", "dir/k09", "k10", "k11", "new"} {
		del(t, c, "plain", k)
	}
	if _, err := c.DeleteBucket(bg(), &s3.DeleteBucketInput{Bucket: aws.String("plain")}); code(err) != "BucketNotEmpty" {
		t.Fatalf("DeleteBucket of an emptied bucket with a snapshot: %v, want BucketNotEmpty", err)
	}

	// Snapshots survive a restart.
	before := readAll(t, c, "versioned--s1--snap")
	srv.Stop()
	srv = testutil.Start(t, testutil.Options{DataDir: srv.DataDir})
	c = testutil.S3Client(srv.Endpoint)
	sameContent(t, "after restart", readAll(t, c, "versioned--s1--snap"), before)
	st, body, err := testutil.AdminDo(srv.AdminURL, http.MethodGet, "/snapshots")
	var list struct {
		Snapshots []struct{ Bucket, Name, VirtualBucket string }
	}
	if err != nil || st != 200 || json.Unmarshal(body, &list) != nil || len(list.Snapshots) != 2 ||
		list.Snapshots[0].VirtualBucket != "plain--s1--snap" || list.Snapshots[1].VirtualBucket != "versioned--s1--snap" {
		t.Fatalf("list snapshots: %d %s %v", st, body, err)
	}
	deleteSnapshot(t, srv.AdminURL, "plain", "s1")
	if _, err := c.ListObjectsV2(bg(), &s3.ListObjectsV2Input{Bucket: aws.String("plain--s1--snap")}); code(err) != "NoSuchBucket" {
		t.Fatalf("listing a deleted snapshot: %v, want NoSuchBucket", err)
	}
	if _, err := c.DeleteBucket(bg(), &s3.DeleteBucketInput{Bucket: aws.String("plain")}); err != nil {
		t.Fatalf("DeleteBucket once its snapshot is gone: %v", err)
	}
	// The admin API wants the root credentials.
	if st, _, _ := testutil.AdminDoAs(srv.AdminURL, http.MethodPost, "/snapshots?bucket=versioned&name=x", "nobody", "wrong-secret"); st != http.StatusForbidden && st != http.StatusUnauthorized {
		t.Fatalf("create snapshot with bad credentials: %d", st)
	}
}

// TestSnapshotConcurrentWrites takes a snapshot while writers overwrite
// their keys with numbered values: in the snapshot, each key holds one
// whole value, no older than the last one acknowledged before the
// snapshot request began and no newer than the last one started before
// it answered.
func TestSnapshotConcurrentWrites(t *testing.T) {
	srv := testutil.Start(t, testutil.Options{})
	c := testutil.S3Client(srv.Endpoint)
	if _, err := c.CreateBucket(bg(), &s3.CreateBucketInput{Bucket: aws.String("busy")}); err != nil {
		t.Fatal(err)
	}
	const writers = 6
	value := func(w, n int) []byte {
		return []byte(fmt.Sprintf("writer %d value %d %s", w, n, strings.Repeat("x", n)))
	}
	type event struct {
		n          int
		start, ack time.Time
	}
	logs := make([][]event, writers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				e := event{n: n, start: time.Now()}
				_, err := c.PutObject(bg(), &s3.PutObjectInput{Bucket: aws.String("busy"), Key: aws.String(fmt.Sprintf("w%d", w)), Body: bytes.NewReader(value(w, n))})
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				e.ack = time.Now()
				logs[w] = append(logs[w], e)
			}
		}(w)
	}
	// Let every writer get some writes in (poll, not sleep).
	deadline := time.Now().Add(30 * time.Second)
	for {
		l, err := c.ListObjectsV2(bg(), &s3.ListObjectsV2Input{Bucket: aws.String("busy")})
		if err == nil && len(l.Contents) == writers {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("writers did not start")
		}
	}
	begin := time.Now()
	createSnapshot(t, srv.AdminURL, "busy", "mid")
	end := time.Now()
	close(stop)
	wg.Wait()
	got := readAll(t, c, "busy--mid--snap")
	for w := 0; w < writers; w++ {
		lo, hi := -1, -1
		for _, e := range logs[w] {
			if e.ack.Before(begin) {
				lo = e.n
			}
			if e.start.Before(end) {
				hi = e.n
			}
		}
		b, ok := got[fmt.Sprintf("w%d", w)]
		if !ok {
			t.Fatalf("writer %d: key missing from the snapshot", w)
		}
		var gw, gn int
		if _, err := fmt.Sscanf(string(b), "writer %d value %d", &gw, &gn); err != nil || gw != w || !bytes.Equal(b, value(w, gn)) {
			t.Fatalf("writer %d: snapshot holds %q, not a whole value", w, b)
		}
		if gn < lo || gn > hi {
			t.Fatalf("writer %d: snapshot holds value %d, want one in [%d, %d]", w, gn, lo, hi)
		}
		t.Logf("writer %d: snapshot holds %d of [%d, %d]", w, gn, lo, hi)
	}
}

// TestSnapshotPinsChunksAgainstGC deletes an object held by a snapshot
// and one that is not, runs garbage collection until the unheld one's
// chunk is freed, and checks that the held one's chunk survived and reads
// back through the snapshot; deleting the snapshot frees it.
//
// The retention of versions a snapshot needs (meta preserve) was shown
// necessary by TestSnapshotReadsBucketAsOfCut: with preserve made a no-op,
// it fails with every overwritten or deleted key missing.
//
// Shown to fail with the pin removed: with kindHidden taken out of the
// kinds meta.Store.EachChunkRef marks, the held chunk is swept in the same
// pass as the unheld one and the test fails at "the chunk held by the
// snapshot was collected".
func TestSnapshotPinsChunksAgainstGC(t *testing.T) {
	const grace = 12 * time.Second
	srv := testutil.Start(t, testutil.Options{Configure: func(c *config.Config) {
		c.Storage.GCGraceSecs = int(grace / time.Second)
		c.Storage.GCIntervalSecs = 3600 // passes are run by the test
	}})
	c := testutil.S3Client(srv.Endpoint)
	if _, err := c.CreateBucket(bg(), &s3.CreateBucketInput{Bucket: aws.String("gcpin")}); err != nil {
		t.Fatal(err)
	}
	held, unheld := randBytes(100, 1<<20), randBytes(200, 1<<20)
	chunkPath := func(b []byte) string {
		sum := sha256.Sum256(b)
		x := hex.EncodeToString(sum[:])
		return filepath.Join(srv.DataDir, "chunks", x[0:2], x[2:4], x)
	}
	put(t, c, "gcpin", "held", held)
	put(t, c, "gcpin", "unheld", unheld)
	del(t, c, "gcpin", "unheld")
	createSnapshot(t, srv.AdminURL, "gcpin", "pin")
	del(t, c, "gcpin", "held")
	for _, b := range [][]byte{held, unheld} {
		if _, err := os.Stat(chunkPath(b)); err != nil {
			t.Fatalf("chunk not on disk after its PUT: %v", err)
		}
	}
	// The unheld chunk, written after the held one, is freed once its
	// grace period is over; the held one's is over by then too.
	gcUntilGone := func(path string) {
		t.Helper()
		deadline := time.Now().Add(grace + 60*time.Second)
		for {
			ctx, cancel := context.WithTimeout(bg(), time.Minute)
			_, err := srv.CollectGarbage(ctx)
			cancel()
			if err != nil {
				t.Fatalf("gc: %v", err)
			}
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("chunk %s not collected by the deadline", path)
			}
			time.Sleep(500 * time.Millisecond) // pacing between passes, not synchronisation
		}
	}
	gcUntilGone(chunkPath(unheld))
	if _, err := os.Stat(chunkPath(held)); err != nil {
		t.Fatalf("the chunk held by the snapshot was collected: %v", err)
	}
	got := readAll(t, c, "gcpin--pin--snap")
	sameContent(t, "snapshot after gc", got, map[string][]byte{"held": held})
	st, body, err := testutil.AdminDo(srv.AdminURL, http.MethodGet, "/snapshots/usage?bucket=gcpin&name=pin")
	var u struct{ Objects, Bytes, OnlyBytes int64 }
	if err != nil || st != 200 || json.Unmarshal(body, &u) != nil || u.Objects != 1 || u.Bytes != 1<<20 || u.OnlyBytes != 1<<20 {
		t.Fatalf("snapshot usage: %d %s %v, want 1 object of 1 MiB, 1 MiB only it keeps", st, body, err)
	}

	deleteSnapshot(t, srv.AdminURL, "gcpin", "pin")
	gcUntilGone(chunkPath(held))
}

func restore(t *testing.T, adminURL, query string) {
	t.Helper()
	st, body, err := testutil.AdminDo(adminURL, http.MethodPost, "/snapshots/restore?"+query)
	var res struct {
		Restored int
		Failed   map[string]string
	}
	if err != nil || st != http.StatusOK || json.Unmarshal(body, &res) != nil || len(res.Failed) != 0 {
		t.Fatalf("restore %s: %d %s %v", query, st, body, err)
	}
}

func chunkFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(dir, "chunks"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSnapshotRestore restores a prefix of a snapshot into its own bucket
// (those keys as of the snapshot, the others untouched), the whole
// snapshot into another bucket (equal to the snapshot), and the whole
// snapshot into its own bucket (every snapshot key back, a key added since
// kept), all without a single new chunk file.
func TestSnapshotRestore(t *testing.T) {
	srv := testutil.Start(t, testutil.Options{})
	c := testutil.S3Client(srv.Endpoint)
	for _, b := range []string{"src", "other"} {
		if _, err := c.CreateBucket(bg(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string][]byte{}
	for i := 0; i < 8; i++ {
		key := fmt.Sprintf("k%d", i)
		if i%2 == 0 {
			key = "dir/" + key
		}
		size := 50 + i
		if i%3 == 0 {
			size = 300 << 10
		}
		want[key] = randBytes(uint64(1000+i), size)
		put(t, c, "src", key, want[key])
	}
	createSnapshot(t, srv.AdminURL, "src", "r")
	put(t, c, "src", "dir/k0", []byte("changed"))
	put(t, c, "src", "k1", []byte("changed"))
	del(t, c, "src", "dir/k2")
	del(t, c, "src", "k3")
	put(t, c, "src", "extra", []byte("added after"))
	chunksBefore := chunkFiles(t, srv.DataDir)
	if chunksBefore == 0 {
		t.Fatal("no chunk files found: the by-reference check would prove nothing")
	}

	restore(t, srv.AdminURL, "bucket=src&name=r&prefix=dir/")
	got := readAll(t, c, "src")
	if string(got["k1"]) != "changed" || got["k3"] != nil || string(got["extra"]) != "added after" {
		t.Fatalf("a prefix restore changed keys outside the prefix")
	}
	for k, w := range want {
		if strings.HasPrefix(k, "dir/") && !bytes.Equal(got[k], w) {
			t.Fatalf("prefix restore: %s is not as in the snapshot", k)
		}
	}

	restore(t, srv.AdminURL, "bucket=src&name=r&target=other")
	sameContent(t, "restored into another bucket", readAll(t, c, "other"), readAll(t, c, "src--r--snap"))

	restore(t, srv.AdminURL, "bucket=src&name=r")
	want["extra"] = []byte("added after")
	sameContent(t, "restored into its own bucket", readAll(t, c, "src"), want)

	if n := chunkFiles(t, srv.DataDir); n != chunksBefore {
		t.Fatalf("restore stored chunks: %d chunk files, %d before", n, chunksBefore)
	}
	if st, _, _ := testutil.AdminDo(srv.AdminURL, http.MethodPost, "/snapshots/restore?bucket=src&name=nope"); st != http.StatusNotFound {
		t.Fatalf("restore of a missing snapshot: %d, want 404", st)
	}
}

// TestSnapshotReadsNeedRoot: an IAM user allowed everything on S3 (the
// built-in readwrite policy) reads the source bucket but is refused a
// snapshot's GET, HEAD and LIST and a copy out of it; an unsigned request
// is refused too. (Snapshot reads do not follow the source bucket's
// permissions yet, so only root may read them: docs/snapshots.md.)
//
// Shown to fail with the protection removed: with guardSnapshot's root
// check taken out, the user's GET of the snapshot succeeds.
func TestSnapshotReadsNeedRoot(t *testing.T) {
	srv := testutil.Start(t, testutil.Options{})
	root := testutil.S3Client(srv.Endpoint)
	if _, err := root.CreateBucket(bg(), &s3.CreateBucketInput{Bucket: aws.String("priv")}); err != nil {
		t.Fatal(err)
	}
	put(t, root, "priv", "secret", []byte("the snapshot's bytes"))
	createSnapshot(t, srv.AdminURL, "priv", "s")
	adm := &admin.Client{URL: srv.AdminURL, AccessKey: testutil.AccessKey, SecretKey: testutil.SecretKey}
	if err := adm.Do(bg(), "POST", "/admin/users", map[string]any{"name": "bob", "policies": []string{"readwrite"}}, nil); err != nil {
		t.Fatal(err)
	}
	var k iam.NewKey
	if err := adm.Do(bg(), "POST", "/admin/users/bob/keys", map[string]any{"description": "bob"}, &k); err != nil {
		t.Fatal(err)
	}
	bob := s3.New(s3.Options{BaseEndpoint: aws.String(srv.Endpoint), Region: "us-east-1", UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(k.AccessKey, k.SecretKey, ""), RetryMaxAttempts: 1})
	if _, err := bob.GetObject(bg(), &s3.GetObjectInput{Bucket: aws.String("priv"), Key: aws.String("secret")}); err != nil {
		t.Fatalf("bob cannot read the source bucket, so the refusals below would prove nothing: %v", err)
	}
	snap := "priv--s--snap"
	if _, err := bob.GetObject(bg(), &s3.GetObjectInput{Bucket: aws.String(snap), Key: aws.String("secret")}); code(err) != "AccessDenied" {
		t.Fatalf("bob's GET of a snapshot: %v, want AccessDenied", err)
	}
	if _, err := bob.HeadObject(bg(), &s3.HeadObjectInput{Bucket: aws.String(snap), Key: aws.String("secret")}); err == nil {
		t.Fatal("bob's HEAD of a snapshot succeeded")
	}
	if _, err := bob.ListObjectsV2(bg(), &s3.ListObjectsV2Input{Bucket: aws.String(snap)}); code(err) != "AccessDenied" {
		t.Fatalf("bob's LIST of a snapshot: %v, want AccessDenied", err)
	}
	if _, err := bob.CopyObject(bg(), &s3.CopyObjectInput{Bucket: aws.String("priv"), Key: aws.String("stolen"), CopySource: aws.String(snap + "/secret")}); code(err) != "AccessDenied" {
		t.Fatalf("bob's copy out of a snapshot: %v, want AccessDenied", err)
	}
	resp, err := http.Get(srv.Endpoint + "/" + snap + "/secret")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unsigned GET of a snapshot: %d, want 403", resp.StatusCode)
	}
}
