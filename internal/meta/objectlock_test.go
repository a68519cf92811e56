package meta

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/anode/anode/internal/s3err"
)

// applier applies commands to one placement group's state machine in a
// memory Pebble, numbering entries as raft would.
type applier struct {
	t     *testing.T
	sm    *StateMachine
	b     *pebble.Batch
	index uint64
}

func newApplier(t *testing.T) *applier {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &applier{t: t, sm: NewStateMachine(1), b: db.NewIndexedBatch()}
}

func (a *applier) apply(c *Command) *Result {
	a.t.Helper()
	data, err := c.Encode()
	if err != nil {
		a.t.Fatal(err)
	}
	a.index++
	return a.sm.Apply(a.b, a.index, data).(*Result)
}

func (a *applier) put(key string, at int64, lock *Lock) *Version {
	a.t.Helper()
	r := a.apply(&Command{Op: OpPutObject, Time: at, Bucket: "b", Key: key, Versioning: "Enabled",
		Version: &Version{Size: 1, ETag: "e", Modified: at, Lock: lock}})
	if r.Err != nil {
		a.t.Fatal(r.Err)
	}
	return r.Version
}

// TestLockDecidedByCommandTime shows that apply decides with the time in
// the command, not a clock: the same delete is refused at a time before
// the retention date and applied at a time after it.
func TestLockDecidedByCommandTime(t *testing.T) {
	for _, mode := range []string{LockGovernance, LockCompliance} {
		a := newApplier(t)
		v := a.put("k", 100, &Lock{Mode: mode, RetainUntil: 1000})
		del := func(at int64, bypass bool) error {
			return a.apply(&Command{Op: OpDeleteObject, Time: at, Bucket: "b", Key: "k", Versioning: "Enabled",
				VersionID: v.VersionID, BypassGovernance: bypass}).Err
		}
		if err := del(999, false); !errors.Is(err, ErrObjectLocked) {
			t.Fatalf("%s: delete before the date: %v", mode, err)
		}
		if mode == LockCompliance {
			if err := del(999, true); !errors.Is(err, ErrObjectLocked) {
				t.Fatalf("COMPLIANCE bypassed: %v", err)
			}
			if err := del(1000, false); err != nil {
				t.Fatalf("COMPLIANCE delete at the date: %v", err)
			}
		} else if err := del(999, true); err != nil {
			t.Fatalf("GOVERNANCE with bypass: %v", err)
		}
		if _, err := getJSONVersion(a, "k"); !errors.Is(err, s3err.NoSuchKey) {
			t.Fatalf("%s: version still there: %v", mode, err)
		}
	}
}

func getJSONVersion(a *applier, key string) (*Version, error) {
	var v Version
	found, err := getJSON(a.b, currentKey(1, "b", key), &v)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, s3err.NoSuchKey
	}
	return &v, nil
}

