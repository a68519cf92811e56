package s3api

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// copyBufPool holds the buffers GetObject streams bodies through.
var copyBufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// getInput reads the parameters GetObject and HeadObject share.
func getInput(rq *request) (object.GetInput, error) {
	q := rq.r.URL.Query()
	in := object.GetInput{
		Bucket:     rq.bucket,
		Key:        rq.key,
		VersionID:  q.Get("versionId"),
		Conditions: conditions(rq.r.Header, "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"),
	}
	if _, ok := q["versionId"]; ok && in.VersionID == "" {
		return in, s3err.InvalidArgument.WithMessage("Version id cannot be the empty string")
	}
	if s, ok := q["partNumber"]; ok {
		n, err := strconv.Atoi(s[0])
		if err != nil || n < 1 || n > 10000 {
			return in, s3err.InvalidArgument.WithMessage("Part number must be an integer between 1 and 10000, inclusive")
		}
		in.PartNumber = n
	}
	rng, err := parseRange(rq.r.Header.Get("Range"))
	if err != nil {
		return in, err
	}
	if rng != nil && in.PartNumber > 0 {
		return in, s3err.InvalidRequest.WithMessage("Cannot specify both Range header and partNumber query parameter")
	}
	in.Range = rng
	in.CustomerKey = rq.sse.customerKey
	return in, nil
}

// checksumMode reports whether the client asked for stored checksums.
func checksumMode(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("x-amz-checksum-mode"), "ENABLED")
}

// getObject serves GetObject (GET /bucket/key).
func (a *api) getObject(rq *request) error {
	in, err := getInput(rq)
	if err != nil {
		return a.rangeError(rq, in, err)
	}
	out, err := a.objects.GetObject(rq.ctx(), in)
	if err != nil {
		notModifiedHeaders(rq, out.Info, err)
		return a.rangeError(rq, in, deleteMarkerError(rq, out.Info, err))
	}
	defer out.Body.Close()

	info := out.Info
	h := rq.w.Header()
	// Checksums describe the whole object, so a part of it gets none.
	setObjectHeaders(h, info, checksumMode(rq.r) && !out.Partial)
	setSSEHeaders(h, info.Encryption, rq.sse.customerMD5)
	setPartsCount(h, info, in.PartNumber)
	applyResponseOverrides(h, rq.r.URL.Query())
	status := http.StatusOK
	length := info.Size
	if out.Partial {
		status = http.StatusPartialContent
		length = out.End - out.Start + 1
		h.Set("Content-Range", contentRange(out.Start, out.End, info.Size))
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	rq.w.WriteHeader(status)

	bp := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(bp)
	n, err := io.CopyBuffer(rq.w, out.Body, *bp)
	if err == nil && n != length {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		// Headers are gone; the only honest signal left is to cut the
		// connection so the client sees a short body, not a good one.
		a.log.Warn("s3 GetObject body copy failed", "bucket", rq.bucket, "key", rq.key,
			"request_id", rq.id, "sent", n, "want", length, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// headObject serves HeadObject (HEAD /bucket/key). The service checks the
// preconditions; the range, if any, is applied here to the object's size.
func (a *api) headObject(rq *request) error {
	in, err := getInput(rq)
	if err != nil {
		return a.rangeError(rq, in, err)
	}
	rng := in.Range
	in.Range = nil
	info, err := a.objects.HeadObject(rq.ctx(), in)
	if err != nil {
		notModifiedHeaders(rq, info, err)
		return deleteMarkerError(rq, info, err)
	}
	h := rq.w.Header()
	status := http.StatusOK
	length := info.Size
	if in.PartNumber > 0 && info.Size > 0 {
		// The part's own size and place, as GetObject with partNumber
		// answers (HeadObject, "partNumber": a ranged HEAD).
		start, end := info.PartStart, info.PartEnd
		status = http.StatusPartialContent
		length = end - start + 1
		h.Set("Content-Range", contentRange(start, end, info.Size))
	}
	if rng != nil {
		start, end, ok := resolveRange(rng, info.Size)
		if !ok {
			h.Set("Content-Range", "bytes */"+strconv.FormatInt(info.Size, 10))
			return s3err.InvalidRange
		}
		status = http.StatusPartialContent
		length = end - start + 1
		h.Set("Content-Range", contentRange(start, end, info.Size))
	}
	// Whole-object checksums do not describe a range or a part.
	setObjectHeaders(h, info, checksumMode(rq.r) && rng == nil && status == http.StatusOK)
	setSSEHeaders(h, info.Encryption, rq.sse.customerMD5)
	setPartsCount(h, info, in.PartNumber)
	applyResponseOverrides(h, rq.r.URL.Query())
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	rq.w.WriteHeader(status)
	return nil
}

// notModifiedHeaders adds to a 304 the ETag and Last-Modified of the
// object it is about, as RFC 9110 section 15.4.5 asks and AWS sends.
func notModifiedHeaders(rq *request, info object.ObjectInfo, err error) {
	if !errors.Is(err, s3err.NotModified) || info.ETag == "" {
		return
	}
	h := rq.w.Header()
	h.Set("ETag", info.ETag)
	h.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
}

// rangeError adds the Content-Range S3 sends with InvalidRange
// ("bytes */size"), which needs the object's size: the service's error
// does not carry it, so ask for it. Other errors pass through.
func (a *api) rangeError(rq *request, in object.GetInput, err error) error {
	if !errors.Is(err, s3err.InvalidRange) {
		return err
	}
	info, herr := a.objects.HeadObject(rq.ctx(), object.GetInput{Bucket: in.Bucket, Key: in.Key, VersionID: in.VersionID, CustomerKey: in.CustomerKey})
	if herr != nil {
		return herr
	}
	rq.w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(info.Size, 10))
	return err
}
