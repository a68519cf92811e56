package meta

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"

	"github.com/anode/anode/internal/cluster"
	"github.com/anode/anode/internal/s3err"
)

// Result is what applying a command produced, handed back to the proposer.
// Err is an S3 error when the command was refused (a failed precondition,
// a missing bucket): a refused command changes nothing.
type Result struct {
	Err     error
	Version *Version // the version written, or the delete marker created
	// Deleted is the version a DeleteObject removed for good, if any.
	Deleted *Version
	// Members is the membership after a membership command; Node is the
	// node an AddNode added (or found).
	Members []cluster.Node
	Node    cluster.Node
	// Index is the log index of a SnapshotMark (bucketsnap.go).
	Index uint64
}

// StateMachine applies metadata commands for one group. It implements
// cluster.StateMachine.
type StateMachine struct {
	gid uint64
}

// NewStateMachine returns the state machine of group gid.
func NewStateMachine(gid uint64) *StateMachine { return &StateMachine{gid: gid} }

// Apply applies one committed command. Errors reading or writing Pebble are
// fatal (the node's storage is broken); refused commands return a Result
// with Err set.
func (sm *StateMachine) Apply(b *pebble.Batch, index uint64, data []byte) any {
	cmd, err := DecodeCommand(data)
	if err != nil {
		panic(fmt.Sprintf("group %d entry %d: %v", sm.gid, index, err))
	}
	res, err := sm.apply(b, index, cmd)
	if err != nil {
		panic(fmt.Sprintf("group %d entry %d: apply %v: %v", sm.gid, index, cmd.Op, err))
	}
	return res
}

func (sm *StateMachine) apply(b *pebble.Batch, index uint64, cmd *Command) (*Result, error) {
	refusal, err := sm.admit(b, cmd)
	if err != nil || refusal != nil {
		return &Result{Err: refusal}, err
	}
	switch cmd.Op {
	case OpCreateBucket:
		return sm.createBucket(b, index, cmd)
	case OpDeleteBucket:
		return sm.deleteBucket(b, cmd)
	case OpUpdateBucket:
		return sm.updateBucket(b, cmd)
	case OpPutObject:
		return sm.putObject(b, index, cmd)
	case OpDeleteObject:
		return sm.deleteObject(b, index, cmd)
	case OpCreateUpload:
		return sm.createUpload(b, cmd)
	case OpPutPart:
		return sm.putPart(b, cmd)
	case OpCompleteUpload:
		return sm.completeUpload(b, index, cmd)
	case OpAbortUpload:
		return sm.abortUpload(b, cmd)
	case OpPutTags:
		return sm.putTags(b, cmd)
	case OpSetMembers, OpAddNode, OpRemoveNode:
		return sm.changeMembers(b, cmd)
	case OpPutRetention:
		return sm.putRetention(b, cmd)
	case OpPutLegalHold:
		return sm.putLegalHold(b, cmd)
	case OpExpire:
		return sm.expire(b, index, cmd)
	case OpIAM:
		return sm.applyIAM(b, cmd)
	case OpLockBucket:
		return sm.lockBucket(b, cmd)
	case OpUnlockBucket:
		return sm.unlockBucket(b, cmd)
	case OpCloseBucket:
		return sm.closeBucket(b, cmd)
	case OpOpenBucket:
		return sm.openBucket(b, cmd)
	case OpFence:
		return &Result{}, nil // admit advanced the clock: that is all it does
	case OpPutKMSKey:
		return sm.putKMSKey(b, cmd)
	case OpRewrapDataKey:
		return sm.rewrapDataKey(b, cmd)
	case OpSnapshotMark:
		return sm.snapshotMark(b, index, cmd)
	case OpSnapshotUnmark:
		return sm.snapshotUnmark(b, cmd)
	case OpPutSnapshot:
		return sm.putSnapshot(b, cmd)
	case OpDeleteSnapshot:
		return sm.deleteSnapshot(b, cmd)
	}
	return nil, fmt.Errorf("unknown op %d", cmd.Op)
}

