package meta

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/anode/anode/internal/s3err"
)

// Rules that apply, not the proposer, enforces, so that no race between a
// proposal and its commit can break them:
//
//   - Deadlines. Every command carries the proposer's clock reading (Time)
//     and may carry a deadline. Each group keeps its applied clock: the
//     largest Time of any command it applied. A command whose deadline
//     plus ClockMargin is before the applied clock is refused
//     (ErrCommandExpired) and changes nothing. So once any command stamped
//     later than D+ClockMargin has applied in a group (another write, or
//     the fence a proposer sends when it gives up waiting, or the fence of
//     a garbage collection pass), no command whose deadline is D can ever
//     apply there. The rule is deterministic: it uses only what is in the
//     log, so every replica decides the same.
//
//   - Bucket incarnations. A bucket's incarnation is the system-group index
//     of the CreateBucket that made it: a re-created bucket has a larger
//     one. Every object command carries the incarnation the proposer read.
//     DeleteBucket (object.Service.DeleteBucket) takes a lease on the
//     bucket's record in the system group (OpLockBucket, so that one
//     DeleteBucket runs at a time), closes the bucket in every placement
//     group (OpCloseBucket: refused if the group holds anything of the
//     bucket), and only then deletes the record (OpDeleteBucket, which
//     needs the lease and expires with it). A closed group refuses every
//     command of that incarnation, and a group that saw a newer one
//     refuses every older one. A PUT racing a DeleteBucket therefore
//     either lands before the close (and the delete fails with
//     BucketNotEmpty) or is refused: it never lands in the dead bucket and
//     never reappears when the name is created again. A DeleteBucket that
//     fails to close every group reopens those it closed (OpOpenBucket,
//     with the lease's deadline); if every close and reopen had a definite
//     outcome it then releases the lease (OpUnlockBucket), otherwise the
//     lease runs out, so that no reopen of it can land after the next
//     DeleteBucket's closes. One that stops halfway (its node died) leaves
//     groups closed (object writes there answer 409 OperationAborted) until
//     a DeleteBucket retried after the lease ran out finishes or undoes it.
//
// Clock assumption: node clocks agree to within ClockMargin (NTP keeps them
// within milliseconds). A node whose clock runs ahead by more makes the
// others' commands expire early: they fail with 503 and change nothing;
// safety does not depend on the assumption, only availability does. The
// garbage collector's argument (internal/chunk/gc.go) uses the same rule
// and budgets for the margin.
const ClockMargin = 2 * time.Second

// ErrCommandExpired refuses a command whose deadline passed before it
// applied. The command had no effect, so retrying is safe.
var ErrCommandExpired = s3err.ServiceUnavailable.WithMessage("The request's deadline passed before it could be committed; it had no effect. Retry.")

// ErrBucketClosing refuses an object command for a bucket a DeleteBucket is
// deleting (or was deleting when it stopped halfway: retrying DeleteBucket
// finishes or undoes it).
var ErrBucketClosing = s3err.OperationAborted.WithMessage("The bucket is being deleted. Please try again.")

// Keys of the rules' state, in each group's span:
//
//	'm' gid 'k'              applied clock: largest Time applied (8 bytes)
//	'm' gid 'd' bucket       bucketFence of a bucket name
const (
	kindClock = 'k'
	kindFence = 'd'
)

func clockKey(gid uint64) []byte { return groupPrefix(gid, kindClock) }

func fenceKey(gid uint64, bucket string) []byte {
	return append(groupPrefix(gid, kindFence), bucket...)
}

// bucketFence is what a placement group knows of a bucket name's deleted
// and closing incarnations.
type bucketFence struct {
	// Floor: commands of incarnations below it are refused (those buckets
	// were deleted).
	Floor uint64 `json:"floor,omitempty"`
	// Closing is the incarnation a DeleteBucket closed here, if Closed.
	Closing uint64 `json:"closing,omitempty"`
	Closed  bool   `json:"closed,omitempty"`
}

func (f *bucketFence) refuses(inc uint64) error {
	switch {
	case inc < f.Floor:
		return s3err.NoSuchBucket
	case f.Closed && inc == f.Closing:
		return ErrBucketClosing
	}
	return nil
}

// objectOp reports whether op changes a bucket's objects or uploads (and
// so carries the bucket's incarnation).
func objectOp(op Op) bool {
	switch op {
	case OpPutObject, OpDeleteObject, OpCreateUpload, OpPutPart, OpCompleteUpload, OpAbortUpload, OpPutTags,
		OpPutRetention, OpPutLegalHold, OpExpire, OpSnapshotMark:
		return true
	}
	return false
}

// admit applies the rules above to cmd before it is applied: it returns a
// refusal, or nil after advancing the group's applied clock.
func (sm *StateMachine) admit(b *pebble.Batch, cmd *Command) (error, error) {
	clock, err := sm.clock(b)
	if err != nil {
		return nil, err
	}
	if cmd.Deadline != 0 && cmd.Deadline+int64(ClockMargin) < clock {
		return ErrCommandExpired, nil
	}
	// A command in time moves the clock even if refused below: its stamp
	// is as good a witness of the time as any.
	if cmd.Time > clock {
		if err := b.Set(clockKey(sm.gid), binary.BigEndian.AppendUint64(nil, uint64(cmd.Time)), nil); err != nil {
			return nil, err
		}
	}
	if objectOp(cmd.Op) {
		f, err := sm.fence(b, cmd.Bucket)
		if err != nil {
			return nil, err
		}
		if refusal := f.refuses(cmd.Incarnation); refusal != nil {
			return refusal, nil
		}
	}
	return nil, nil
}

