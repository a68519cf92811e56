package s3api

import (
	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// snapshotReads are the operations a snapshot's read-only virtual bucket
// (BUCKET--NAME--snap, docs/snapshots.md) answers.
var snapshotReads = map[string]bool{
	"GetObject": true, "HeadObject": true, "ListObjects": true, "ListObjectsV2": true, "HeadBucket": true,
}

var errSnapshotReadOnly = s3err.AccessDenied.WithMessage("A snapshot is read-only.")

// guardSnapshot refuses every write to a snapshot's virtual bucket, and,
// until snapshot reads are authorized by the source bucket's policies,
// every request of anyone but the root user.
func (a *api) guardSnapshot(rq *request) error {
	root := a.iam == nil || (rq.identity != nil && rq.identity.Root)
	if h := rq.r.Header.Get("x-amz-copy-source"); h != "" && !root {
		// Copying out of a snapshot reads it: the same rule as a GET.
		if src, err := parseCopySource(h); err == nil && object.IsSnapshotBucket(src.bucket) {
			return s3err.AccessDenied.WithMessage("Only the root user may read snapshots.")
		}
	}
	if !object.IsSnapshotBucket(rq.bucket) {
		return nil
	}
	if !snapshotReads[rq.op] {
		return errSnapshotReadOnly
	}
	if !root {
		return s3err.AccessDenied.WithMessage("Only the root user may read snapshots.")
	}
	return nil
}
