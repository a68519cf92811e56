package meta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/anode/anode/internal/cluster"
	"github.com/anode/anode/internal/s3err"
)

// Store is the metadata of the cluster as the object service sees it:
// commands proposed to the group that owns a key, and linearizable reads of
// the applied state.
type Store struct {
	host   *cluster.Host
	db     *pebble.DB
	groups int

	fenceMu sync.Mutex
	fencing map[uint64]bool // groups with a fence pending (fenceLater)
}

// NewStore returns a Store over a running host whose groups are the system
// group and placement groups 1..groups.
func NewStore(host *cluster.Host, db *pebble.DB, groups int) *Store {
	return &Store{host: host, db: db, groups: groups}
}

// Groups returns the number of placement groups.
func (s *Store) Groups() int { return s.groups }

// GroupOf returns the placement group that owns a key.
func (s *Store) GroupOf(bucket, key string) uint64 { return GroupOf(bucket, key, s.groups) }

// Propose applies cmd through group gid and returns its result. A command
// the state machine refused returns the S3 error it gave.
//
// The command carries ctx's deadline (or an earlier one already set in
// it): it is dropped if still queued then, and apply refuses it once its
// group has applied a later-stamped command (fence.go). If the outcome is
// unknown when Propose gives up, it proposes a fence to the group once the
// deadline and ClockMargin have passed: when the fence applies, the
// command can no longer take effect.
func (s *Store) Propose(ctx context.Context, gid uint64, cmd *Command) (*Result, error) {
	if d, ok := ctx.Deadline(); ok && (cmd.Deadline == 0 || d.UnixNano() < cmd.Deadline) {
		cmd.Deadline = d.UnixNano()
	}
	if cmd.Time == 0 {
		cmd.Time = time.Now().UnixNano()
	}
	data, err := cmd.Encode()
	if err != nil {
		return nil, err
	}
	res, err := s.host.Propose(ctx, gid, data)
	if err != nil {
		if cmd.Deadline != 0 && !errors.Is(err, cluster.ErrProposalExpired) {
			s.fenceLater(gid, cmd.Deadline)
		}
		return nil, unavailable(fmt.Errorf("%v in group %d: %w", cmd.Op, gid, err))
	}
	r := res.(*Result)
	if r.Err != nil {
		return r, r.Err
	}
	return r, nil
}

// maxFencers bounds the fences waiting to be proposed: under a long
// partition every write times out, and one fence per group at a time is
// enough (a fence covers every deadline before its own time).
const maxFencers = 64

// fenceLater proposes, in the background, a fence to group gid stamped
// after deadline+ClockMargin, so that a command with that deadline whose
// outcome is unknown can no longer apply once the fence has. Best effort:
// if the group cannot commit the fence, it cannot commit the command
// either, and any later write of the group fences it as well.
func (s *Store) fenceLater(gid uint64, deadline int64) {
	s.fenceMu.Lock()
	if s.fencing == nil {
		s.fencing = make(map[uint64]bool)
	}
	if s.fencing[gid] || len(s.fencing) >= maxFencers {
		s.fenceMu.Unlock()
		return
	}
	s.fencing[gid] = true
	s.fenceMu.Unlock()
	go func() {
		defer func() {
			s.fenceMu.Lock()
			delete(s.fencing, gid)
			s.fenceMu.Unlock()
		}()
		wait := time.Until(time.Unix(0, deadline).Add(ClockMargin + time.Millisecond))
		if wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			<-t.C
		}
		ctx, cancel := context.WithTimeout(context.Background(), fenceTimeout)
		defer cancel()
		s.Propose(ctx, gid, &Command{Op: OpFence, Time: time.Now().UnixNano()})
	}()
}

// fenceTimeout bounds one fence proposal.
const fenceTimeout = 30 * time.Second

