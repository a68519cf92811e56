package meta

import (
	"github.com/cockroachdb/pebble/v2"

	"github.com/anode/anode/internal/s3err"
)

// ErrExpireStale answers an Expire command whose version is no longer the
// one the lifecycle rule saw (it was overwritten, deleted, or already
// expired by an earlier run): the command changed nothing. This is what
// makes a lifecycle action safe to repeat after a leader change or a
// restart.
var ErrExpireStale = s3err.PreconditionFailed.WithMessage("The version changed since the lifecycle rule evaluated it.")

// expire applies one lifecycle action to one version, only if that
// version is still the one the rule saw (its Seq is cmd.IfSeq):
//
//   - cmd.VersionID == "": the key's current version (not a delete
//     marker) expires, as a DeleteObject without a version ID would
//     delete it (a delete marker on top of it when the bucket is
//     versioned);
//   - otherwise that version is removed for good, as DeleteObject with a
//     version ID would: it must be noncurrent, or be a current delete
//     marker with no noncurrent version behind it (an expired object
//     delete marker).
//
// The removal goes through the same code as a client's delete, so Object
// Lock is honoured: a locked version stays and the command answers
// ErrObjectLocked. Lifecycle never bypasses governance retention.
func (sm *StateMachine) expire(b *pebble.Batch, index uint64, cmd *Command) (*Result, error) {
	var cur Version
	found, err := getJSON(b, currentKey(sm.gid, cmd.Bucket, cmd.Key), &cur)
	if err != nil {
		return nil, err
	}
	del := *cmd
	del.Op = OpDeleteObject
	del.BypassGovernance = false
	if cmd.VersionID == "" {
		if !found || cur.Seq != cmd.IfSeq || cur.DeleteMarker {
			return &Result{Err: ErrExpireStale}, nil
		}
		return sm.deleteObject(b, index, &del)
	}
	if found && versionIs(&cur, cmd.VersionID) {
		if cur.Seq != cmd.IfSeq || !cur.DeleteMarker {
			return &Result{Err: ErrExpireStale}, nil
		}
		older := false
		if err := sm.eachNoncurrent(b, cmd.Bucket, cmd.Key, func(*Version) bool { older = true; return false }); err != nil {
			return nil, err
		}
		if older {
			return &Result{Err: ErrExpireStale}, nil
		}
		return sm.deleteVersion(b, index, &del)
	}
	var hit *Version
	err = sm.eachNoncurrent(b, cmd.Bucket, cmd.Key, func(v *Version) bool {
		if versionIs(v, cmd.VersionID) {
			hit = v
			return false
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if hit == nil || hit.Seq != cmd.IfSeq {
		return &Result{Err: ErrExpireStale}, nil
	}
	return sm.deleteVersion(b, index, &del)
}
