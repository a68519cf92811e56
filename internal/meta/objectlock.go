package meta

import (
	"github.com/cockroachdb/pebble/v2"

	"github.com/anode/anode/internal/s3err"
)

// Object Lock retention modes.
const (
	LockGovernance = "GOVERNANCE"
	LockCompliance = "COMPLIANCE"
)

// Lock is the Object Lock state of one version: a retention (mode and
// date) and a legal hold, either or both. It lives in the version, so it
// replicates and survives restarts with it.
type Lock struct {
	Mode        string `json:"m,omitempty"` // LockGovernance or LockCompliance; "" for no retention
	RetainUntil int64  `json:"u,omitempty"` // unix nanoseconds
	LegalHold   bool   `json:"lh,omitempty"`
}

// BucketLock is a bucket's Object Lock configuration. Once Enabled it
// stays enabled and the bucket's versioning stays Enabled. The default
// retention, if any, is given to every new version written without its
// own: Days or Years (exactly one) from the write's time.
type BucketLock struct {
	Enabled      bool   `json:"on"`
	DefaultMode  string `json:"m,omitempty"`
	DefaultDays  int    `json:"d,omitempty"`
	DefaultYears int    `json:"y,omitempty"`
}

// ErrObjectLocked refuses to remove or overwrite a version that Object
// Lock protects, with the answer S3 gives.
var ErrObjectLocked = s3err.AccessDenied.WithMessage("Access Denied because object protected by object lock.")

// lockRefusal says whether cmd may remove version v for good. Every rule
// compares the retention date with the proposer's clock reading carried in
// the command (cmd.Time), never the applying node's, so every replica
// decides the same. A legal hold blocks everyone; an unexpired COMPLIANCE
// retention blocks everyone; an unexpired GOVERNANCE retention blocks
// commands that do not carry the bypass.
func lockRefusal(v *Version, cmd *Command) error {
	if v == nil || v.Lock == nil {
		return nil
	}
	l := v.Lock
	if l.LegalHold {
		return ErrObjectLocked
	}
	if l.Mode != "" && l.RetainUntil > cmd.Time {
		if l.Mode == LockCompliance || !cmd.BypassGovernance {
			return ErrObjectLocked
		}
	}
	return nil
}

// putLockRefusal checks, before putObject changes anything, that the
// versions the write would drop are not locked: the current version when
// versioning does not keep it, and under Suspended the null version among
// the noncurrent ones (which the new null version replaces).
func (sm *StateMachine) putLockRefusal(b *pebble.Batch, cmd *Command, cur *Version, found bool) (error, error) {
	if found {
		keep := cmd.Versioning == "Enabled" || (cmd.Versioning == "Suspended" && !cur.IsNull())
		if !keep {
			if r := lockRefusal(cur, cmd); r != nil {
				return r, nil
			}
		}
	}
	if cmd.Versioning != "Suspended" {
		return nil, nil
	}
	var refusal error
	err := sm.eachNoncurrent(b, cmd.Bucket, cmd.Key, func(v *Version) bool {
		if v.IsNull() {
			refusal = lockRefusal(v, cmd)
			return false
		}
		return true
	})
	return refusal, err
}

// bucketLockRefusal checks an update of a bucket record: Object Lock,
// once enabled, can be neither disabled nor combined with versioning other
// than Enabled. Checked in apply so that two concurrent updates cannot
// race past the rule.
func bucketLockRefusal(cur, next *Bucket) error {
	if cur.ObjectLock == nil || !cur.ObjectLock.Enabled {
		return nil
	}
	if next.ObjectLock == nil || !next.ObjectLock.Enabled {
		return s3err.InvalidBucketState.WithMessage("Object Lock configuration cannot be disabled once enabled.")
	}
	if next.Versioning != "Enabled" {
		return s3err.InvalidBucketState.WithMessage("An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
	}
	return nil
}

// findVersion returns the stored key and value of the version versionID
// of a key ("" for the current one), or the S3 error for its absence.
func (sm *StateMachine) findVersion(b *pebble.Batch, bucket, key, versionID string) ([]byte, *Version, error, error) {
	ck := currentKey(sm.gid, bucket, key)
	var cur Version
	found, err := getJSON(b, ck, &cur)
	if err != nil {
		return nil, nil, nil, err
	}
	if !found {
		if versionID != "" {
			return nil, nil, s3err.NoSuchVersion, nil
		}
		return nil, nil, s3err.NoSuchKey, nil
	}
	if versionID == "" || versionIs(&cur, versionID) {
		if cur.DeleteMarker {
			if versionID == "" {
				return nil, nil, s3err.NoSuchKey, nil
			}
			return nil, nil, s3err.MethodNotAllowed, nil
		}
		return ck, &cur, nil, nil
	}
	var hit *Version
	err = sm.eachNoncurrent(b, bucket, key, func(v *Version) bool {
		if versionIs(v, versionID) {
			hit = v
			return false
		}
		return true
	})
	if err != nil {
		return nil, nil, nil, err
	}
	if hit == nil {
		return nil, nil, s3err.NoSuchVersion, nil
	}
	if hit.DeleteMarker {
		return nil, nil, s3err.MethodNotAllowed, nil
	}
	return noncurrentKey(sm.gid, bucket, key, hit.Seq), hit, nil, nil
}

// putRetention sets the retention of one version (cmd.Lock's Mode and
// RetainUntil; an empty Mode removes it). While a retention is in force
// it may be extended (a later date, or GOVERNANCE made COMPLIANCE) by
// anyone allowed to set retention; weakening it (an earlier date, a
// removal, COMPLIANCE made GOVERNANCE) is refused under COMPLIANCE and
// needs the governance bypass under GOVERNANCE.
func (sm *StateMachine) putRetention(b *pebble.Batch, cmd *Command) (*Result, error) {
	key, v, refusal, err := sm.findVersion(b, cmd.Bucket, cmd.Key, cmd.VersionID)
	if err != nil || refusal != nil {
		return &Result{Err: refusal}, err
	}
	old := Lock{}
	if v.Lock != nil {
		old = *v.Lock
	}
	want := *cmd.Lock
	if old.Mode != "" && old.RetainUntil > cmd.Time {
		weaker := want.Mode == "" || want.RetainUntil < old.RetainUntil ||
			(old.Mode == LockCompliance && want.Mode != LockCompliance)
		if weaker && (old.Mode == LockCompliance || !cmd.BypassGovernance) {
			return &Result{Err: ErrObjectLocked}, nil
		}
	}
	old.Mode, old.RetainUntil = want.Mode, want.RetainUntil
	if old.Mode == "" {
		old.RetainUntil = 0
	}
	v.Lock = lockOrNil(old)
	return &Result{Version: v}, setJSON(b, key, v)
}

// putLegalHold sets or clears the legal hold of one version.
func (sm *StateMachine) putLegalHold(b *pebble.Batch, cmd *Command) (*Result, error) {
	key, v, refusal, err := sm.findVersion(b, cmd.Bucket, cmd.Key, cmd.VersionID)
	if err != nil || refusal != nil {
		return &Result{Err: refusal}, err
	}
	l := Lock{}
	if v.Lock != nil {
		l = *v.Lock
	}
	l.LegalHold = cmd.Lock.LegalHold
	v.Lock = lockOrNil(l)
	return &Result{Version: v}, setJSON(b, key, v)
}

func lockOrNil(l Lock) *Lock {
	if l == (Lock{}) {
		return nil
	}
	return &l
}
