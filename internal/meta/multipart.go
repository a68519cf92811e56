package meta

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/anode/anode/internal/s3err"
)

// Upload is a multipart upload in progress: what CreateMultipartUpload
// said about the object to be, kept until the upload is completed or
// aborted. It lives in the placement group of its key.
type Upload struct {
	ID        string            `json:"id"`
	Bucket    string            `json:"b"`
	Key       string            `json:"k"`
	Initiated int64             `json:"t"` // unix nanoseconds, from the proposer's clock
	Meta      ObjectMeta        `json:"meta"`
	Tags      map[string]string `json:"tags,omitempty"`
	// ChecksumAlgorithm is the checksum every part carries ("" for none),
	// ChecksumType how the object's checksum derives from the parts'
	// (COMPOSITE or FULL_OBJECT).
	ChecksumAlgorithm string `json:"cka,omitempty"`
	ChecksumType      string `json:"ckt,omitempty"`
	// Lock is the Object Lock state the completed object gets.
	Lock *Lock `json:"lock,omitempty"`
	// Encryption is the encryption of the object to be (its data key
	// sealed; no chunk keys): every part is encrypted under it.
	Encryption *Encryption `json:"enc,omitempty"`
}

// Part is one uploaded part of a multipart upload. Its value has a
// "chunks" field like a Version's, so that garbage collection marks the
// chunks of parts not yet assembled into an object.
type Part struct {
	Number    int               `json:"n"`
	Size      int64             `json:"size"`
	ETag      string            `json:"etag"` // unquoted hex MD5 of the part
	Modified  int64             `json:"mtime"`
	Checksums map[string]string `json:"ck,omitempty"`
	Chunks    []ChunkRef        `json:"chunks,omitempty"`
	// ChunkKeys are the sealed keys of Chunks, for an encrypted upload.
	ChunkKeys [][]byte `json:"cks,omitempty"`
}

// MaxParts is the highest part number S3 allows.
const MaxParts = 10000

// uploadKey is 'u' bucket 0x00 esc(key) uploadID: an upload sorts with its
// key, and a key's uploads sort together.
func uploadKey(gid uint64, bucket, key, id string) []byte {
	return append(appendEscaped(bucketObjectsPrefix(gid, kindUpload, bucket), key), id...)
}

// partsPrefix is the prefix of every part of an upload: 'p' uploadID 0x00.
// Upload IDs are chosen by the object service (hex), so they hold no 0x00.
func partsPrefix(gid uint64, id string) []byte {
	return append(append(groupPrefix(gid, kindPart), id...), 0)
}

func partKey(gid uint64, id string, n int) []byte {
	return binary.BigEndian.AppendUint32(partsPrefix(gid, id), uint32(n))
}

func (sm *StateMachine) createUpload(b *pebble.Batch, cmd *Command) (*Result, error) {
	return &Result{}, setJSON(b, uploadKey(sm.gid, cmd.Bucket, cmd.Key, cmd.Upload.ID), cmd.Upload)
}

// putPart stores a part, replacing any earlier part of the same number
// (whose chunks become garbage unless something else references them).
func (sm *StateMachine) putPart(b *pebble.Batch, cmd *Command) (*Result, error) {
	found, err := getJSON(b, uploadKey(sm.gid, cmd.Bucket, cmd.Key, cmd.UploadID), &Upload{})
	if err != nil {
		return nil, err
	}
	if !found {
		return &Result{Err: s3err.NoSuchUpload}, nil
	}
	return &Result{}, setJSON(b, partKey(sm.gid, cmd.UploadID, cmd.Part.Number), cmd.Part)
}

