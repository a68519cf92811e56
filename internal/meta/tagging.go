package meta

import (
	"github.com/cockroachdb/pebble/v2"

	"github.com/anode/anode/internal/s3err"
)

// putTags replaces the tag set of one version in place: the current
// version when cmd.VersionID is empty, else the version it names. Tags
// are not part of the data, so the version keeps its ID, ETag and time.
func (sm *StateMachine) putTags(b *pebble.Batch, cmd *Command) (*Result, error) {
	ck := currentKey(sm.gid, cmd.Bucket, cmd.Key)
	var cur Version
	found, err := getJSON(b, ck, &cur)
	if err != nil {
		return nil, err
	}
	if !found {
		if cmd.VersionID != "" {
			return &Result{Err: s3err.NoSuchVersion}, nil
		}
		return &Result{Err: s3err.NoSuchKey}, nil
	}
	key := ck
	v := &cur
	if cmd.VersionID != "" && !versionIs(&cur, cmd.VersionID) {
		v = nil
		err := sm.eachNoncurrent(b, cmd.Bucket, cmd.Key, func(nv *Version) bool {
			if versionIs(nv, cmd.VersionID) {
				v = nv
				return false
			}
			return true
		})
		if err != nil {
			return nil, err
		}
		if v == nil {
			return &Result{Err: s3err.NoSuchVersion}, nil
		}
		key = noncurrentKey(sm.gid, cmd.Bucket, cmd.Key, v.Seq)
	}
	if v.DeleteMarker {
		if cmd.VersionID == "" {
			return &Result{Err: s3err.NoSuchKey}, nil
		}
		return &Result{Err: s3err.MethodNotAllowed}, nil
	}
	v.Tags = cmd.Tags
	if len(v.Tags) == 0 {
		v.Tags = nil
	}
	return &Result{Version: v}, setJSON(b, key, v)
}
