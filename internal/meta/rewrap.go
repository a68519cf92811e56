package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Rewrap replaces the wrapped data key of one version after its KMS key
// was rotated (OpRewrapDataKey): the object's data and chunk keys stay as
// they are, only DataKey and KeyVersion change.
type Rewrap struct {
	Seq     uint64 `json:"seq"` // the version, by the raft index that created it
	KeyID   string `json:"kid"`
	From    int    `json:"from"` // the key version DataKey is wrapped by now
	To      int    `json:"to"`
	DataKey []byte `json:"dk"`
}

// rewrapDataKey applies a Rewrap to the version it names, current or
// noncurrent, if that version is still wrapped as the proposer saw it; a
// version deleted or rewrapped since is left alone.
func (sm *StateMachine) rewrapDataKey(b *pebble.Batch, cmd *Command) (*Result, error) {
	r := cmd.Rewrap
	if r == nil {
		return &Result{}, nil
	}
	for _, k := range [][]byte{currentKey(sm.gid, cmd.Bucket, cmd.Key), noncurrentKey(sm.gid, cmd.Bucket, cmd.Key, r.Seq)} {
		var v Version
		found, err := getJSON(b, k, &v)
		if err != nil {
			return nil, err
		}
		if !found || v.Seq != r.Seq {
			continue
		}
		if e := v.Encryption; e != nil && e.Mode != "SSE-C" && e.KeyID == r.KeyID && e.KeyVersion == r.From {
			e.KeyVersion, e.DataKey = r.To, r.DataKey
			return &Result{Version: &v}, setJSON(b, k, &v)
		}
		return &Result{}, nil
	}
	return &Result{}, nil
}

// WrappedVersion is a stored version whose data key a KMS key wraps.
type WrappedVersion struct {
	Group       uint64
	Bucket, Key string
	Version     *Version
}

// EachWrappedVersion calls fn for every version (current and noncurrent,
// in every placement group) whose data key is wrapped by KMS key keyID
// at a version below below. Like List it reads this node's copy of every
// group after a read barrier on each.
func (s *Store) EachWrappedVersion(ctx context.Context, keyID string, below int, fn func(WrappedVersion) error) error {
	if err := s.BarrierAll(ctx); err != nil {
		return err
	}
	snap := s.db.NewSnapshot()
	defer snap.Close()
	for g := 1; g <= s.groups; g++ {
		for _, kind := range []byte{kindCurrent, kindNoncurrent} {
			p := groupPrefix(uint64(g), kind)
			it, err := snap.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
			if err != nil {
				return err
			}
			for it.First(); it.Valid(); it.Next() {
				var v Version
				if err := json.Unmarshal(it.Value(), &v); err != nil {
					it.Close()
					return fmt.Errorf("rewrap scan: %q: %w", it.Key(), err)
				}
				e := v.Encryption
				if e == nil || e.Mode == "SSE-C" || e.KeyID != keyID || e.KeyVersion >= below {
					continue
				}
				bucket, key, ok := splitVersionKey(it.Key()[len(p):], kind == kindNoncurrent)
				if !ok {
					it.Close()
					return fmt.Errorf("rewrap scan: malformed key %q", it.Key())
				}
				if err := fn(WrappedVersion{Group: uint64(g), Bucket: bucket, Key: key, Version: &v}); err != nil {
					it.Close()
					return err
				}
			}
			if err := it.Close(); err != nil {
				return err
			}
		}
	}
	return nil
}

// splitVersionKey parses "bucket 0x00 key" (current) or
// "bucket 0x00 esc(key) ^seq(8)" (noncurrent; see appendEscaped).
func splitVersionKey(k []byte, escaped bool) (bucket, key string, ok bool) {
	i := bytes.IndexByte(k, 0)
	if i < 0 {
		return "", "", false
	}
	bucket, rest := string(k[:i]), k[i+1:]
	if !escaped {
		return bucket, string(rest), true
	}
	var out []byte
	for j := 0; j+1 < len(rest); j++ {
		if rest[j] != 0 {
			out = append(out, rest[j])
			continue
		}
		switch rest[j+1] {
		case 0xff:
			out = append(out, 0)
			j++
		case 1:
			return bucket, string(out), len(rest) == j+2+8
		default:
			return "", "", false
		}
	}
	return "", "", false
}
