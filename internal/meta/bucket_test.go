package meta

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestUpdateBucketIsCompareAndSet applies two updates made from the same
// read of a bucket: the second must be refused, not overwrite the first.
func TestUpdateBucketIsCompareAndSet(t *testing.T) {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sm := NewStateMachine(SystemGroup)
	b := db.NewIndexedBatch()
	apply := func(c *Command) *Result {
		data, err := c.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return sm.Apply(b, 2, data).(*Result)
	}
	if r := apply(&Command{Op: OpCreateBucket, Bucket: "b", BucketRecord: &Bucket{Name: "b"}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	read := Bucket{Name: "b"} // both writers read revision 0
	versioning, tags := read, read
	versioning.Versioning = "Enabled"
	tags.Tags = map[string]string{"k": "v"}
	if r := apply(&Command{Op: OpUpdateBucket, Bucket: "b", BucketRecord: &versioning}); r.Err != nil {
		t.Fatal(r.Err)
	}
	if r := apply(&Command{Op: OpUpdateBucket, Bucket: "b", BucketRecord: &tags}); !errors.Is(r.Err, ErrBucketChanged) {
		t.Fatalf("a stale update applied (err %v)", r.Err)
	}
	var got Bucket
	if _, err := getJSON(b, bucketKey("b"), &got); err != nil {
		t.Fatal(err)
	}
	if got.Versioning != "Enabled" || got.Rev != 1 {
		t.Fatalf("bucket after updates: %+v", got)
	}
}
