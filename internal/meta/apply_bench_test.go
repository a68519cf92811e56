package meta

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// BenchmarkApplyPut measures the state machine's apply of a PutObject
// command (decode, read the current version, write the new one and the
// group's stats) into an indexed batch, as the raft host does.
func BenchmarkApplyPut(b *testing.B) {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), Logger: quiet{}})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	sm := NewStateMachine(1)
	cmds := make([][]byte, 1024)
	for i := range cmds {
		c := &Command{Op: OpPutObject, Time: 1, Bucket: "bench", Key: fmt.Sprintf("key-%d", i),
			Version: &Version{Size: 4096, ETag: "0123456789abcdef0123456789abcdef", Inline: make([]byte, 4096)}}
		if cmds[i], err = c.Encode(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	batch := db.NewIndexedBatch()
	for i := 0; i < b.N; i++ {
		res := sm.Apply(batch, uint64(i+2), cmds[i%len(cmds)]).(*Result)
		if res.Err != nil {
			b.Fatal(res.Err)
		}
		if i%64 == 63 {
			if err := batch.Commit(pebble.NoSync); err != nil {
				b.Fatal(err)
			}
			batch = db.NewIndexedBatch()
		}
	}
}

// TestApplyIsDeterministic applies the same commands to two state machines
// and compares the resulting state byte for byte.
func TestApplyIsDeterministic(t *testing.T) {
	var snaps [2][]byte
	for n := range snaps {
		db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), Logger: quiet{}})
		if err != nil {
			t.Fatal(err)
		}
		sm := NewStateMachine(3)
		batch := db.NewIndexedBatch()
		for i := 0; i < 200; i++ {
			c := &Command{Op: OpPutObject, Time: int64(i), Bucket: "b", Key: fmt.Sprintf("k%d", i%17),
				Versioning: []string{"", "Enabled", "Suspended"}[i%3],
				Version:    &Version{Size: int64(i), ETag: fmt.Sprint(i)}}
			if i%5 == 0 {
				c = &Command{Op: OpDeleteObject, Time: int64(i), Bucket: "b", Key: fmt.Sprintf("k%d", i%7), Versioning: "Enabled"}
			}
			data, err := c.Encode()
			if err != nil {
				t.Fatal(err)
			}
			sm.Apply(batch, uint64(i+2), data)
		}
		if err := batch.Commit(pebble.Sync); err != nil {
			t.Fatal(err)
		}
		if snaps[n], err = sm.Snapshot(db); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	if len(snaps[0]) == 0 || string(snaps[0]) != string(snaps[1]) {
		t.Fatalf("two replicas applying the same log differ (%d vs %d bytes of state)", len(snaps[0]), len(snaps[1]))
	}
}

type quiet struct{}

func (quiet) Infof(string, ...any)  {}
func (quiet) Errorf(string, ...any) {}
func (quiet) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}