func (sm *StateMachine) createBucket(b *pebble.Batch, index uint64, cmd *Command) (*Result, error) {
	var cur Bucket
	found, err := getJSON(b, bucketKey(cmd.Bucket), &cur)
	if err != nil {
		return nil, err
	}
	if found {
		if cur.Owner == cmd.BucketRecord.Owner {
			return &Result{Err: s3err.BucketAlreadyOwnedByYou}, nil
		}
		return &Result{Err: s3err.BucketAlreadyExists}, nil
	}
	rec := *cmd.BucketRecord
	rec.Incarnation, rec.Deleting = index, nil
	return &Result{}, setJSON(b, bucketKey(cmd.Bucket), &rec)
}

// deleteBucket deletes a bucket's record. It needs the delete lease of the
// DeleteBucket that closed the bucket in every placement group (fence.go),
// and, like the lease, expires at that DeleteBucket's deadline.
func (sm *StateMachine) deleteBucket(b *pebble.Batch, cmd *Command) (*Result, error) {
	var cur Bucket
	found, err := getJSON(b, bucketKey(cmd.Bucket), &cur)
	if err != nil {
		return nil, err
	}
	if !found || cur.Incarnation != cmd.Incarnation {
		return &Result{Err: s3err.NoSuchBucket}, nil
	}
	if cur.Deleting == nil || cur.Deleting.Holder != cmd.Closer {
		return &Result{Err: ErrBucketClosing}, nil
	}
	return &Result{}, b.Delete(bucketKey(cmd.Bucket), nil)
}

// updateBucket replaces a bucket's record if it is still the revision the
// proposer read and edited (compare-and-set), so that two concurrent
// changes of different settings cannot lose one: the loser gets
// ErrBucketChanged and edits the new record again.
func (sm *StateMachine) updateBucket(b *pebble.Batch, cmd *Command) (*Result, error) {
	var cur Bucket
	found, err := getJSON(b, bucketKey(cmd.Bucket), &cur)
	if err != nil {
		return nil, err
	}
	if !found {
		return &Result{Err: s3err.NoSuchBucket}, nil
	}
	if cur.Rev != cmd.BucketRecord.Rev {
		return &Result{Err: ErrBucketChanged}, nil
	}
	if refusal := bucketLockRefusal(&cur, cmd.BucketRecord); refusal != nil {
		return &Result{Err: refusal}, nil
	}
	rec := *cmd.BucketRecord
	rec.Rev++
	// What apply owns is not the proposer's to change.
	rec.Incarnation, rec.Deleting = cur.Incarnation, cur.Deleting
	return &Result{}, setJSON(b, bucketKey(cmd.Bucket), &rec)
}

// ErrBucketChanged refuses an UpdateBucket made from a stale read of the
// bucket's record.
var ErrBucketChanged = s3err.ConditionalRequestConflict.WithMessage("The bucket's configuration changed concurrently; retry.")

// putObject makes cmd.Version the current version of the key. What happens
// to the version it replaces depends on the bucket's versioning state:
// unversioned, it is gone; Enabled, it becomes noncurrent; Suspended, it
// becomes noncurrent unless it is the null version, which is replaced.
func (sm *StateMachine) putObject(b *pebble.Batch, index uint64, cmd *Command) (*Result, error) {
	ck := currentKey(sm.gid, cmd.Bucket, cmd.Key)
	var cur Version
	found, err := getJSON(b, ck, &cur)
	if err != nil {
		return nil, err
	}
	live := found && !cur.DeleteMarker
	if cmd.IfNoneMatch != "" && live && (cmd.IfNoneMatch == "*" || etagMatches(cmd.IfNoneMatch, cur.ETag)) {
		return &Result{Err: s3err.PreconditionFailed}, nil
	}
	if cmd.IfMatch != "" {
		if !live && cmd.IfMatch == "*" {
			// "*" asks only that the key exist (RFC 9110 section 13.1.1).
			return &Result{Err: s3err.PreconditionFailed}, nil
		}
		if !live {
			return &Result{Err: s3err.NoSuchKey}, nil
		}
		if !etagMatches(cmd.IfMatch, cur.ETag) {
			return &Result{Err: s3err.PreconditionFailed}, nil
		}
	}
	if refusal, err := sm.putLockRefusal(b, cmd, &cur, found); err != nil || refusal != nil {
		return &Result{Err: refusal}, err
	}
	v := *cmd.Version
	v.Seq = index
	v.VersionID = newVersionID(cmd.Versioning, index)
	st, err := sm.stats(b)
	if err != nil {
		return nil, err
	}
	if found {
		if err := sm.retire(b, index, cmd, &cur, &st); err != nil {
			return nil, err
		}
	}
	if !v.DeleteMarker {
		st.Objects++
		st.Bytes += v.Size
	}
	if err := setJSON(b, ck, &v); err != nil {
		return nil, err
	}
	return &Result{Version: &v}, setJSON(b, statsKey(sm.gid), &st)
}