// completeUpload makes the object of a multipart upload the key's current
// version, in one batch with the removal of the upload and all its parts:
// the object appears whole or not at all, and parts the completion did not
// list are no longer referenced. The proposer computed the version's ETag
// and checksums from the parts it read; apply checks that each listed
// part is still the one the proposer saw (a part re-uploaded in between
// fails the completion with InvalidPart) and takes the chunk list from the
// stored parts, so the object references exactly what the parts did.
func (sm *StateMachine) completeUpload(b *pebble.Batch, index uint64, cmd *Command) (*Result, error) {
	var up Upload
	found, err := getJSON(b, uploadKey(sm.gid, cmd.Bucket, cmd.Key, cmd.UploadID), &up)
	if err != nil {
		return nil, err
	}
	if !found {
		return sm.completedAgain(b, cmd)
	}
	v := *cmd.Version
	v.Chunks = nil
	// The object is encrypted as its upload says, whatever the proposer
	// sent, with the chunk keys of the parts it is made of.
	v.Encryption = nil
	if up.Encryption != nil {
		e := *up.Encryption
		e.ChunkKeys = nil
		v.Encryption = &e
	}
	for _, pi := range v.Parts {
		var p Part
		found, err := getJSON(b, partKey(sm.gid, cmd.UploadID, pi.Number), &p)
		if err != nil {
			return nil, err
		}
		if !found || p.ETag != pi.ETag || p.Size != pi.Size || !maps.Equal(p.Checksums, pi.Checksums) {
			return &Result{Err: s3err.InvalidPart}, nil
		}
		if (up.Encryption == nil && len(p.ChunkKeys) > 0) || (up.Encryption != nil && len(p.ChunkKeys) != len(p.Chunks)) {
			return &Result{Err: s3err.InvalidPart}, nil
		}
		v.Chunks = append(v.Chunks, p.Chunks...)
		if v.Encryption != nil {
			v.Encryption.ChunkKeys = append(v.Encryption.ChunkKeys, p.ChunkKeys...)
		}
	}
	put := *cmd
	put.Op = OpPutObject
	put.Version = &v
	res, err := sm.putObject(b, index, &put)
	if err != nil || res.Err != nil {
		return res, err
	}
	done := completedUpload{Bucket: cmd.Bucket, Key: cmd.Key, Seq: res.Version.Seq, Done: cmd.Time}
	if err := setJSON(b, completedKey(sm.gid, cmd.UploadID), &done); err != nil {
		return nil, err
	}
	if err := b.Set(completedExpiryKey(sm.gid, cmd.Time, cmd.UploadID), nil, nil); err != nil {
		return nil, err
	}
	if err := sm.expireCompleted(b); err != nil {
		return nil, err
	}
	return res, sm.dropUpload(b, cmd.Bucket, cmd.Key, cmd.UploadID)
}

// completedAgain answers a CompleteUpload whose upload is gone: if that
// upload completed into the same key and its version is still the key's
// current one, the retry gets the same success (the client's first answer
// was lost, or two completions raced); otherwise NoSuchUpload, as S3.
// Deciding here, in apply, also covers a retry proposed while the first
// completion was still in flight.
func (sm *StateMachine) completedAgain(b *pebble.Batch, cmd *Command) (*Result, error) {
	var done completedUpload
	found, err := getJSON(b, completedKey(sm.gid, cmd.UploadID), &done)
	if err != nil {
		return nil, err
	}
	if !found || done.Bucket != cmd.Bucket || done.Key != cmd.Key {
		return &Result{Err: s3err.NoSuchUpload}, nil
	}
	var cur Version
	found, err = getJSON(b, currentKey(sm.gid, cmd.Bucket, cmd.Key), &cur)
	if err != nil {
		return nil, err
	}
	if !found || cur.Seq != done.Seq {
		return &Result{Err: s3err.NoSuchUpload}, nil
	}
	return &Result{Version: &cur}, nil
}

// completedUpload remembers which version a completed upload made, so that
// a client retrying CompleteMultipartUpload (its answer was lost) gets the
// same success instead of NoSuchUpload, as S3 answers. Stored under
// 'm' gid 'x' uploadID (about a hundred bytes), with an expiry index entry
// 'm' gid 'y' done(8) uploadID; records expire CompletedUploadTTL after
// the completion, by the group's applied clock.
type completedUpload struct {
	Bucket string `json:"b"`
	Key    string `json:"k"`
	Seq    uint64 `json:"seq"`
	Done   int64  `json:"done,omitempty"` // the completion's Time
}

// CompletedUploadTTL is how long a completed upload is remembered for
// retried completions. Clients retry within minutes; a day is generous.
const CompletedUploadTTL = 24 * time.Hour

// expireBatch bounds the expired records one completion removes: each
// completion adds one, so removing up to a few keeps pace.
const expireBatch = 8

func completedKey(gid uint64, uploadID string) []byte {
	return append(groupPrefix(gid, 'x'), uploadID...)
}