// Fence commits a fence stamped at t in every placement group and waits
// until this node has applied them all: afterwards, every command applied
// in any group either was applied before (and is in any read of the local
// state that follows) or has a deadline no earlier than t - ClockMargin.
// Garbage collection marks after it (see object.CollectGarbage). It is
// also a read barrier on every group.
func (s *Store) Fence(ctx context.Context, t time.Time) error {
	errc := make(chan error, s.groups)
	for g := 1; g <= s.groups; g++ {
		go func(gid uint64) {
			_, err := s.Propose(ctx, gid, &Command{Op: OpFence, Time: t.UnixNano()})
			errc <- err
		}(uint64(g))
	}
	var first error
	for g := 0; g < s.groups; g++ {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// unavailable turns a failure to reach consensus into the error clients
// should retry: 503 ServiceUnavailable, with the cause kept for logs.
func unavailable(err error) error {
	return fmt.Errorf("%w: %w", s3err.ServiceUnavailable.WithMessage("The cluster could not commit or confirm the request in time; retry."), err)
}

// barrierTimeout bounds how long a read waits for its group to confirm a
// leader: a few elections' worth.
const barrierTimeout = 10 * time.Second

// barrier makes the following reads of group gid linearizable. A read
// barrier cut short by a change of leader is simply tried again (reading
// has no side effect) until ctx ends.
func (s *Store) barrier(ctx context.Context, gid uint64) error {
	// Bounded even for a request without a deadline: a node cut off from
	// its group's quorum answers 503 rather than hang.
	ctx, cancel := context.WithTimeout(ctx, barrierTimeout)
	defer cancel()
	for backoff := 10 * time.Millisecond; ; backoff = min(2*backoff, 200*time.Millisecond) {
		err := s.host.ReadBarrier(ctx, gid)
		if err == nil {
			return nil
		}
		if !errors.Is(err, cluster.ErrLeaderChanged) {
			return unavailable(fmt.Errorf("read barrier on group %d: %w", gid, err))
		}
		select {
		case <-ctx.Done():
			return unavailable(fmt.Errorf("read barrier on group %d: %w", gid, err))
		case <-time.After(backoff):
		}
	}
}

// Bucket returns a bucket's record (linearizable).
func (s *Store) Bucket(ctx context.Context, name string) (*Bucket, error) {
	if err := s.barrier(ctx, SystemGroup); err != nil {
		return nil, err
	}
	var b Bucket
	found, err := getJSON(s.db, bucketKey(name), &b)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, s3err.NoSuchBucket
	}
	return &b, nil
}

// Buckets returns every bucket, in name order (linearizable).
func (s *Store) Buckets(ctx context.Context) ([]Bucket, error) {
	if err := s.barrier(ctx, SystemGroup); err != nil {
		return nil, err
	}
	p := groupPrefix(SystemGroup, kindBucket)
	var out []Bucket
	err := s.scan(p, prefixEnd(p), func(_, v []byte) error {
		var b Bucket
		if err := json.Unmarshal(v, &b); err != nil {
			return err
		}
		out = append(out, b)
		return nil
	})
	return out, err
}

// Current returns the current version of a key (linearizable), which may be
// a delete marker. A key with no versions returns s3err.NoSuchKey.
func (s *Store) Current(ctx context.Context, bucket, key string) (*Version, error) {
	gid := s.GroupOf(bucket, key)
	if err := s.barrier(ctx, gid); err != nil {
		return nil, err
	}
	var v Version
	found, err := getJSON(s.db, currentKey(gid, bucket, key), &v)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, s3err.NoSuchKey
	}
	return &v, nil
}

