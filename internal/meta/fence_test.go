package meta

import (
	"errors"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/anode/anode/internal/s3err"
)

// groups is a node's metadata under test: the system group and one
// placement group, applied straight into one Pebble, entry by entry, as
// the raft host would.
type groups struct {
	t     *testing.T
	db    *pebble.DB
	index uint64
}

func newGroups(t *testing.T) *groups {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &groups{t: t, db: db}
}

// apply applies c to group gid as the next entry and returns its result.
func (g *groups) apply(gid uint64, c *Command) *Result {
	g.t.Helper()
	data, err := c.Encode()
	if err != nil {
		g.t.Fatal(err)
	}
	g.index++
	b := g.db.NewIndexedBatch()
	res := NewStateMachine(gid).Apply(b, g.index, data).(*Result)
	if err := b.Commit(pebble.NoSync); err != nil {
		g.t.Fatal(err)
	}
	return res
}

func (g *groups) bucket(name string) *Bucket {
	g.t.Helper()
	var b Bucket
	found, err := getJSON(g.db, bucketKey(name), &b)
	if err != nil || !found {
		g.t.Fatalf("bucket %s: found %v, %v", name, found, err)
	}
	return &b
}

func (g *groups) current(gid uint64, bucket, key string) *Version {
	var v Version
	found, err := getJSON(g.db, currentKey(gid, bucket, key), &v)
	if err != nil {
		g.t.Fatal(err)
	}
	if !found {
		return nil
	}
	return &v
}

const pg = 1 // the placement group of the tests

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

func put(bucket string, inc uint64, key, etag string, at int64) *Command {
	return &Command{Op: OpPutObject, Time: at, Bucket: bucket, Key: key, Incarnation: inc,
		Version: &Version{ETag: etag, Size: 1, Modified: at}}
}

// TestApplyRefusesLateCommand: a command whose deadline (plus the clock
// margin) is before a command the group already applied is refused and
// changes nothing; one within its deadline applies. With the deadline check
// removed from admit, the late PUT overwrites the key and the test fails.
func TestApplyRefusesLateCommand(t *testing.T) {
	g := newGroups(t)
	sec := int64(time.Second)
	if r := g.apply(pg, put("b", 0, "k", "first", t0)); r.Err != nil {
		t.Fatal(r.Err)
	}
	// Proposed at t0 with a 10 s deadline, it reaches apply after a write
	// stamped t0+20s (say it sat in a queue during a partition).
	late := put("b", 0, "k", "late", t0)
	late.Deadline = t0 + 10*sec
	if r := g.apply(pg, put("b", 0, "k", "second", t0+20*sec)); r.Err != nil {
		t.Fatal(r.Err)
	}
	if r := g.apply(pg, late); !errors.Is(r.Err, ErrCommandExpired) {
		t.Fatalf("late command: err %v, want ErrCommandExpired", r.Err)
	}
	if v := g.current(pg, "b", "k"); v == nil || v.ETag != "second" {
		t.Fatalf("after the late command the key is %+v, want the second write", v)
	}
	// Within the margin: a deadline 1 s before the group's clock is skew,
	// not lateness.
	skewed := put("b", 0, "k", "skewed", t0+19*sec)
	skewed.Deadline = t0 + 19*sec
	if r := g.apply(pg, skewed); r.Err != nil {
		t.Fatalf("command within the clock margin refused: %v", r.Err)
	}
	// A fence advances the clock without writing anything else.
	if r := g.apply(pg, &Command{Op: OpFence, Time: t0 + 60*sec}); r.Err != nil {
		t.Fatal(r.Err)
	}
	fenced := put("b", 0, "k", "fenced", t0+30*sec)
	fenced.Deadline = t0 + 50*sec
	if r := g.apply(pg, fenced); !errors.Is(r.Err, ErrCommandExpired) {
		t.Fatalf("command older than a fence: err %v, want ErrCommandExpired", r.Err)
	}
	// Every kind of command obeys it, deletes too.
	del := &Command{Op: OpDeleteObject, Time: t0, Deadline: t0 + sec, Bucket: "b", Key: "k"}
	if r := g.apply(pg, del); !errors.Is(r.Err, ErrCommandExpired) || g.current(pg, "b", "k") == nil {
		t.Fatalf("late delete: err %v, key %+v", r.Err, g.current(pg, "b", "k"))
	}
}