func completedExpiryKey(gid uint64, done int64, uploadID string) []byte {
	return append(binary.BigEndian.AppendUint64(groupPrefix(gid, 'y'), uint64(done)), uploadID...)
}

// expireCompleted removes up to expireBatch completed-upload records older
// than CompletedUploadTTL by the group's applied clock (deterministic: the
// clock is in the applied state).
func (sm *StateMachine) expireCompleted(b *pebble.Batch) error {
	clock, err := sm.clock(b)
	if err != nil {
		return err
	}
	cutoff := clock - int64(CompletedUploadTTL)
	if cutoff <= 0 {
		return nil
	}
	p := groupPrefix(sm.gid, 'y')
	it, err := b.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: binary.BigEndian.AppendUint64(append([]byte(nil), p...), uint64(cutoff))})
	if err != nil {
		return err
	}
	var expired [][]byte
	for ok := it.First(); ok && len(expired) < expireBatch; ok = it.Next() {
		expired = append(expired, append([]byte(nil), it.Key()...))
	}
	if err := it.Close(); err != nil {
		return err
	}
	for _, k := range expired {
		id := string(k[len(p)+8:])
		if err := b.Delete(completedKey(sm.gid, id), nil); err != nil {
			return err
		}
		if err := b.Delete(k, nil); err != nil {
			return err
		}
	}
	return nil
}

// CompletedVersion returns the version a completed upload created, if that
// version is still the key's current one (linearizable); NoSuchUpload
// otherwise.
func (s *Store) CompletedVersion(ctx context.Context, bucket, key, uploadID string) (*Version, error) {
	gid := s.GroupOf(bucket, key)
	if err := s.barrier(ctx, gid); err != nil {
		return nil, err
	}
	var done completedUpload
	found, err := getJSON(s.db, completedKey(gid, uploadID), &done)
	if err != nil {
		return nil, err
	}
	if !found || done.Bucket != bucket || done.Key != key {
		return nil, s3err.NoSuchUpload
	}
	var cur Version
	found, err = getJSON(s.db, currentKey(gid, bucket, key), &cur)
	if err != nil {
		return nil, err
	}
	if !found || cur.Seq != done.Seq {
		return nil, s3err.NoSuchUpload
	}
	return &cur, nil
}

func (sm *StateMachine) abortUpload(b *pebble.Batch, cmd *Command) (*Result, error) {
	found, err := getJSON(b, uploadKey(sm.gid, cmd.Bucket, cmd.Key, cmd.UploadID), &Upload{})
	if err != nil {
		return nil, err
	}
	if !found {
		return &Result{Err: s3err.NoSuchUpload}, nil
	}
	return &Result{}, sm.dropUpload(b, cmd.Bucket, cmd.Key, cmd.UploadID)
}

// dropUpload deletes an upload record and all of its parts.
func (sm *StateMachine) dropUpload(b *pebble.Batch, bucket, key, id string) error {
	if err := b.Delete(uploadKey(sm.gid, bucket, key, id), nil); err != nil {
		return err
	}
	p := partsPrefix(sm.gid, id)
	return b.DeleteRange(p, prefixEnd(p), nil)
}

// Upload returns a multipart upload of a key (linearizable), or
// s3err.NoSuchUpload.
func (s *Store) Upload(ctx context.Context, bucket, key, id string) (*Upload, error) {
	gid := s.GroupOf(bucket, key)
	if err := s.barrier(ctx, gid); err != nil {
		return nil, err
	}
	var u Upload
	found, err := getJSON(s.db, uploadKey(gid, bucket, key, id), &u)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, s3err.NoSuchUpload
	}
	return &u, nil
}

// Parts returns an upload with up to max of its parts numbered above
// after, in part number order (linearizable), and whether more follow.
func (s *Store) Parts(ctx context.Context, bucket, key, id string, after, max int) (*Upload, []Part, bool, error) {
	u, err := s.Upload(ctx, bucket, key, id)
	if err != nil {
		return nil, nil, false, err
	}
	gid := s.GroupOf(bucket, key)
	snap := s.db.NewSnapshot()
	defer snap.Close()
	var parts []Part
	truncated := false
	p := partsPrefix(gid, id)
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: partKey(gid, id, after+1), UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, nil, false, err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		if len(parts) == max {
			truncated = true
			break
		}
		var part Part
		if err := json.Unmarshal(it.Value(), &part); err != nil {
			return nil, nil, false, err
		}
		parts = append(parts, part)
	}
	return u, parts, truncated, it.Error()
}

