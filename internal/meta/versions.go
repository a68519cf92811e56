package meta

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cockroachdb/pebble/v2"
)

// VersionEntry is one version (or delete marker) in a version listing.
type VersionEntry struct {
	Key      string
	Version  *Version
	IsLatest bool
}

// VersionPage is one page of ListObjectVersions.
type VersionPage struct {
	Entries   []VersionEntry
	Prefixes  []string
	Truncated bool
	// NextKey and NextVersionID are the last key (or common prefix) and
	// version listed: listing again after them continues the listing.
	NextKey, NextVersionID string
}

// VersionIDOf returns the version ID S3 shows for v: "null" for the null
// version.
func VersionIDOf(v *Version) string {
	if v.IsNull() {
		return NullVersion
	}
	return v.VersionID
}

// ListVersions lists every version of a bucket's keys, as
// ListObjectVersions defines it: by key, newest version first, after
// (keyMarker, versionIDMarker), with keys rolled up into common prefixes
// at the delimiter. It merges the groups' current-version spans as List
// does and reads each key's noncurrent versions beside its current one:
// a key has noncurrent versions only while it has a current version
// (deleting the current version promotes the newest noncurrent one), so
// walking the current keys finds every version.
func (s *Store) ListVersions(ctx context.Context, bucket, prefix, delimiter, keyMarker, versionIDMarker string, max int) (*VersionPage, error) {
	if err := s.BarrierAll(ctx); err != nil {
		return nil, err
	}
	snap := s.db.NewSnapshot()
	defer snap.Close()
	start, skipKey := prefix, ""
	if keyMarker != "" && keyMarker >= prefix {
		if versionIDMarker != "" {
			start, skipKey = keyMarker, keyMarker
		} else {
			start = resumeAfter(prefix, delimiter, keyMarker)
		}
	}
	m, err := s.mergeCurrent(snap, bucket, prefix, start)
	if err != nil {
		return nil, err
	}
	defer m.close()

	page := &VersionPage{}
	count := 0
outer:
	for m.h.Len() > 0 {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c := m.h[0]
		key := string(c.key())
		if delimiter != "" && key != skipKey {
			if i := strings.Index(key[len(prefix):], delimiter); i >= 0 {
				cp := key[:len(prefix)+i+len(delimiter)]
				if count == max {
					page.Truncated = true
					break
				}
				page.Prefixes = append(page.Prefixes, cp)
				page.NextKey, page.NextVersionID = cp, ""
				count++
				m.seekAll([]byte(prefixEndString(cp)))
				continue
			}
		}
		var cur Version
		if err := json.Unmarshal(c.it.Value(), (*listVersion)(&cur)); err != nil {
			return nil, fmt.Errorf("list versions %s: %q: %w", bucket, key, err)
		}
		versions := []*Version{&cur}
		older, err := s.noncurrent(snap, bucket, key)
		if err != nil {
			return nil, err
		}
		versions = append(versions, older...)
		skip := 0
		if key == skipKey {
			skip = versionsUpTo(versions, versionIDMarker)
		}
		for i, v := range versions {
			if i < skip {
				continue
			}
			if count == max {
				page.Truncated = true
				break outer
			}
			page.Entries = append(page.Entries, VersionEntry{Key: key, Version: v, IsLatest: i == 0})
			page.NextKey, page.NextVersionID = key, VersionIDOf(v)
			count++
		}
		m.advance()
	}
	if err := m.err(); err != nil {
		return nil, err
	}
	return page, nil
}

// versionsUpTo returns how many of a key's versions (newest first) come
// before or at the version-id marker, so that a listing resumes right
// after the marker whether or not the marker version still exists: a
// client deleting each page of versions before asking for the next one
// (boto3's Bucket.object_versions.delete()) must see every other version
// exactly once. Version IDs are the sequence numbers that order versions,
// so a deleted marker's place is known. The null version's ID carries no
// sequence: when it is gone, the key's versions are listed again from
// the newest (a repeat, never a skip).
func versionsUpTo(versions []*Version, marker string) int {
	if marker == NullVersion {
		for i, v := range versions {
			if v.IsNull() {
				return i + 1
			}
		}
		return 0
	}
	seq, ok := seqOfVersionID(marker)
	if !ok {
		return 0
	}
	n := 0
	for n < len(versions) && versions[n].Seq >= seq {
		n++
	}
	return n
}

// noncurrent returns a key's noncurrent versions, newest first, without
// their data.
func (s *Store) noncurrent(snap *pebble.Snapshot, bucket, key string) ([]*Version, error) {
	p := noncurrentPrefix(s.GroupOf(bucket, key), bucket, key)
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []*Version
	for it.First(); it.Valid(); it.Next() {
		var v Version
		if err := json.Unmarshal(it.Value(), (*listVersion)(&v)); err != nil {
			return nil, fmt.Errorf("noncurrent version of %s/%s: %w", bucket, key, err)
		}
		out = append(out, &v)
	}
	return out, it.Error()
}
