package meta

import (
	"encoding/json"
	"fmt"

	"github.com/anode/anode/internal/cluster"
)

// Op is the kind of a metadata command.
type Op uint8

// Commands. Their numbers are part of the log format: never renumber.
const (
	OpCreateBucket Op = 1
	OpDeleteBucket Op = 2
	OpPutObject    Op = 3
	OpDeleteObject Op = 4
	OpUpdateBucket Op = 5
	// Multipart uploads and tagging (multipart.go, tagging.go).
	OpCreateUpload   Op = 6
	OpPutPart        Op = 7
	OpCompleteUpload Op = 8
	OpAbortUpload    Op = 9
	OpPutTags        Op = 10
	OpSetMembers     Op = 11
	OpAddNode        Op = 12
	OpRemoveNode     Op = 13
	// Object Lock and lifecycle (objectlock.go, expire.go), numbered apart
	// so that concurrent additions do not collide.
	OpPutRetention Op = 48
	OpPutLegalHold Op = 49
	OpExpire       Op = 50
	// OpIAM changes a user, access key, group or policy (iam.go). Its
	// number stands apart so that new object commands need not skip it.
	OpIAM Op = 64
	// Bucket deletion and deadlines (fence.go).
	OpLockBucket   Op = 14
	OpUnlockBucket Op = 15
	OpCloseBucket  Op = 16
	OpOpenBucket   Op = 17
	OpFence        Op = 18
	// The built-in KMS's keys (encryption.go). Numbered apart from the
	// others so that concurrent additions do not collide.
	OpPutKMSKey     Op = 40
	OpRewrapDataKey Op = 41 // placement groups (rewrap.go)
)