// retire handles the current version cur of a key that gets a new current
// version: it is kept as noncurrent or dropped, as versioning says.
func (sm *StateMachine) retire(b *pebble.Batch, index uint64, cmd *Command, cur *Version, st *Stats) error {
	keep := cmd.Versioning == "Enabled" || (cmd.Versioning == "Suspended" && !cur.IsNull())
	if keep {
		if err := setJSON(b, noncurrentKey(sm.gid, cmd.Bucket, cmd.Key, cur.Seq), cur); err != nil {
			return err
		}
		if cmd.Versioning == "Suspended" {
			// The new version is the null version: it replaces the old
			// null version wherever that sits among the noncurrent ones.
			return sm.dropNullNoncurrent(b, index, cmd.Bucket, cmd.Key, st)
		}
		return nil
	}
	if err := sm.preserve(b, cmd.Bucket, cmd.Key, cur, index); err != nil {
		return err
	}
	if !cur.DeleteMarker {
		st.Objects--
		st.Bytes -= cur.Size
	}
	if cmd.Versioning == "Suspended" {
		// A null version may also sit among the noncurrent ones.
		return sm.dropNullNoncurrent(b, index, cmd.Bucket, cmd.Key, st)
	}
	return nil
}

func (sm *StateMachine) dropNullNoncurrent(b *pebble.Batch, index uint64, bucket, key string, st *Stats) error {
	var found *Version
	err := sm.eachNoncurrent(b, bucket, key, func(v *Version) bool {
		if v.IsNull() {
			found = v
			return false
		}
		return true
	})
	if err != nil || found == nil {
		return err
	}
	if err := sm.preserve(b, bucket, key, found, index); err != nil {
		return err
	}
	if !found.DeleteMarker {
		st.Objects--
		st.Bytes -= found.Size
	}
	return b.Delete(noncurrentKey(sm.gid, bucket, key, found.Seq), nil)
}

func (sm *StateMachine) eachNoncurrent(b *pebble.Batch, bucket, key string, fn func(*Version) bool) error {
	p := noncurrentPrefix(sm.gid, bucket, key)
	it, err := b.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		var v Version
		if err := json.Unmarshal(it.Value(), &v); err != nil {
			return fmt.Errorf("noncurrent version: %w", err)
		}
		if !fn(&v) {
			break
		}
	}
	return it.Error()
}

// deleteObject removes a key's current version (unversioned bucket), puts a
// delete marker on top of it (versioning Enabled or Suspended), or, with a
// version ID, removes that version for good.
//
// With IfMatch, the delete happens only if the key's current version is a
// live object whose ETag matches (S3 evaluates conditional deletes against
// the current version only, even when a version ID is named): no live
// object answers NoSuchKey, another ETag PreconditionFailed, and either
// way nothing changes. The check runs here, in apply, so that no write
// can slip in between the check and the delete.
func (sm *StateMachine) deleteObject(b *pebble.Batch, index uint64, cmd *Command) (*Result, error) {
	ck := currentKey(sm.gid, cmd.Bucket, cmd.Key)
	var cur Version
	found, err := getJSON(b, ck, &cur)
	if err != nil {
		return nil, err
	}
	if cmd.IfMatch != "" {
		if !found || cur.DeleteMarker {
			return &Result{Err: s3err.NoSuchKey}, nil
		}
		if !etagMatches(cmd.IfMatch, cur.ETag) {
			return &Result{Err: s3err.PreconditionFailed}, nil
		}
	}
	if cmd.VersionID != "" {
		return sm.deleteVersion(b, index, cmd)
	}
	if cmd.Versioning == "" {
		if !found {
			return &Result{}, nil
		}
		if refusal := lockRefusal(&cur, cmd); refusal != nil {
			return &Result{Err: refusal}, nil
		}
		st, err := sm.stats(b)
		if err != nil {
			return nil, err
		}
		if err := sm.preserve(b, cmd.Bucket, cmd.Key, &cur, index); err != nil {
			return nil, err
		}
		st.Objects--
		st.Bytes -= cur.Size
		if err := b.Delete(ck, nil); err != nil {
			return nil, err
		}
		return &Result{Deleted: &cur}, setJSON(b, statsKey(sm.gid), &st)
	}
	marker := &Command{
		Op: OpPutObject, Time: cmd.Time, Bucket: cmd.Bucket, Key: cmd.Key, Versioning: cmd.Versioning,
		BypassGovernance: cmd.BypassGovernance,
		Version:          &Version{DeleteMarker: true, Modified: cmd.Time},
	}
	return sm.putObject(b, index, marker)
}