// UploadPage is one page of ListMultipartUploads.
type UploadPage struct {
	Uploads   []Upload
	Prefixes  []string
	Truncated bool
	// NextKey and NextUploadID are where the next page starts (after).
	NextKey, NextUploadID string
}

// ListUploads lists a bucket's multipart uploads as ListMultipartUploads
// defines it: by key, then by initiation time, after (keyMarker,
// uploadIDMarker), with keys rolled up into common prefixes at the
// delimiter. Uploads are few and short-lived next to objects, so it reads
// all uploads under the prefix from every group and sorts them, rather
// than merging the groups' spans as List does.
func (s *Store) ListUploads(ctx context.Context, bucket, prefix, delimiter, keyMarker, uploadIDMarker string, max int) (*UploadPage, error) {
	if err := s.BarrierAll(ctx); err != nil {
		return nil, err
	}
	snap := s.db.NewSnapshot()
	defer snap.Close()
	var all []Upload
	for g := 1; g <= s.groups; g++ {
		lo := bucketObjectsPrefix(uint64(g), kindUpload, bucket)
		lo = appendEscaped(lo, prefix)
		lo = lo[:len(lo)-2] // the prefix's escaped bytes, without the terminator
		it, err := snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
		if err != nil {
			return nil, err
		}
		for it.First(); it.Valid(); it.Next() {
			var u Upload
			if err := json.Unmarshal(it.Value(), &u); err != nil {
				it.Close()
				return nil, err
			}
			all = append(all, u)
		}
		if err := it.Close(); err != nil {
			return nil, err
		}
	}
	sort.Slice(all, func(i, j int) bool {
		a, b := &all[i], &all[j]
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		if a.Initiated != b.Initiated {
			return a.Initiated < b.Initiated
		}
		return a.ID < b.ID
	})
	// Skip what the markers say was listed: with an upload ID marker, the
	// marker key's uploads up to and including that one; without, every
	// upload of the marker key.
	start := 0
	if keyMarker != "" {
		start = sort.Search(len(all), func(i int) bool { return all[i].Key > keyMarker })
		if uploadIDMarker != "" {
			for i := 0; i < len(all); i++ {
				if all[i].Key == keyMarker && all[i].ID == uploadIDMarker {
					start = i + 1
					break
				}
			}
		}
	}
	page := &UploadPage{}
	count := 0
	for i := start; i < len(all); i++ {
		u := all[i]
		if delimiter != "" {
			if j := strings.Index(u.Key[len(prefix):], delimiter); j >= 0 {
				cp := u.Key[:len(prefix)+j+len(delimiter)]
				if cp == keyMarker || (len(page.Prefixes) > 0 && page.Prefixes[len(page.Prefixes)-1] == cp) {
					continue
				}
				if count == max {
					page.Truncated = true
					break
				}
				page.Prefixes = append(page.Prefixes, cp)
				page.NextKey, page.NextUploadID = cp, ""
				count++
				continue
			}
		}
		if count == max {
			page.Truncated = true
			break
		}
		page.Uploads = append(page.Uploads, u)
		page.NextKey, page.NextUploadID = u.Key, u.ID
		count++
	}
	return page, nil
}

// EachUpload calls fn for every multipart upload in the local state of the
// placement groups (not linearizable: it is for reaping abandoned uploads).
func (s *Store) EachUpload(fn func(Upload) error) error {
	snap := s.db.NewSnapshot()
	defer snap.Close()
	for g := 1; g <= s.groups; g++ {
		p := groupPrefix(uint64(g), kindUpload)
		it, err := snap.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
		if err != nil {
			return err
		}
		for it.First(); it.Valid(); it.Next() {
			var u Upload
			if err := json.Unmarshal(it.Value(), &u); err != nil {
				it.Close()
				return err
			}
			if err := fn(u); err != nil {
				it.Close()
				return err
			}
		}
		if err := it.Close(); err != nil {
			return err
		}
	}
	return nil
}