// clock returns the group's applied clock (unix nanoseconds).
func (sm *StateMachine) clock(r getter) (int64, error) {
	v, closer, err := r.Get(clockKey(sm.gid))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, fmt.Errorf("group %d: applied clock of %d bytes", sm.gid, len(v))
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

func (sm *StateMachine) fence(r getter, bucket string) (*bucketFence, error) {
	var f bucketFence
	if _, err := getJSON(r, fenceKey(sm.gid, bucket), &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// closeBucket closes incarnation cmd.Incarnation of cmd.Bucket in this
// group, unless the group still holds any object version, delete marker or
// upload of the bucket (BucketNotEmpty). Closing an incarnation already
// deleted succeeds (a retry).
func (sm *StateMachine) closeBucket(b *pebble.Batch, cmd *Command) (*Result, error) {
	f, err := sm.fence(b, cmd.Bucket)
	if err != nil {
		return nil, err
	}
	inc := cmd.Incarnation
	if inc < f.Floor {
		return &Result{}, nil // long dead
	}
	// A snapshot's marker or hidden versions keep the bucket too: its
	// snapshots must be deleted first (bucketsnap.go).
	for _, kind := range []byte{kindCurrent, kindNoncurrent, kindUpload, kindMarker, kindHidden} {
		p := bucketObjectsPrefix(sm.gid, kind, cmd.Bucket)
		it, err := b.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
		if err != nil {
			return nil, err
		}
		found := it.First()
		if err := it.Close(); err != nil {
			return nil, err
		}
		if found {
			return &Result{Err: s3err.BucketNotEmpty}, nil
		}
	}
	// Incarnation inc exists, so every older one was deleted.
	f.Floor = max(f.Floor, inc)
	f.Closing, f.Closed = inc, true
	return &Result{}, setJSON(b, fenceKey(sm.gid, cmd.Bucket), f)
}

// openBucket reopens incarnation cmd.Incarnation (its DeleteBucket failed):
// the group accepts its commands again.
func (sm *StateMachine) openBucket(b *pebble.Batch, cmd *Command) (*Result, error) {
	f, err := sm.fence(b, cmd.Bucket)
	if err != nil {
		return nil, err
	}
	if !f.Closed || f.Closing != cmd.Incarnation {
		return &Result{}, nil
	}
	f.Closed = false
	return &Result{}, setJSON(b, fenceKey(sm.gid, cmd.Bucket), f)
}

// deleteLease is a DeleteBucket's hold on a bucket record: while it lasts,
// no other DeleteBucket of the bucket may run, and only its holder may
// delete the record.
type deleteLease struct {
	Holder string `json:"holder"`
	Until  int64  `json:"until"` // unix nanoseconds: the holder's deadline
}

// leaseGap is how long past a lease's end (by the system group's applied
// clock) another DeleteBucket must wait to take it over: long enough that
// every command of the old holder (whose deadlines are the lease's end)
// is refused wherever it lands late, even across ClockMargin of skew.
const leaseGap = 3 * ClockMargin

// lockBucket gives cmd.Closer the delete lease of incarnation
// cmd.Incarnation of cmd.Bucket, until cmd.Deadline.
func (sm *StateMachine) lockBucket(b *pebble.Batch, cmd *Command) (*Result, error) {
	var cur Bucket
	found, err := getJSON(b, bucketKey(cmd.Bucket), &cur)
	if err != nil {
		return nil, err
	}
	if !found || cur.Incarnation != cmd.Incarnation {
		return &Result{Err: s3err.NoSuchBucket}, nil
	}
	clock, err := sm.clock(b)
	if err != nil {
		return nil, err
	}
	if l := cur.Deleting; l != nil && l.Holder != cmd.Closer && l.Until+int64(leaseGap) >= clock {
		// Another DeleteBucket holds it, or held it too recently: its
		// reopens (deadline l.Until) could still land after our closes.
		return &Result{Err: ErrBucketClosing}, nil
	}
	cur.Deleting = &deleteLease{Holder: cmd.Closer, Until: cmd.Deadline}
	cur.Rev++
	return &Result{}, setJSON(b, bucketKey(cmd.Bucket), &cur)
}

// unlockBucket releases cmd.Closer's delete lease. Only its holder can, so
// an unlock that lands late changes nothing.
func (sm *StateMachine) unlockBucket(b *pebble.Batch, cmd *Command) (*Result, error) {
	var cur Bucket
	found, err := getJSON(b, bucketKey(cmd.Bucket), &cur)
	if err != nil {
		return nil, err
	}
	if !found || cur.Incarnation != cmd.Incarnation || cur.Deleting == nil || cur.Deleting.Holder != cmd.Closer {
		return &Result{}, nil
	}
	cur.Deleting = nil
	cur.Rev++
	return &Result{}, setJSON(b, bucketKey(cmd.Bucket), &cur)
}
