package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// logStore implements raft.Storage for one group over the node's Pebble.
//
// Entries live in Pebble only; the store keeps in memory the bounds of the
// log and the term of every entry in it (8 bytes an entry), because raft asks
// for terms far more often than for entries. All writes go into a batch that
// the host commits, with one fsync, for every group that had work.
type logStore struct {
	db  *pebble.DB
	gid uint64

	// snapshot builds a snapshot of the group's applied state.
	snapshot func() (pb.Snapshot, error)

	mu    sync.Mutex
	hard  pb.HardState
	trunc truncState // the last entry removed from the log
	terms []uint64   // terms[i] is the term of entry trunc.Index+1+i
}

// truncState records where the log starts: the index and term of the entry
// just before the first one kept, and the membership as of that entry.
type truncState struct {
	Index uint64
	Term  uint64
	Conf  pb.ConfState
}

func (t truncState) marshal() []byte {
	conf, err := t.Conf.Marshal()
	if err != nil {
		panic(err)
	}
	b := binary.BigEndian.AppendUint64(nil, t.Index)
	b = binary.BigEndian.AppendUint64(b, t.Term)
	return append(b, conf...)
}

func (t *truncState) unmarshal(b []byte) error {
	if len(b) < 16 {
		return fmt.Errorf("truncated state: %d bytes", len(b))
	}
	t.Index = binary.BigEndian.Uint64(b)
	t.Term = binary.BigEndian.Uint64(b[8:])
	return t.Conf.Unmarshal(b[16:])
}

// openLogStore loads a group's log bounds and hard state. A group that has
// no state yet is bootstrapped when boot is non-nil: its log starts after a
// synthetic entry (index 1, term 1) whose membership is *boot. Every initial
// member bootstraps the same way, so they agree without exchanging entries.
// With boot nil the group starts empty, for a node joining a running cluster.
func openLogStore(db *pebble.DB, gid uint64, boot *pb.ConfState) (*logStore, error) {
	s := &logStore{db: db, gid: gid}
	v, closer, err := db.Get(groupKey(gid, suffixTrunc))
	switch {
	case errors.Is(err, pebble.ErrNotFound):
		if boot == nil {
			// A node joining a running cluster: an empty log, no
			// membership. The group's leader adds it and sends a snapshot.
			return s, nil
		}
		s.trunc = truncState{Index: 1, Term: 1, Conf: *boot}
		s.hard = pb.HardState{Term: 1, Commit: 1}
		b := db.NewBatch()
		defer b.Close()
		s.setTrunc(b, s.trunc)
		s.setHardState(b, s.hard)
		if err := b.Commit(pebble.Sync); err != nil {
			return nil, fmt.Errorf("group %d: bootstrap: %w", gid, err)
		}
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("group %d: read truncated state: %w", gid, err)
	}
	err = s.trunc.unmarshal(v)
	closer.Close()
	if err != nil {
		return nil, fmt.Errorf("group %d: %w", gid, err)
	}
	if v, closer, err := db.Get(groupKey(gid, suffixHard)); err == nil {
		err = s.hard.Unmarshal(v)
		closer.Close()
		if err != nil {
			return nil, fmt.Errorf("group %d: hard state: %w", gid, err)
		}
	} else if !errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("group %d: read hard state: %w", gid, err)
	}
	// Load the terms of the entries still in the log.
	iter, err := db.NewIter(&pebble.IterOptions{
		LowerBound: entryKey(gid, s.trunc.Index+1),
		UpperBound: groupKey(gid, suffixEntry+1),
	})
	if err != nil {
		return nil, err
	}
	defer iter.Close()
	next := s.trunc.Index + 1
	for iter.First(); iter.Valid(); iter.Next() {
		var e pb.Entry
		if err := e.Unmarshal(iter.Value()); err != nil {
			return nil, fmt.Errorf("group %d: entry: %w", gid, err)
		}
		if e.Index != next {
			return nil, fmt.Errorf("group %d: log gap: want entry %d, found %d", gid, next, e.Index)
		}
		s.terms = append(s.terms, e.Term)
		next++
	}
	return s, iter.Error()
}

// InitialState implements raft.Storage. The ConfState returned is the one
// as of the applied index, which the host passes to raft as Config.Applied.
func (s *logStore) InitialState() (pb.HardState, pb.ConfState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conf := s.trunc.Conf
	if v, closer, err := s.db.Get(groupKey(s.gid, suffixApplied)); err == nil {
		a, err := decodeApplied(v)
		closer.Close()
		if err != nil {
			return pb.HardState{}, pb.ConfState{}, err
		}
		conf = a.Conf
	}
	return s.hard, conf, nil
}

func (s *logStore) firstIndex() uint64 { return s.trunc.Index + 1 }
func (s *logStore) lastIndex() uint64  { return s.trunc.Index + uint64(len(s.terms)) }

// FirstIndex implements raft.Storage.
func (s *logStore) FirstIndex() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstIndex(), nil
}

// LastIndex implements raft.Storage.
func (s *logStore) LastIndex() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastIndex(), nil
}

// Term implements raft.Storage.
func (s *logStore) Term(i uint64) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case i == s.trunc.Index:
		return s.trunc.Term, nil
	case i < s.trunc.Index:
		return 0, raft.ErrCompacted
	case i > s.lastIndex():
		return 0, raft.ErrUnavailable
	}
	return s.terms[i-s.trunc.Index-1], nil
}

