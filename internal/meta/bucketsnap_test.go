package meta

import (
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

func (g *groups) count(p []byte) int {
	g.t.Helper()
	it, err := g.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		g.t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for it.First(); it.Valid(); it.Next() {
		n++
	}
	return n
}

// TestSnapshotKeepsAndReleasesVersions applies writes around a marker in
// one group: the versions the marker needs are kept as hidden records and
// found by versionAt; dropping the marker removes the marker and them.
func TestSnapshotKeepsAndReleasesVersions(t *testing.T) {
	g := newGroups(t)
	g.apply(SystemGroup, &Command{Op: OpCreateBucket, Bucket: "b", BucketRecord: &Bucket{Name: "b"}})
	inc := g.bucket("b").Incarnation
	putv := func(key, etag string) {
		if r := g.apply(1, &Command{Op: OpPutObject, Bucket: "b", Key: key, Incarnation: inc, Version: &Version{ETag: etag}}); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	putv("a", "a1")
	putv("b", "b1")
	mark := g.apply(1, &Command{Op: OpSnapshotMark, Bucket: "b", Key: "s", Incarnation: inc, SnapToken: "t1"})
	if mark.Err != nil || mark.Index != g.index {
		t.Fatalf("mark: %v, index %d (entry %d)", mark.Err, mark.Index, g.index)
	}
	putv("a", "a2")
	g.apply(1, &Command{Op: OpDeleteObject, Bucket: "b", Key: "b", Incarnation: inc})
	putv("c", "c1")
	for key, want := range map[string]string{"a": "a1", "b": "b1", "c": ""} {
		v, err := versionAt(g.db, 1, "b", key, mark.Index)
		if err != nil {
			t.Fatal(err)
		}
		if got := ""; v != nil {
			got = v.ETag
			if got != want {
				t.Errorf("%s at the mark: %q, want %q", key, got, want)
			}
		} else if want != "" {
			t.Errorf("%s at the mark: none, want %q", key, want)
		}
	}
	if n := g.count(bucketObjectsPrefix(1, kindHidden, "b")); n != 2 {
		t.Fatalf("%d hidden versions, want 2", n)
	}
	g.apply(1, &Command{Op: OpSnapshotUnmark, Bucket: "b", Seq: mark.Index})
	if n := g.count(bucketObjectsPrefix(1, kindHidden, "b")) + g.count(bucketObjectsPrefix(1, kindMarker, "b")); n != 0 {
		t.Fatalf("%d hidden versions and markers left after the unmark", n)
	}
}

// TestUnmarkByToken drops the markers of a failed attempt by its token and
// leaves another attempt's.
func TestUnmarkByToken(t *testing.T) {
	g := newGroups(t)
	g.apply(SystemGroup, &Command{Op: OpCreateBucket, Bucket: "b", BucketRecord: &Bucket{Name: "b"}})
	inc := g.bucket("b").Incarnation
	g.apply(1, &Command{Op: OpSnapshotMark, Bucket: "b", Key: "s", Incarnation: inc, SnapToken: "failed"})
	keep := g.apply(1, &Command{Op: OpSnapshotMark, Bucket: "b", Key: "s", Incarnation: inc, SnapToken: "good"})
	g.apply(1, &Command{Op: OpSnapshotUnmark, Bucket: "b", SnapToken: "failed"})
	ms, err := NewStateMachine(1).markers(g.db, "b")
	if err != nil || len(ms) != 1 || ms[0] != keep.Index {
		t.Fatalf("markers after unmarking the failed attempt: %v %v, want [%d]", ms, err, keep.Index)
	}
}
