package s3api

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// maxDeleteObjects is the most keys one DeleteObjects request may name.
const maxDeleteObjects = 1000

// maxDeleteBody bounds the DeleteObjects document. 1000 keys of 1024
// bytes each, every byte XML-escaped ("&amp;" is five), with version IDs,
// fit in 8 MiB; anything larger is not a valid request.
const maxDeleteBody = 8 << 20

// deleteWorkers bounds the deletes of one DeleteObjects request in flight:
// each is a consensus round trip, so running a few at once cuts latency
// for large batches without letting one request flood the cluster.
const deleteWorkers = 8

// deleteObject serves DeleteObject (DELETE /bucket/key). Deleting a key
// that does not exist succeeds, as in S3, unless the delete is conditional
// (If-Match): then a missing key is 404 NoSuchKey and another ETag 412.
func (a *api) deleteObject(rq *request) error {
	versionID := rq.query("versionId")
	h := rq.r.Header
	if h.Get("x-amz-if-match-last-modified-time") != "" || h.Get("x-amz-if-match-size") != "" {
		// Directory-bucket conditions: refused rather than ignored.
		return s3err.NotImplemented.WithMessage("x-amz-if-match-last-modified-time and x-amz-if-match-size are not supported.")
	}
	ifMatch := h.Get("If-Match")
	res, err := a.objects.DeleteObject(rq.ctx(), rq.bucket, rq.key, versionID, ifMatch)
	if err != nil && (ifMatch != "" || !errors.Is(err, s3err.NoSuchKey) && !(versionID != "" && errors.Is(err, s3err.NoSuchVersion))) {
		return err
	}
	h = rq.w.Header()
	setIf(h, "x-amz-version-id", res.VersionID)
	if res.DeleteMarker {
		h.Set("x-amz-delete-marker", "true")
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// parseDeleteObjects parses and validates a DeleteObjects body.
func parseDeleteObjects(data []byte) (*deleteRequest, error) {
	var req deleteRequest
	if err := readXML(bytes.NewReader(data), maxDeleteBody, &req, false); err != nil {
		return nil, err
	}
	if len(req.Objects) == 0 || len(req.Objects) > maxDeleteObjects {
		return nil, s3err.MalformedXML
	}
	for _, o := range req.Objects {
		if o.Key == nil {
			return nil, s3err.MalformedXML
		}
		if o.LastModifiedTime != "" || o.Size != "" {
			// Directory-bucket conditions: refused rather than ignored.
			return nil, s3err.NotImplemented.WithMessage("LastModifiedTime and Size conditions are not supported.")
		}
	}
	return &req, nil
}

// deleteObjects serves DeleteObjects (POST /bucket?delete).
func (a *api) deleteObjects(rq *request) error {
	data, err := io.ReadAll(io.LimitReader(rq.body, maxDeleteBody+1))
	if err != nil {
		return err
	}
	if len(data) > maxDeleteBody {
		return s3err.MalformedXML
	}
	if err := a.verifyBodyDigests(rq, data); err != nil {
		return err
	}
	req, err := parseDeleteObjects(data)
	if err != nil {
		return err
	}
	// A missing bucket fails the whole request rather than every key.
	if _, err := a.objects.HeadBucket(rq.ctx(), rq.bucket); err != nil {
		return err
	}

	type outcome struct {
		res object.DeleteResult
		err error
	}
	results := make([]outcome, len(req.Objects))
	var wg sync.WaitGroup
	sem := make(chan struct{}, deleteWorkers)
	for i, o := range req.Objects {
		key := *o.Key
		if err := checkKey(key); err != nil {
			results[i].err = err
			continue
		}
		if key == "" {
			results[i].err = s3err.InvalidArgument.WithMessage("The key must not be empty.")
			continue
		}
		if err := a.authorizeObject(rq, "s3:DeleteObject", key, o.VersionID); err != nil {
			results[i].err = err
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() {
				// The handler's recover does not reach this goroutine: a
				// panic here would take the whole server down.
				if v := recover(); v != nil {
					a.log.Error("s3 DeleteObjects panic", "request_id", rq.id, "key", key, "panic", fmt.Sprint(v))
					results[i] = outcome{err: s3err.InternalError}
				}
				<-sem
				wg.Done()
			}()
			res, err := a.objects.DeleteObject(a.keyContext(rq, key), rq.bucket, key, o.VersionID, o.ETag)
			results[i] = outcome{res, err}
		}()
	}
	wg.Wait()

	out := deleteResult{NS: s3NS}
	for i, o := range req.Objects {
		r := results[i]
		if r.err != nil && (o.ETag != "" || !errors.Is(r.err, s3err.NoSuchKey) && !errors.Is(r.err, s3err.NoSuchVersion)) {
			e := a.toS3Error(rq, r.err)
			out.Errors = append(out.Errors, deleteError{Key: *o.Key, VersionID: o.VersionID, Code: e.Code, Message: e.Message})
			continue
		}
		if req.Quiet {
			continue
		}
		d := deletedObject{Key: *o.Key, VersionID: o.VersionID}
		if r.res.DeleteMarker {
			d.DeleteMarker = true
			d.DeleteMarkerVersionID = r.res.VersionID
		}
		out.Deleted = append(out.Deleted, d)
	}
	writeXML(rq.w, http.StatusOK, out)
	return nil
}

// verifyBodyDigests checks a request body held in memory against its
// Content-MD5 and x-amz-checksum-* header or trailer, when present.
func (a *api) verifyBodyDigests(rq *request, data []byte) error {
	want, err := contentMD5(rq.r.Header)
	if err != nil {
		return err
	}
	if want != nil {
		if got := md5.Sum(data); !bytes.Equal(got[:], want) {
			return s3err.BadDigest.WithMessage("The Content-MD5 you specified did not match what we received.")
		}
	}
	in, err := checksumInput(rq.r.Header, rq.auth.Trailers)
	if err != nil || in == nil {
		return err
	}
	v := in.Value
	if in.Trailer != nil {
		v = in.Trailer()
	}
	if v == "" {
		return nil
	}
	if computeChecksum(in.Algorithm, data) != v {
		return s3err.BadDigest.WithMessage("The %s you specified did not match the calculated checksum.", in.Algorithm)
	}
	return nil
}
