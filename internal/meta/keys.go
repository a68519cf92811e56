package meta

import (
	"encoding/binary"
	"hash/fnv"
)

// Metadata keys. Each placement group's state lives under its own prefix so
// that it can be snapshotted and moved as one span:
//
//	'm' gid(8) 'o' bucket 0x00 key                    current version of a key
//	'm' gid(8) 'v' bucket 0x00 esc(key) ^seq(8)       noncurrent versions, newest first
//	'm' gid(8) 's'                                    Stats
//	'm' gid(8) 'b' bucket                             bucket record (system group)
//	'm' gid(8) 'u' bucket 0x00 esc(key) uploadID      multipart upload
//	'm' gid(8) 'p' uploadID 0x00 part(4)              uploaded part
//	'm' gid(8) 'x' uploadID                           completed upload (multipart.go)
//	'm' gid(8) 'y' done(8) uploadID                   its expiry index entry
//	'm' gid(8) 'k'                                    applied clock (fence.go)
//	'm' gid(8) 'd' bucket                             bucket fence (fence.go)
//	'm' gid(8) 'S'/'M'/'H' ...                         bucket snapshots (bucketsnap.go)
//
// Bucket names cannot contain 0x00, so "bucket 0x00 key" sorts by bucket
// then key. Where a key is followed by more fields it is escaped (0x00 ->
// 0x00 0xff, terminated by 0x00 0x01) so that any UTF-8 key, even one with
// NUL in it, keeps byte order and cannot run into the next field.
const (
	metaPrefix     = 'm'
	kindCurrent    = 'o'
	kindNoncurrent = 'v'
	kindStats      = 's'
	kindBucket     = 'b'
	kindUpload     = 'u'
	kindPart       = 'p'
)

// SystemGroup is the raft group that holds cluster-wide state: buckets
// (and, later, nodes, placement and credentials).
const SystemGroup = 0

// GroupOf returns the placement group (1..n) that owns a bucket's key:
// FNV-1a of "bucket 0x00 key", modulo n. It must never change for a given
// n, or keys would be looked up in the wrong group.
func GroupOf(bucket, key string, n int) uint64 {
	h := fnv.New64a()
	h.Write([]byte(bucket))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return 1 + h.Sum64()%uint64(n)
}

func groupPrefix(gid uint64, kind byte) []byte {
	k := make([]byte, 10, 64)
	k[0] = metaPrefix
	binary.BigEndian.PutUint64(k[1:], gid)
	k[9] = kind
	return k
}

func currentKey(gid uint64, bucket, key string) []byte {
	k := append(groupPrefix(gid, kindCurrent), bucket...)
	k = append(k, 0)
	return append(k, key...)
}

// bucketObjectsPrefix is the prefix of all current keys of a bucket in a group.
func bucketObjectsPrefix(gid uint64, kind byte, bucket string) []byte {
	k := append(groupPrefix(gid, kind), bucket...)
	return append(k, 0)
}

func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		b = append(b, s[i])
		if s[i] == 0 {
			b = append(b, 0xff)
		}
	}
	return append(b, 0, 1)
}

func noncurrentPrefix(gid uint64, bucket, key string) []byte {
	return appendEscaped(bucketObjectsPrefix(gid, kindNoncurrent, bucket), key)
}

func noncurrentKey(gid uint64, bucket, key string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(noncurrentPrefix(gid, bucket, key), ^seq)
}

func statsKey(gid uint64) []byte { return groupPrefix(gid, kindStats) }

func bucketKey(name string) []byte {
	return append(groupPrefix(SystemGroup, kindBucket), name...)
}

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
