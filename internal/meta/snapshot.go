package meta

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// A group's snapshot is every key of its metadata span, as a sequence of
// (uvarint key length, key, uvarint value length, value). Groups are small
// (object records, not object data, except inline objects), so the whole
// snapshot fits in one raft message.

func groupSpan(gid uint64) (lo, hi []byte) {
	lo = groupPrefix(gid, 0)[:9]
	return lo, prefixEnd(lo)
}

// Snapshot encodes the group's state as r holds it.
func (sm *StateMachine) Snapshot(r pebble.Reader) ([]byte, error) {
	lo, hi := groupSpan(sm.gid)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []byte
	for it.First(); it.Valid(); it.Next() {
		out = binary.AppendUvarint(out, uint64(len(it.Key())))
		out = append(out, it.Key()...)
		out = binary.AppendUvarint(out, uint64(len(it.Value())))
		out = append(out, it.Value()...)
	}
	return out, it.Error()
}

// Restore replaces the group's state with a snapshot's, in b.
func (sm *StateMachine) Restore(b *pebble.Batch, data []byte) error {
	lo, hi := groupSpan(sm.gid)
	if err := b.DeleteRange(lo, hi, nil); err != nil {
		return err
	}
	for len(data) > 0 {
		k, rest, err := readChunk(data)
		if err != nil {
			return err
		}
		v, rest, err := readChunk(rest)
		if err != nil {
			return err
		}
		if len(k) < len(lo) || string(k[:len(lo)]) != string(lo) {
			return fmt.Errorf("snapshot of group %d holds a key outside it: %q", sm.gid, k)
		}
		if err := b.Set(k, v, nil); err != nil {
			return err
		}
		data = rest
	}
	return nil
}

func readChunk(b []byte) (chunk, rest []byte, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return nil, nil, errors.New("snapshot: truncated")
	}
	return b[k : k+int(n)], b[k+int(n):], nil
}
