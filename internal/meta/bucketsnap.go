package meta

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/anode/anode/internal/s3err"
)

// Point-in-time bucket snapshots (docs/snapshots.md).
//
// A snapshot of a bucket is a marker committed in every placement group:
// the marker's raft index S_g cuts group g's log in two, and the snapshot
// holds, for every key of g, the version that was current at S_g (the
// newest version with Seq <= S_g that still existed at S_g). Versions that
// a later write removes for good (an unversioned overwrite or delete, a
// delete of a version ID, a suspended bucket's null version replaced) are
// kept as hidden records while some marker needs them: a hidden record
// remembers the index End that removed it, and marker S needs it when
// Seq <= S < End. Hidden records hold chunk references, so garbage
// collection keeps their chunks (EachChunkRef reads them); dropping the
// last marker that needs one deletes it.
//
// Keys:
//
//	'm' 0   'S' bucket 0x00 name                  Snapshot record (system group)
//	'm' gid 'M' bucket 0x00 index(8)              marker of a snapshot in group gid
//	'm' gid 'H' bucket 0x00 esc(key) ^seq(8)      hidden version kept for markers
const (
	kindSnapshot = 'S'
	kindMarker   = 'M'
	kindHidden   = 'H'
)

// Snapshot commands. Numbered apart from the others so that concurrent
// additions do not collide.
const (
	OpSnapshotMark   Op = 80 // placement group: commit a marker
	OpSnapshotUnmark Op = 81 // placement group: drop a marker, release what only it held
	OpPutSnapshot    Op = 82 // system group: record a snapshot (refused if the name is taken)
	OpDeleteSnapshot Op = 83 // system group: delete a snapshot's record
)

// SnapshotSuffix ends the name of every snapshot's virtual bucket:
// BUCKET--NAME--snap. CreateBucket refuses real names ending in it.
const SnapshotSuffix = "--snap"

// Snapshot is a snapshot's record in the system group.
type Snapshot struct {
	Bucket      string `json:"bucket"`
	Name        string `json:"name"`
	Incarnation uint64 `json:"inc"`
	Created     int64  `json:"created"` // unix nanoseconds, proposer's clock
	// Token is random, chosen by the attempt that took the snapshot; its
	// markers hold it.
	Token string `json:"token"`
	// Markers[g-1] is the raft index of the snapshot's marker in
	// placement group g.
	Markers []uint64 `json:"markers"`
}

// VirtualBucket is the name under which S3 reads the snapshot.
func (s *Snapshot) VirtualBucket() string { return s.Bucket + "--" + s.Name + SnapshotSuffix }

// ParseSnapshotBucket splits a virtual bucket name BUCKET--NAME--snap.
func ParseSnapshotBucket(name string) (bucket, snap string, ok bool) {
	rest, found := strings.CutSuffix(name, SnapshotSuffix)
	if !found {
		return "", "", false
	}
	i := strings.LastIndex(rest, "--")
	if i <= 0 || i+2 >= len(rest) {
		return "", "", false
	}
	return rest[:i], rest[i+2:], true
}