// TestLegalHoldBlocksEveryone: no time and no bypass removes a held version.
func TestLegalHoldBlocksEveryone(t *testing.T) {
	a := newApplier(t)
	v := a.put("k", 100, nil)
	if r := a.apply(&Command{Op: OpPutLegalHold, Time: 101, Bucket: "b", Key: "k", VersionID: v.VersionID, Lock: &Lock{LegalHold: true}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	r := a.apply(&Command{Op: OpDeleteObject, Time: 1 << 62, Bucket: "b", Key: "k", Versioning: "Enabled",
		VersionID: v.VersionID, BypassGovernance: true})
	if !errors.Is(r.Err, ErrObjectLocked) {
		t.Fatalf("held version deleted: %v", r.Err)
	}
	a.apply(&Command{Op: OpPutLegalHold, Time: 102, Bucket: "b", Key: "k", VersionID: v.VersionID, Lock: &Lock{}})
	r = a.apply(&Command{Op: OpDeleteObject, Time: 103, Bucket: "b", Key: "k", Versioning: "Enabled", VersionID: v.VersionID})
	if r.Err != nil {
		t.Fatalf("released version not deleted: %v", r.Err)
	}
}

// TestRetentionChanges: extensions pass; shortening COMPLIANCE never does;
// shortening GOVERNANCE needs the bypass.
func TestRetentionChanges(t *testing.T) {
	a := newApplier(t)
	v := a.put("k", 100, &Lock{Mode: LockCompliance, RetainUntil: 1000})
	set := func(mode string, until int64, bypass bool) error {
		return a.apply(&Command{Op: OpPutRetention, Time: 200, Bucket: "b", Key: "k", VersionID: v.VersionID,
			Lock: &Lock{Mode: mode, RetainUntil: until}, BypassGovernance: bypass}).Err
	}
	if err := set(LockCompliance, 2000, false); err != nil {
		t.Fatalf("extend COMPLIANCE: %v", err)
	}
	for _, c := range []struct {
		mode  string
		until int64
	}{{LockCompliance, 1500}, {LockGovernance, 3000}, {"", 0}} {
		if err := set(c.mode, c.until, true); !errors.Is(err, ErrObjectLocked) {
			t.Fatalf("COMPLIANCE weakened to %s/%d: %v", c.mode, c.until, err)
		}
	}
	w := a.put("g", 100, &Lock{Mode: LockGovernance, RetainUntil: 1000})
	gov := func(mode string, until int64, bypass bool) error {
		return a.apply(&Command{Op: OpPutRetention, Time: 200, Bucket: "b", Key: "g", VersionID: w.VersionID,
			Lock: &Lock{Mode: mode, RetainUntil: until}, BypassGovernance: bypass}).Err
	}
	if err := gov(LockGovernance, 500, false); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("GOVERNANCE shortened without bypass: %v", err)
	}
	if err := gov(LockGovernance, 500, true); err != nil {
		t.Fatalf("GOVERNANCE shortened with bypass: %v", err)
	}
	if err := gov(LockCompliance, 5000, false); err != nil {
		t.Fatalf("GOVERNANCE made COMPLIANCE: %v", err)
	}
}

// TestOverwriteOfLockedNullVersion: under Suspended versioning a write
// replaces the null version; a locked null version refuses it.
func TestOverwriteOfLockedNullVersion(t *testing.T) {
	a := newApplier(t)
	r := a.apply(&Command{Op: OpPutObject, Time: 100, Bucket: "b", Key: "k",
		Version: &Version{Modified: 100, Lock: &Lock{Mode: LockGovernance, RetainUntil: 1000}}})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	for _, vs := range []string{"", "Suspended"} {
		r = a.apply(&Command{Op: OpPutObject, Time: 200, Bucket: "b", Key: "k", Versioning: vs, Version: &Version{Modified: 200}})
		if !errors.Is(r.Err, ErrObjectLocked) {
			t.Fatalf("versioning %q: locked null version overwritten: %v", vs, r.Err)
		}
	}
	r = a.apply(&Command{Op: OpDeleteObject, Time: 200, Bucket: "b", Key: "k"})
	if !errors.Is(r.Err, ErrObjectLocked) {
		t.Fatalf("locked unversioned object deleted: %v", r.Err)
	}
}

// TestExpireIsConditional: an Expire names the version the rule saw; once
// that version changed (or the action was applied), repeating it changes
// nothing.
func TestExpireIsConditional(t *testing.T) {
	a := newApplier(t)
	v1 := a.put("k", 100, nil)
	v2 := a.put("k", 200, nil)
	expireNoncurrent := &Command{Op: OpExpire, Time: 300, Bucket: "b", Key: "k", Versioning: "Enabled", VersionID: v1.VersionID, IfSeq: v1.Seq}
	if r := a.apply(expireNoncurrent); r.Err != nil || r.Deleted == nil {
		t.Fatalf("expire noncurrent: %+v", r)
	}
	if r := a.apply(expireNoncurrent); !errors.Is(r.Err, ErrExpireStale) {
		t.Fatalf("repeated expire: %v", r.Err)
	}
	// The rule saw v2 as current, but a new write came first.
	v3 := a.put("k", 250, nil)
	if r := a.apply(&Command{Op: OpExpire, Time: 300, Bucket: "b", Key: "k", Versioning: "Enabled", IfSeq: v2.Seq}); !errors.Is(r.Err, ErrExpireStale) {
		t.Fatalf("expired a current version the rule did not see: %v", r.Err)
	}
	r := a.apply(&Command{Op: OpExpire, Time: 300, Bucket: "b", Key: "k", Versioning: "Enabled", IfSeq: v3.Seq})
	if r.Err != nil || r.Version == nil || !r.Version.DeleteMarker {
		t.Fatalf("expire current: %+v", r)
	}
	// The marker has v3 and v2 behind it: not an expired marker.
	marker := r.Version
	if r := a.apply(&Command{Op: OpExpire, Time: 400, Bucket: "b", Key: "k", Versioning: "Enabled", VersionID: marker.VersionID, IfSeq: marker.Seq}); !errors.Is(r.Err, ErrExpireStale) {
		t.Fatalf("removed a marker with versions behind it: %v", r.Err)
	}
	// A locked noncurrent version is not expired.
	a.put("l", 100, &Lock{Mode: LockGovernance, RetainUntil: 10_000})
	lv, _ := getJSONVersion(a, "l")
	a.put("l", 200, nil)
	if r := a.apply(&Command{Op: OpExpire, Time: 300, Bucket: "b", Key: "l", Versioning: "Enabled", VersionID: lv.VersionID, IfSeq: lv.Seq, BypassGovernance: true}); !errors.Is(r.Err, ErrObjectLocked) {
		t.Fatalf("lifecycle removed a locked version: %v", r.Err)
	}
}