// Entries implements raft.Storage.
func (s *logStore) Entries(lo, hi, maxSize uint64) ([]pb.Entry, error) {
	s.mu.Lock()
	first, last := s.firstIndex(), s.lastIndex()
	s.mu.Unlock()
	if lo < first {
		return nil, raft.ErrCompacted
	}
	if hi > last+1 {
		return nil, fmt.Errorf("group %d: entries [%d,%d) beyond last index %d", s.gid, lo, hi, last)
	}
	iter, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: entryKey(s.gid, lo),
		UpperBound: entryKey(s.gid, hi),
	})
	if err != nil {
		return nil, err
	}
	defer iter.Close()
	var ents []pb.Entry
	var size uint64
	for iter.First(); iter.Valid(); iter.Next() {
		var e pb.Entry
		if err := e.Unmarshal(iter.Value()); err != nil {
			return nil, fmt.Errorf("group %d: entry: %w", s.gid, err)
		}
		size += uint64(e.Size())
		if len(ents) > 0 && size > maxSize {
			break
		}
		ents = append(ents, e)
	}
	if err := iter.Error(); err != nil {
		return nil, err
	}
	if len(ents) == 0 || ents[0].Index != lo {
		return nil, raft.ErrUnavailable
	}
	return ents, nil
}

// Snapshot implements raft.Storage. Raft asks for one when a follower
// needs entries that were truncated; it is made from the applied state,
// which the log never lags behind.
func (s *logStore) Snapshot() (pb.Snapshot, error) {
	if s.snapshot == nil {
		return pb.Snapshot{}, raft.ErrSnapshotTemporarilyUnavailable
	}
	return s.snapshot()
}

// append writes entries into b, replacing any conflicting suffix.
func (s *logStore) append(b *pebble.Batch, ents []pb.Entry) error {
	if len(ents) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	first := ents[0].Index
	if first <= s.trunc.Index {
		return fmt.Errorf("group %d: append at %d below truncated index %d", s.gid, first, s.trunc.Index)
	}
	if first > s.lastIndex()+1 {
		return fmt.Errorf("group %d: append at %d leaves a gap after %d", s.gid, first, s.lastIndex())
	}
	if last := s.lastIndex(); first <= last {
		if err := b.DeleteRange(entryKey(s.gid, first), entryKey(s.gid, last+1), nil); err != nil {
			return err
		}
		s.terms = s.terms[:first-s.trunc.Index-1]
	}
	buf := make([]byte, 0, 256)
	for i := range ents {
		n := ents[i].Size()
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := ents[i].MarshalTo(buf); err != nil {
			return err
		}
		if err := b.Set(entryKey(s.gid, ents[i].Index), buf, nil); err != nil {
			return err
		}
		s.terms = append(s.terms, ents[i].Term)
	}
	return nil
}

func (s *logStore) setHardState(b *pebble.Batch, hs pb.HardState) error {
	v, err := hs.Marshal()
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.hard = hs
	s.mu.Unlock()
	return b.Set(groupKey(s.gid, suffixHard), v, nil)
}

func (s *logStore) setTrunc(b *pebble.Batch, t truncState) error {
	return b.Set(groupKey(s.gid, suffixTrunc), t.marshal(), nil)
}

// compact removes the entries up to and including index from the log; conf
// is the membership as of index (the applied ConfState).
func (s *logStore) compact(b *pebble.Batch, index uint64, conf pb.ConfState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if index <= s.trunc.Index || index > s.lastIndex() {
		return nil
	}
	term := s.terms[index-s.trunc.Index-1]
	if err := b.DeleteRange(entryKey(s.gid, s.trunc.Index+1), entryKey(s.gid, index+1), nil); err != nil {
		return err
	}
	s.terms = append([]uint64(nil), s.terms[index-s.trunc.Index:]...)
	s.trunc = truncState{Index: index, Term: term, Conf: conf}
	return s.setTrunc(b, s.trunc)
}

// resetTo discards the whole log and starts it after a snapshot's point.
func (s *logStore) resetTo(b *pebble.Batch, meta pb.SnapshotMetadata) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := b.DeleteRange(entryKey(s.gid, 0), groupKey(s.gid, suffixEntry+1), nil); err != nil {
		return err
	}
	s.terms = nil
	s.trunc = truncState{Index: meta.Index, Term: meta.Term, Conf: meta.ConfState}
	return s.setTrunc(b, s.trunc)
}

// appliedState is persisted with every applied batch, atomically with the
// state machine's writes, so a restart never applies an entry twice.
type appliedState struct {
	Index uint64
	Conf  pb.ConfState
}

func (a appliedState) marshal() []byte {
	conf, err := a.Conf.Marshal()
	if err != nil {
		panic(err)
	}
	return append(binary.BigEndian.AppendUint64(nil, a.Index), conf...)
}

func decodeApplied(b []byte) (appliedState, error) {
	var a appliedState
	if len(b) < 8 {
		return a, fmt.Errorf("applied state: %d bytes", len(b))
	}
	a.Index = binary.BigEndian.Uint64(b)
	return a, a.Conf.Unmarshal(b[8:])
}

var _ raft.Storage = (*logStore)(nil)