func (o Op) String() string {
	switch o {
	case OpCreateBucket:
		return "CreateBucket"
	case OpDeleteBucket:
		return "DeleteBucket"
	case OpPutObject:
		return "PutObject"
	case OpDeleteObject:
		return "DeleteObject"
	case OpUpdateBucket:
		return "UpdateBucket"
	case OpCreateUpload:
		return "CreateUpload"
	case OpPutPart:
		return "PutPart"
	case OpCompleteUpload:
		return "CompleteUpload"
	case OpAbortUpload:
		return "AbortUpload"
	case OpPutTags:
		return "PutTags"
	case OpSetMembers:
		return "SetMembers"
	case OpAddNode:
		return "AddNode"
	case OpRemoveNode:
		return "RemoveNode"
	case OpPutRetention:
		return "PutRetention"
	case OpPutLegalHold:
		return "PutLegalHold"
	case OpExpire:
		return "Expire"
	case OpIAM:
		return "IAM"
	case OpLockBucket:
		return "LockBucket"
	case OpUnlockBucket:
		return "UnlockBucket"
	case OpCloseBucket:
		return "CloseBucket"
	case OpOpenBucket:
		return "OpenBucket"
	case OpFence:
		return "Fence"
	case OpPutKMSKey:
		return "PutKMSKey"
	case OpRewrapDataKey:
		return "RewrapDataKey"
	case OpSnapshotMark:
		return "SnapshotMark"
	case OpSnapshotUnmark:
		return "SnapshotUnmark"
	case OpPutSnapshot:
		return "PutSnapshot"
	case OpDeleteSnapshot:
		return "DeleteSnapshot"
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Command is a change to metadata, proposed to a group and applied by every
// replica. Everything apply needs is in the command: the proposer's clock
// reading, the bucket's versioning state as the proposer saw it, the new
// version's data. Apply never consults anything else.
type Command struct {
	Op   Op    `json:"op"`
	Time int64 `json:"t"` // proposer's wall clock, unix nanoseconds

	// Deadline (unix nanoseconds, proposer's clock; 0 for none): apply
	// refuses the command once its group has applied a command stamped
	// more than ClockMargin later (fence.go).
	Deadline int64 `json:"dl,omitempty"`

	Bucket string `json:"b,omitempty"`
	Key    string `json:"k,omitempty"`
	// Incarnation is the bucket's, as the proposer read it: object
	// commands for a deleted or re-created bucket are refused (fence.go).
	// DeleteBucket and its lease commands name the incarnation they delete.
	Incarnation uint64 `json:"inc,omitempty"`
	// Closer names the DeleteBucket that holds a bucket's delete lease
	// (LockBucket, UnlockBucket, DeleteBucket).
	Closer string `json:"closer,omitempty"`

	// PutObject: the new version (Seq and VersionID are set by apply).
	Version *Version `json:"ver,omitempty"`
	// Versioning is the bucket's versioning state ("", Enabled, Suspended)
	// for PutObject and DeleteObject.
	Versioning string `json:"vs,omitempty"`
	// Conditions for PutObject: "*" in IfNoneMatch creates only when the
	// key has no current object; IfMatch requires the current ETag. For
	// DeleteObject, IfMatch requires the current version's ETag ("*": any
	// live object).
	IfMatch     string `json:"im,omitempty"`
	IfNoneMatch string `json:"inm,omitempty"`
	// VersionID selects the version DeleteObject removes for good.
	VersionID string `json:"vid,omitempty"`

	// CreateBucket, UpdateBucket: the bucket record to write.
	BucketRecord *Bucket `json:"bucket,omitempty"`

	// UploadID names the multipart upload of PutPart, CompleteUpload and
	// AbortUpload (chosen at random by the proposer of CreateUpload).
	UploadID string `json:"uid,omitempty"`
	// CreateUpload: the upload record to write.
	Upload *Upload `json:"up,omitempty"`
	// PutPart: the part to write.
	Part *Part `json:"part,omitempty"`
	// PutTags: the tag set that replaces the version's (nil removes them),
	// of the version named by VersionID ("" for the current one).
	Tags map[string]string `json:"tags,omitempty"`

	// SetMembers: the initial members; AddNode: the new node's address
	// (Members[0].Addr); RemoveNode: the node's ID (Members[0].ID).
	Members []cluster.Node `json:"members,omitempty"`

	// Object Lock (objectlock.go). BypassGovernance lets a delete or a
	// retention change pass an unexpired GOVERNANCE retention; Lock is
	// the retention (PutRetention) or legal hold (PutLegalHold) to set.
	BypassGovernance bool  `json:"bgr,omitempty"`
	Lock             *Lock `json:"lock,omitempty"`
	// Expire (expire.go): the sequence number of the version the
	// lifecycle rule saw; the command does nothing unless it still is.
	IfSeq uint64 `json:"ifseq,omitempty"`
	// IAM: the identity change (iam.go).
	IAM *IAMCommand `json:"iam,omitempty"`
	// PutKMSKey: the key record to write.
	KMSKey *KMSKey `json:"kmskey,omitempty"`
	// RewrapDataKey: the version and its newly wrapped data key.
	Rewrap *Rewrap `json:"rewrap,omitempty"`

	// PutSnapshot: the snapshot record (bucketsnap.go). SnapshotUnmark:
	// Seq is the index of the marker to drop.
	Snapshot *Snapshot `json:"snap,omitempty"`
	Seq      uint64    `json:"seq,omitempty"`
	// SnapToken names one attempt to take a snapshot (SnapshotMark); a
	// SnapshotUnmark with Seq 0 drops the bucket's markers of that token.
	SnapToken string `json:"stok,omitempty"`
}

// encodingV1 is the first byte of every encoded command: the encoding
// version. A replica that meets a version it does not know stops rather
// than apply something it misunderstands.
const encodingV1 = 1

// Encode returns the command's log encoding: a version byte, then JSON.
func (c *Command) Encode() ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode %v command: %w", c.Op, err)
	}
	return append([]byte{encodingV1}, b...), nil
}

// DecodeCommand parses a command encoded by Encode.
func DecodeCommand(b []byte) (*Command, error) {
	if len(b) == 0 || b[0] != encodingV1 {
		return nil, fmt.Errorf("decode command: unknown encoding version")
	}
	var c Command
	if err := json.Unmarshal(b[1:], &c); err != nil {
		return nil, fmt.Errorf("decode command: %w", err)
	}
	return &c, nil
}