// VersionOf returns one version of a key by ID (linearizable), whether
// current or not; "null" names the null version.
func (s *Store) VersionOf(ctx context.Context, bucket, key, versionID string) (v *Version, isLatest bool, err error) {
	gid := s.GroupOf(bucket, key)
	if err := s.barrier(ctx, gid); err != nil {
		return nil, false, err
	}
	var cur Version
	found, err := getJSON(s.db, currentKey(gid, bucket, key), &cur)
	if err != nil {
		return nil, false, err
	}
	if found && versionIs(&cur, versionID) {
		return &cur, true, nil
	}
	if seq, ok := seqOfVersionID(versionID); ok {
		var nv Version
		found, err := getJSON(s.db, noncurrentKey(gid, bucket, key, seq), &nv)
		if err != nil {
			return nil, false, err
		}
		if found {
			return &nv, false, nil
		}
	} else if versionID == NullVersion {
		p := noncurrentPrefix(gid, bucket, key)
		var hit *Version
		err := s.scan(p, prefixEnd(p), func(_, val []byte) error {
			var nv Version
			if err := json.Unmarshal(val, &nv); err != nil {
				return err
			}
			if nv.IsNull() {
				hit = &nv
				return errStop
			}
			return nil
		})
		if err != nil {
			return nil, false, err
		}
		if hit != nil {
			return hit, false, nil
		}
	} else {
		return nil, false, s3err.InvalidArgument.WithMessage("Invalid version id specified")
	}
	return nil, false, s3err.NoSuchVersion
}

// errStop ends a scan early without error.
var errStop = errors.New("stop")

// scan calls fn for each key in [lo, hi) of the local state.
func (s *Store) scan(lo, hi []byte, fn func(k, v []byte) error) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			if errors.Is(err, errStop) {
				return nil
			}
			return err
		}
	}
	return it.Error()
}

// BarrierAll makes the following reads of every placement group
// linearizable (listing reads them all).
func (s *Store) BarrierAll(ctx context.Context) error {
	errc := make(chan error, s.groups)
	for g := 1; g <= s.groups; g++ {
		go func(gid uint64) { errc <- s.barrier(ctx, gid) }(uint64(g))
	}
	var first error
	for g := 0; g < s.groups; g++ {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Stats sums the object count and logical bytes of every placement group
// held on this node (not linearizable: it is for metrics).
func (s *Store) Stats() (Stats, error) {
	var total Stats
	for g := 1; g <= s.groups; g++ {
		var st Stats
		if _, err := getJSON(s.db, statsKey(uint64(g)), &st); err != nil {
			return total, err
		}
		total.Objects += st.Objects
		total.Bytes += st.Bytes
	}
	return total, nil
}

// EachChunkRef calls fn for every chunk referenced by any version of any
// object in the local state of the placement groups: the mark phase of
// garbage collection. The caller takes the time before calling it.
func (s *Store) EachChunkRef(fn func(ChunkRef)) error {
	snap := s.db.NewSnapshot()
	defer snap.Close()
	for g := 1; g <= s.groups; g++ {
		// Hidden versions are those a bucket snapshot still needs
		// (bucketsnap.go).
		for _, kind := range []byte{kindCurrent, kindNoncurrent, kindPart, kindHidden} {
			p := groupPrefix(uint64(g), kind)
			it, err := snap.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
			if err != nil {
				return err
			}
			for it.First(); it.Valid(); it.Next() {
				var v struct {
					Chunks []ChunkRef `json:"chunks"`
				}
				if err := json.Unmarshal(it.Value(), &v); err != nil {
					it.Close()
					return fmt.Errorf("mark: %q: %w", it.Key(), err)
				}
				for _, c := range v.Chunks {
					fn(c)
				}
			}
			if err := it.Close(); err != nil {
				return err
			}
		}
	}
	return nil
}

// BucketEmpty reports whether a bucket has no object versions, delete
// markers or multipart uploads in any placement group (linearizable).
func (s *Store) BucketEmpty(ctx context.Context, bucket string) (bool, error) {
	if err := s.BarrierAll(ctx); err != nil {
		return false, err
	}
	empty := true
	for g := 1; g <= s.groups && empty; g++ {
		for _, kind := range []byte{kindCurrent, kindNoncurrent, kindUpload} {
			p := bucketObjectsPrefix(uint64(g), kind, bucket)
			err := s.scan(p, prefixEnd(p), func(_, _ []byte) error {
				empty = false
				return errStop
			})
			if err != nil {
				return false, err
			}
		}
	}
	return empty, nil
}