// ValidSnapshotName reports whether name can name a snapshot: 1 to 20 of
// lower-case letters, digits and single hyphens, not starting or ending
// with one, so that BUCKET--NAME--snap is a valid bucket name that parses
// back (the bucket name itself must leave room: 63 characters in all).
func ValidSnapshotName(name string) bool {
	if len(name) == 0 || len(name) > 20 || strings.Contains(name, "--") ||
		name[0] == '-' || name[len(name)-1] == '-' {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func snapshotKey(bucket, name string) []byte {
	k := append(groupPrefix(SystemGroup, kindSnapshot), bucket...)
	k = append(k, 0)
	return append(k, name...)
}

func markerKey(gid uint64, bucket string, index uint64) []byte {
	return binary.BigEndian.AppendUint64(bucketObjectsPrefix(gid, kindMarker, bucket), index)
}

func hiddenPrefix(gid uint64, bucket, key string) []byte {
	return appendEscaped(bucketObjectsPrefix(gid, kindHidden, bucket), key)
}

func hiddenKey(gid uint64, bucket, key string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(hiddenPrefix(gid, bucket, key), ^seq)
}

// hiddenVersion is a version removed at index End that a marker still
// needs. Version's fields are inlined, so EachChunkRef reads its chunks
// like any version's.
type hiddenVersion struct {
	Version
	Key string `json:"key"`
	End uint64 `json:"end"`
}

// markers returns the indexes of a bucket's markers in this group, oldest
// first.
func (sm *StateMachine) markers(r pebble.Reader, bucket string) ([]uint64, error) {
	p := bucketObjectsPrefix(sm.gid, kindMarker, bucket)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []uint64
	for it.First(); it.Valid(); it.Next() {
		out = append(out, binary.BigEndian.Uint64(it.Key()[len(p):]))
	}
	return out, it.Error()
}

func neededBy(markers []uint64, seq, end uint64) bool {
	for _, s := range markers {
		if seq <= s && s < end {
			return true
		}
	}
	return false
}

// preserve is called by apply for every version it removes for good, at
// log index end: if a marker of the bucket needs the version, it is kept
// as a hidden record.
func (sm *StateMachine) preserve(b *pebble.Batch, bucket, key string, v *Version, end uint64) error {
	ms, err := sm.markers(b, bucket)
	if err != nil || !neededBy(ms, v.Seq, end) {
		return err
	}
	return setJSON(b, hiddenKey(sm.gid, bucket, key, v.Seq), &hiddenVersion{Version: *v, Key: key, End: end})
}

func (sm *StateMachine) snapshotMark(b *pebble.Batch, index uint64, cmd *Command) (*Result, error) {
	return &Result{Index: index}, b.Set(markerKey(sm.gid, cmd.Bucket, index), []byte(cmd.SnapToken), nil)
}

// snapshotUnmark drops the marker at cmd.Seq (or, for Seq 0, every marker
// of the bucket holding cmd.SnapToken: those of a failed attempt whose
// index is unknown) and every hidden record no remaining marker needs.
func (sm *StateMachine) snapshotUnmark(b *pebble.Batch, cmd *Command) (*Result, error) {
	if cmd.Seq != 0 {
		if err := b.Delete(markerKey(sm.gid, cmd.Bucket, cmd.Seq), nil); err != nil {
			return nil, err
		}
	} else if cmd.SnapToken != "" {
		p := bucketObjectsPrefix(sm.gid, kindMarker, cmd.Bucket)
		it, err := b.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
		if err != nil {
			return nil, err
		}
		var drop [][]byte
		for it.First(); it.Valid(); it.Next() {
			if string(it.Value()) == cmd.SnapToken {
				drop = append(drop, append([]byte(nil), it.Key()...))
			}
		}
		if err := it.Close(); err != nil {
			return nil, err
		}
		for _, k := range drop {
			if err := b.Delete(k, nil); err != nil {
				return nil, err
			}
		}
	}
	ms, err := sm.markers(b, cmd.Bucket)
	if err != nil {
		return nil, err
	}
	p := bucketObjectsPrefix(sm.gid, kindHidden, cmd.Bucket)
	it, err := b.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, err
	}
	var drop [][]byte
	for it.First(); it.Valid(); it.Next() {
		var h hiddenVersion
		if err := json.Unmarshal(it.Value(), &h); err != nil {
			it.Close()
			return nil, fmt.Errorf("hidden version %q: %w", it.Key(), err)
		}
		if !neededBy(ms, h.Seq, h.End) {
			drop = append(drop, append([]byte(nil), it.Key()...))
		}
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	for _, k := range drop {
		if err := b.Delete(k, nil); err != nil {
			return nil, err
		}
	}
	return &Result{}, nil
}

func (sm *StateMachine) putSnapshot(b *pebble.Batch, cmd *Command) (*Result, error) {
	var bk Bucket
	found, err := getJSON(b, bucketKey(cmd.Bucket), &bk)
	if err != nil {
		return nil, err
	}
	if !found || bk.Incarnation != cmd.Snapshot.Incarnation {
		return &Result{Err: s3err.NoSuchBucket}, nil
	}
	k := snapshotKey(cmd.Bucket, cmd.Snapshot.Name)
	var cur Snapshot
	if found, err := getJSON(b, k, &cur); err != nil || found {
		return &Result{Err: ErrSnapshotExists}, err
	}
	return &Result{}, setJSON(b, k, cmd.Snapshot)
}

func (sm *StateMachine) deleteSnapshot(b *pebble.Batch, cmd *Command) (*Result, error) {
	return &Result{}, b.Delete(snapshotKey(cmd.Bucket, cmd.Key), nil)
}

// ErrSnapshotExists refuses a snapshot name already taken in its bucket.
var ErrSnapshotExists = s3err.BucketAlreadyExists.WithMessage("A snapshot of that name already exists for this bucket.")

// ErrNoSuchSnapshot answers a snapshot that does not exist.
var ErrNoSuchSnapshot = s3err.NoSuchBucket.WithMessage("The specified snapshot does not exist.")

// CreateSnapshot takes a snapshot of bucket named name: a marker in every
// placement group (in parallel), then the record in the system group. If
// anything fails, the markers committed are dropped again (best effort:
// a marker left behind only keeps versions longer than needed).
func (s *Store) CreateSnapshot(ctx context.Context, bucket, name string, now int64) (*Snapshot, error) {
	bk, err := s.Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	if _, err := s.SnapshotOf(ctx, bucket, name); err == nil {
		return nil, ErrSnapshotExists
	} else if !errors.Is(err, ErrNoSuchSnapshot) {
		return nil, err
	}
	var tok [16]byte
	rand.Read(tok[:])
	snap := &Snapshot{Bucket: bucket, Name: name, Incarnation: bk.Incarnation, Created: now,
		Token: hex.EncodeToString(tok[:]), Markers: make([]uint64, s.groups)}
	// The markers carry a deadline, so that one whose outcome is unknown
	// can be dropped for sure once it has passed (unmarkLate).
	ctx, cancel := context.WithTimeout(ctx, markTimeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	type mark struct {
		g   int
		idx uint64
		err error
	}
	ch := make(chan mark, s.groups)
	for g := 1; g <= s.groups; g++ {
		go func(g int) {
			r, err := s.Propose(ctx, uint64(g), &Command{Op: OpSnapshotMark, Bucket: bucket, Key: name, Incarnation: bk.Incarnation, SnapToken: snap.Token})
			m := mark{g: g, err: err}
			if err == nil {
				m.idx = r.Index
			}
			ch <- m
		}(g)
	}
	var first error
	for i := 0; i < s.groups; i++ {
		m := <-ch
		if m.err != nil && first == nil {
			first = fmt.Errorf("snapshot marker in group %d: %w", m.g, m.err)
		}
		snap.Markers[m.g-1] = m.idx
	}
	if first == nil {
		_, first = s.Propose(ctx, SystemGroup, &Command{Op: OpPutSnapshot, Bucket: bucket, Snapshot: snap})
	}
	if first != nil {
		s.dropMarkers(context.WithoutCancel(ctx), snap)
		for i, idx := range snap.Markers {
			if idx == 0 {
				go s.unmarkLate(uint64(i+1), snap, deadline)
			}
		}
		return nil, first
	}
	return snap, nil
}

// markTimeout bounds the commit of a snapshot's markers.
const markTimeout = 30 * time.Second

// unmarkLate drops, in group gid, the marker of a failed snapshot attempt
// whose outcome is unknown: once the marker's deadline and ClockMargin have
// passed, an unmark stamped later is applied after which the marker can no
// longer apply (fence.go); if it applied before, the unmark finds it by
// its token. Best effort: a marker left by a node that died here keeps
// versions and its bucket until removed by hand.
func (s *Store) unmarkLate(gid uint64, snap *Snapshot, deadline time.Time) {
	time.Sleep(time.Until(deadline.Add(ClockMargin + time.Millisecond)))
	ctx, cancel := context.WithTimeout(context.Background(), fenceTimeout)
	defer cancel()
	s.Propose(ctx, gid, &Command{Op: OpSnapshotUnmark, Bucket: snap.Bucket, SnapToken: snap.Token, Time: time.Now().UnixNano()})
}

func (s *Store) dropMarkers(ctx context.Context, snap *Snapshot) error {
	errc := make(chan error, len(snap.Markers))
	for i, idx := range snap.Markers {
		if idx == 0 {
			errc <- nil
			continue
		}
		go func(gid, idx uint64) {
			_, err := s.Propose(ctx, gid, &Command{Op: OpSnapshotUnmark, Bucket: snap.Bucket, Seq: idx})
			errc <- err
		}(uint64(i+1), idx)
	}
	var first error
	for range snap.Markers {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// DeleteSnapshot drops a snapshot's markers (releasing the versions only
// it held) and then its record. One that fails halfway leaves the record,
// and retrying finishes it.
func (s *Store) DeleteSnapshot(ctx context.Context, bucket, name string) error {
	snap, err := s.SnapshotOf(ctx, bucket, name)
	if err != nil {
		return err
	}
	if err := s.dropMarkers(ctx, snap); err != nil {
		return err
	}
	_, err = s.Propose(ctx, SystemGroup, &Command{Op: OpDeleteSnapshot, Bucket: bucket, Key: name})
	return err
}

// SnapshotOf returns a snapshot's record (linearizable).
func (s *Store) SnapshotOf(ctx context.Context, bucket, name string) (*Snapshot, error) {
	if err := s.barrier(ctx, SystemGroup); err != nil {
		return nil, err
	}
	var snap Snapshot
	found, err := getJSON(s.db, snapshotKey(bucket, name), &snap)
	if err != nil {
		return nil, err
	}
	if !found || len(snap.Markers) != s.groups {
		return nil, ErrNoSuchSnapshot
	}
	return &snap, nil
}

// Snapshots lists the snapshots of bucket, or of every bucket for "".
func (s *Store) Snapshots(ctx context.Context, bucket string) ([]Snapshot, error) {
	if err := s.barrier(ctx, SystemGroup); err != nil {
		return nil, err
	}
	p := groupPrefix(SystemGroup, kindSnapshot)
	if bucket != "" {
		p = append(append(p, bucket...), 0)
	}
	var out []Snapshot
	err := s.scan(p, prefixEnd(p), func(_, v []byte) error {
		var snap Snapshot
		if err := json.Unmarshal(v, &snap); err != nil {
			return fmt.Errorf("snapshot record: %w", err)
		}
		out = append(out, snap)
		return nil
	})
	return out, err
}

// SnapshotVersion returns the version of key in snap: the newest version
// with Seq <= the marker that existed at the marker. A delete marker or no
// version answers NoSuchKey.
func (s *Store) SnapshotVersion(ctx context.Context, snap *Snapshot, key string) (*Version, error) {
	gid := s.GroupOf(snap.Bucket, key)
	if err := s.barrier(ctx, gid); err != nil {
		return nil, err
	}
	r := s.db.NewSnapshot()
	defer r.Close()
	v, err := versionAt(r, gid, snap.Bucket, key, snap.Markers[gid-1])
	if err != nil {
		return nil, err
	}
	if v == nil || v.DeleteMarker {
		return nil, s3err.NoSuchKey
	}
	return v, nil
}

// versionAt finds a key's version at marker index mark in group gid.
func versionAt(r pebble.Reader, gid uint64, bucket, key string, mark uint64) (*Version, error) {
	var best *Version
	consider := func(v *Version) {
		if v.Seq <= mark && (best == nil || v.Seq > best.Seq) {
			best = v
		}
	}
	var cur Version
	if found, err := getJSON(r, currentKey(gid, bucket, key), &cur); err != nil {
		return nil, err
	} else if found {
		consider(&cur)
	}
	for _, p := range [][]byte{noncurrentPrefix(gid, bucket, key), hiddenPrefix(gid, bucket, key)} {
		// Newest first: the first record at or below the mark is the
		// best of its kind.
		it, err := r.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
		if err != nil {
			return nil, err
		}
		for it.First(); it.Valid(); it.Next() {
			var h hiddenVersion
			if err := json.Unmarshal(it.Value(), &h); err != nil {
				it.Close()
				return nil, fmt.Errorf("version of %s/%s: %w", bucket, key, err)
			}
			if h.Seq > mark || (h.End != 0 && h.End <= mark) {
				continue
			}
			v := h.Version
			consider(&v)
			break
		}
		if err := it.Close(); err != nil {
			return nil, err
		}
	}
	return best, nil
}

// SnapshotList lists the objects of snap in key order after `after`, with
// prefix and delimiter as ListObjects. It reads every key of the bucket
// with the prefix in every group (a snapshot listing costs O(keys under
// the prefix) per page, not O(page)).
func (s *Store) SnapshotList(ctx context.Context, snap *Snapshot, prefix, delimiter, after string, max int) (*ListPage, error) {
	if err := s.BarrierAll(ctx); err != nil {
		return nil, err
	}
	r := s.db.NewSnapshot()
	defer r.Close()
	type entry struct {
		key string
		v   *Version
	}
	var all []entry
	for g := 1; g <= s.groups; g++ {
		gid := uint64(g)
		keys := map[string]bool{}
		for _, kind := range []byte{kindCurrent, kindNoncurrent, kindHidden} {
			p := bucketObjectsPrefix(gid, kind, snap.Bucket)
			lo := append(append([]byte(nil), p...), prefix...)
			it, err := r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(p)})
			if err != nil {
				return nil, err
			}
			for it.First(); it.Valid(); it.Next() {
				if ctx.Err() != nil {
					it.Close()
					return nil, ctx.Err()
				}
				var key string
				if kind == kindCurrent {
					key = string(it.Key()[len(p):])
				} else {
					var h hiddenVersion
					if err := json.Unmarshal(it.Value(), &h); err != nil {
						it.Close()
						return nil, err
					}
					key = h.Key
					if kind == kindNoncurrent {
						key = unescapeKey(it.Key()[len(p):])
					}
				}
				if !strings.HasPrefix(key, prefix) {
					break
				}
				keys[key] = true
			}
			if err := it.Close(); err != nil {
				return nil, err
			}
		}
		for key := range keys {
			if key <= after {
				continue
			}
			v, err := versionAt(r, gid, snap.Bucket, key, snap.Markers[g-1])
			if err != nil {
				return nil, err
			}
			if v != nil && !v.DeleteMarker {
				all = append(all, entry{key, v})
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].key < all[j].key })
	page := &ListPage{}
	count := 0
	lastPrefix := ""
	for _, e := range all {
		if delimiter != "" {
			if i := strings.Index(e.key[len(prefix):], delimiter); i >= 0 {
				cp := e.key[:len(prefix)+i+len(delimiter)]
				if cp == lastPrefix || cp <= after {
					continue
				}
				if count == max {
					page.Truncated = true
					break
				}
				page.Prefixes = append(page.Prefixes, cp)
				page.Next, lastPrefix = cp, cp
				count++
				continue
			}
		}
		if count == max {
			page.Truncated = true
			break
		}
		page.Entries = append(page.Entries, ListEntry{Key: e.key, Version: e.v})
		page.Next = e.key
		count++
	}
	return page, nil
}

// unescapeKey decodes the escaped key at the start of b (appendEscaped).
func unescapeKey(b []byte) string {
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] == 0 {
			if i+1 < len(b) && b[i+1] == 0xff {
				out = append(out, 0)
				i++
				continue
			}
			break
		}
		out = append(out, b[i])
	}
	return string(out)
}

// SnapshotUsage is what a snapshot holds, in logical bytes.
type SnapshotUsage struct {
	// Objects and Bytes count the objects the snapshot shows and their
	// sizes.
	Objects int64 `json:"objects"`
	Bytes   int64 `json:"bytes"`
	// OnlyBytes is the size of the hidden versions that no other snapshot
	// needs: the logical bytes deleting this snapshot releases (their
	// chunks may still be shared with other objects).
	OnlyBytes int64 `json:"onlyBytes"`
}

// Usage computes a snapshot's usage: O(objects of the bucket).
func (s *Store) Usage(ctx context.Context, snap *Snapshot) (SnapshotUsage, error) {
	var u SnapshotUsage
	page, err := s.SnapshotList(ctx, snap, "", "", "", int(^uint(0)>>1))
	if err != nil {
		return u, err
	}
	for _, e := range page.Entries {
		u.Objects++
		u.Bytes += e.Version.Size
	}
	r := s.db.NewSnapshot()
	defer r.Close()
	for g := 1; g <= s.groups; g++ {
		sm := &StateMachine{gid: uint64(g)}
		ms, err := sm.markers(r, snap.Bucket)
		if err != nil {
			return u, err
		}
		var others []uint64
		for _, m := range ms {
			if m != snap.Markers[g-1] {
				others = append(others, m)
			}
		}
		mine := []uint64{snap.Markers[g-1]}
		p := bucketObjectsPrefix(uint64(g), kindHidden, snap.Bucket)
		it, err := r.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
		if err != nil {
			return u, err
		}
		for it.First(); it.Valid(); it.Next() {
			var h hiddenVersion
			if err := json.Unmarshal(it.Value(), &h); err != nil {
				it.Close()
				return u, fmt.Errorf("hidden version %q: %w", it.Key(), err)
			}
			if !h.DeleteMarker && neededBy(mine, h.Seq, h.End) && !neededBy(others, h.Seq, h.End) {
				u.OnlyBytes += h.Size
			}
		}
		if err := it.Close(); err != nil {
			return u, err
		}
	}
	return u, nil
}