// TestApplyRefusesDeadBucket walks a PUT that races DeleteBucket: once the
// bucket is closed in the group, a PUT of its incarnation is refused;
// after the bucket is deleted and created again, the old incarnation's
// late PUT is still refused, so the object never reappears in the new
// bucket, while the new incarnation's PUTs apply. With the incarnation
// check removed from admit, the late PUT lands in the new bucket and the
// test fails.
func TestApplyRefusesDeadBucket(t *testing.T) {
	g := newGroups(t)
	if r := g.apply(SystemGroup, &Command{Op: OpCreateBucket, Time: t0, Bucket: "b", BucketRecord: &Bucket{Name: "b"}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	inc1 := g.bucket("b").Incarnation
	if inc1 == 0 {
		t.Fatal("a created bucket has no incarnation")
	}
	// A PUT before the close makes the close fail: the bucket is not empty.
	if r := g.apply(pg, put("b", inc1, "early", "e", t0)); r.Err != nil {
		t.Fatal(r.Err)
	}
	lease := t0 + int64(30*time.Second)
	if r := g.apply(SystemGroup, &Command{Op: OpLockBucket, Time: t0, Deadline: lease, Bucket: "b", Incarnation: inc1, Closer: "d1"}); r.Err != nil {
		t.Fatal(r.Err)
	}
	if r := g.apply(pg, &Command{Op: OpCloseBucket, Time: t0, Deadline: lease, Bucket: "b", Incarnation: inc1}); !errors.Is(r.Err, s3err.BucketNotEmpty) {
		t.Fatalf("close of a group holding an object: %v", r.Err)
	}
	// Another DeleteBucket cannot take the lease while it lasts.
	if r := g.apply(SystemGroup, &Command{Op: OpLockBucket, Time: t0, Bucket: "b", Incarnation: inc1, Closer: "d2"}); !errors.Is(r.Err, ErrBucketClosing) {
		t.Fatalf("second lease: %v", r.Err)
	}
	if r := g.apply(pg, &Command{Op: OpDeleteObject, Time: t0, Bucket: "b", Key: "early", Incarnation: inc1}); r.Err != nil {
		t.Fatal(r.Err)
	}
	if r := g.apply(pg, &Command{Op: OpCloseBucket, Time: t0, Deadline: lease, Bucket: "b", Incarnation: inc1}); r.Err != nil {
		t.Fatal(r.Err)
	}
	// The racing PUT, proposed when the bucket was still there.
	racing := put("b", inc1, "racer", "r", t0)
	if r := g.apply(pg, racing); !errors.Is(r.Err, ErrBucketClosing) {
		t.Fatalf("PUT into a closed bucket: %v, want ErrBucketClosing", r.Err)
	}
	// Deleting the record needs the lease.
	if r := g.apply(SystemGroup, &Command{Op: OpDeleteBucket, Time: t0, Bucket: "b", Incarnation: inc1, Closer: "d2"}); !errors.Is(r.Err, ErrBucketClosing) {
		t.Fatalf("delete without the lease: %v", r.Err)
	}
	if r := g.apply(SystemGroup, &Command{Op: OpDeleteBucket, Time: t0, Deadline: lease, Bucket: "b", Incarnation: inc1, Closer: "d1"}); r.Err != nil {
		t.Fatal(r.Err)
	}
	if r := g.apply(SystemGroup, &Command{Op: OpCreateBucket, Time: t0, Bucket: "b", BucketRecord: &Bucket{Name: "b"}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	inc2 := g.bucket("b").Incarnation
	if inc2 <= inc1 {
		t.Fatalf("re-created bucket's incarnation %d, not above %d", inc2, inc1)
	}
	if r := g.apply(pg, put("b", inc2, "new", "n", t0)); r.Err != nil {
		t.Fatalf("PUT into the new bucket: %v", r.Err)
	}
	if r := g.apply(pg, racing); r.Err == nil || g.current(pg, "b", "racer") != nil {
		t.Fatalf("the racing PUT of the dead bucket applied in the new one (err %v)", r.Err)
	}
	// The new bucket's first DeleteBucket moves the floor past the old one.
	if r := g.apply(pg, &Command{Op: OpDeleteObject, Time: t0, Bucket: "b", Key: "new", Incarnation: inc2}); r.Err != nil {
		t.Fatal(r.Err)
	}
	if r := g.apply(pg, &Command{Op: OpCloseBucket, Time: t0, Bucket: "b", Incarnation: inc2}); r.Err != nil {
		t.Fatal(r.Err)
	}
	if r := g.apply(pg, &Command{Op: OpOpenBucket, Time: t0, Bucket: "b", Incarnation: inc2}); r.Err != nil {
		t.Fatal(r.Err)
	}
	if r := g.apply(pg, racing); !errors.Is(r.Err, s3err.NoSuchBucket) {
		t.Fatalf("dead incarnation after a newer close: %v, want NoSuchBucket", r.Err)
	}
	if r := g.apply(pg, put("b", inc2, "again", "a", t0)); r.Err != nil {
		t.Fatalf("PUT into the reopened bucket: %v", r.Err)
	}
}

// TestApplyRetriedComplete: a CompleteUpload applied again after the first
// one succeeded (the client's answer was lost, or the retry was proposed
// while the first was in flight) answers the same version, not
// NoSuchUpload; a completion of another key with that ID does not; and
// the record expires CompletedUploadTTL later by the group's clock.
func TestApplyRetriedComplete(t *testing.T) {
	g := newGroups(t)
	const id = "0123456789abcdef0123456789abcdef"
	if r := g.apply(pg, &Command{Op: OpCreateUpload, Time: t0, Bucket: "b", Key: "k",
		Upload: &Upload{ID: id, Bucket: "b", Key: "k", Initiated: t0}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	part := &Part{Number: 1, Size: 5, ETag: "p1"}
	if r := g.apply(pg, &Command{Op: OpPutPart, Time: t0, Bucket: "b", Key: "k", UploadID: id, Part: part}); r.Err != nil {
		t.Fatal(r.Err)
	}
	complete := &Command{Op: OpCompleteUpload, Time: t0, Bucket: "b", Key: "k", UploadID: id,
		Version: &Version{ETag: "x-1", Size: 5, Parts: []PartInfo{{Number: 1, Size: 5, ETag: "p1"}}}}
	first := g.apply(pg, complete)
	if first.Err != nil {
		t.Fatal(first.Err)
	}
	again := g.apply(pg, complete)
	if again.Err != nil || again.Version == nil || again.Version.Seq != first.Version.Seq || again.Version.ETag != "x-1" {
		t.Fatalf("retried completion: %+v, want the first one's version %+v", again, first.Version)
	}
	other := *complete
	other.Key = "other"
	if r := g.apply(pg, &other); !errors.Is(r.Err, s3err.NoSuchUpload) {
		t.Fatalf("completion of the same ID into another key: %v, want NoSuchUpload", r.Err)
	}
	// A day later (by the group's clock, moved by any command), the next
	// completion expires the record.
	day := t0 + int64(CompletedUploadTTL) + 1
	const id2 = "fedcba9876543210fedcba9876543210"
	g.apply(pg, &Command{Op: OpCreateUpload, Time: day, Bucket: "b", Key: "k2", Upload: &Upload{ID: id2, Bucket: "b", Key: "k2"}})
	g.apply(pg, &Command{Op: OpPutPart, Time: day, Bucket: "b", Key: "k2", UploadID: id2, Part: part})
	c2 := *complete
	c2.Key, c2.UploadID, c2.Time = "k2", id2, day
	if r := g.apply(pg, &c2); r.Err != nil {
		t.Fatal(r.Err)
	}
	if found, _ := getJSON(g.db, completedKey(pg, id), &completedUpload{}); found {
		t.Fatal("a completed-upload record outlived CompletedUploadTTL")
	}
	if r := g.apply(pg, complete); !errors.Is(r.Err, s3err.NoSuchUpload) {
		t.Fatalf("completion retried after expiry: %v, want NoSuchUpload", r.Err)
	}
}

// TestApplyConditionalDelete: If-Match on DeleteObject is decided in apply
// against the current version, with or without a version ID.
func TestApplyConditionalDelete(t *testing.T) {
	g := newGroups(t)
	g.apply(pg, put("b", 0, "k", "e1", t0))
	if r := g.apply(pg, &Command{Op: OpDeleteObject, Time: t0, Bucket: "b", Key: "k", IfMatch: `"e2"`}); !errors.Is(r.Err, s3err.PreconditionFailed) {
		t.Fatalf("mismatch: %v", r.Err)
	}
	if r := g.apply(pg, &Command{Op: OpDeleteObject, Time: t0, Bucket: "b", Key: "nope", IfMatch: "*"}); !errors.Is(r.Err, s3err.NoSuchKey) {
		t.Fatalf("missing key: %v", r.Err)
	}
	if g.current(pg, "b", "k") == nil {
		t.Fatal("a refused conditional delete deleted the key")
	}
	if r := g.apply(pg, &Command{Op: OpDeleteObject, Time: t0, Bucket: "b", Key: "k", IfMatch: `"e1"`}); r.Err != nil || g.current(pg, "b", "k") != nil {
		t.Fatalf("matching delete: %v, key %+v", r.Err, g.current(pg, "b", "k"))
	}
}