func (sm *StateMachine) deleteVersion(b *pebble.Batch, index uint64, cmd *Command) (*Result, error) {
	st, err := sm.stats(b)
	if err != nil {
		return nil, err
	}
	ck := currentKey(sm.gid, cmd.Bucket, cmd.Key)
	var cur Version
	found, err := getJSON(b, ck, &cur)
	if err != nil {
		return nil, err
	}
	if found && versionIs(&cur, cmd.VersionID) {
		if refusal := lockRefusal(&cur, cmd); refusal != nil {
			return &Result{Err: refusal}, nil
		}
		if err := sm.preserve(b, cmd.Bucket, cmd.Key, &cur, index); err != nil {
			return nil, err
		}
		if err := b.Delete(ck, nil); err != nil {
			return nil, err
		}
		// Promote the newest noncurrent version, if any.
		var next *Version
		if err := sm.eachNoncurrent(b, cmd.Bucket, cmd.Key, func(v *Version) bool { next = v; return false }); err != nil {
			return nil, err
		}
		if next != nil {
			if err := b.Delete(noncurrentKey(sm.gid, cmd.Bucket, cmd.Key, next.Seq), nil); err != nil {
				return nil, err
			}
			if err := setJSON(b, ck, next); err != nil {
				return nil, err
			}
		}
		return sm.removed(b, &cur, &st)
	}
	var victim *Version
	err = sm.eachNoncurrent(b, cmd.Bucket, cmd.Key, func(v *Version) bool {
		if versionIs(v, cmd.VersionID) {
			victim = v
			return false
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if victim == nil {
		// S3 answers a delete of a version that does not exist with success.
		return &Result{}, nil
	}
	if refusal := lockRefusal(victim, cmd); refusal != nil {
		return &Result{Err: refusal}, nil
	}
	if err := sm.preserve(b, cmd.Bucket, cmd.Key, victim, index); err != nil {
		return nil, err
	}
	if err := b.Delete(noncurrentKey(sm.gid, cmd.Bucket, cmd.Key, victim.Seq), nil); err != nil {
		return nil, err
	}
	return sm.removed(b, victim, &st)
}

func (sm *StateMachine) removed(b *pebble.Batch, v *Version, st *Stats) (*Result, error) {
	if !v.DeleteMarker {
		st.Objects--
		st.Bytes -= v.Size
	}
	return &Result{Deleted: v}, setJSON(b, statsKey(sm.gid), st)
}

func versionIs(v *Version, id string) bool {
	if id == NullVersion {
		return v.IsNull()
	}
	return v.VersionID == id
}

func newVersionID(versioning string, seq uint64) string {
	switch versioning {
	case "Enabled":
		return versionIDFor(seq)
	case "Suspended":
		return NullVersion
	}
	return ""
}

// etagMatches compares an If-Match/If-None-Match value (quoted or not, or a
// comma-separated list) with a stored unquoted ETag.
func etagMatches(cond, etag string) bool {
	for _, c := range splitETags(cond) {
		if c == "*" || c == etag {
			return true
		}
	}
	return false
}

func (sm *StateMachine) stats(b *pebble.Batch) (Stats, error) {
	var st Stats
	_, err := getJSON(b, statsKey(sm.gid), &st)
	return st, err
}

type getter interface {
	Get(key []byte) ([]byte, io.Closer, error)
}

func getJSON(r getter, key []byte, v any) (bool, error) {
	val, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer closer.Close()
	if err := json.Unmarshal(val, v); err != nil {
		return false, fmt.Errorf("decode %q: %w", key, err)
	}
	return true, nil
}

func setJSON(b *pebble.Batch, key []byte, v any) error {
	val, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Set(key, val, nil)
}
