package s3api

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// maxCompleteBody bounds the CompleteMultipartUpload document: 10000 parts
// with ETags and checksums fit in well under 4 MiB.
const maxCompleteBody = 4 << 20

// maxListParts is the default and largest page of ListParts and
// ListMultipartUploads.
const maxListParts = 1000

// checksumFields are the Checksum* elements S3 documents carry.
type checksumFields struct {
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
}

func checksumsXML(m map[string]string) checksumFields {
	return checksumFields{
		ChecksumCRC32: m["CRC32"], ChecksumCRC32C: m["CRC32C"], ChecksumCRC64NVME: m["CRC64NVME"],
		ChecksumSHA1: m["SHA1"], ChecksumSHA256: m["SHA256"],
	}
}

func (c checksumFields) asMap() map[string]string {
	m := map[string]string{}
	for algo, v := range map[string]string{
		"CRC32": c.ChecksumCRC32, "CRC32C": c.ChecksumCRC32C, "CRC64NVME": c.ChecksumCRC64NVME,
		"SHA1": c.ChecksumSHA1, "SHA256": c.ChecksumSHA256,
	} {
		if v != "" {
			m[algo] = v
		}
	}
	return m
}

type initiateMultipartUploadResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	NS       string   `xml:"xmlns,attr"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

type completeMultipartUpload struct {
	XMLName xml.Name       `xml:"CompleteMultipartUpload"`
	Parts   []completePart `xml:"Part"`
}

type completePart struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"`
	checksumFields
}

type completeMultipartUploadResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	NS       string   `xml:"xmlns,attr"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
	checksumFields
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

type copyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	NS           string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
	checksumFields
}

type listPartsResult struct {
	XMLName              xml.Name   `xml:"ListPartsResult"`
	NS                   string     `xml:"xmlns,attr"`
	Bucket               string     `xml:"Bucket"`
	Key                  string     `xml:"Key"`
	UploadID             string     `xml:"UploadId"`
	PartNumberMarker     int        `xml:"PartNumberMarker"`
	NextPartNumberMarker int        `xml:"NextPartNumberMarker"`
	MaxParts             int        `xml:"MaxParts"`
	IsTruncated          bool       `xml:"IsTruncated"`
	Parts                []partInfo `xml:"Part"`
	Initiator            owner      `xml:"Initiator"`
	Owner                owner      `xml:"Owner"`
	StorageClass         string     `xml:"StorageClass"`
	ChecksumAlgorithm    string     `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType         string     `xml:"ChecksumType,omitempty"`
}

type partInfo struct {
	PartNumber   int    `xml:"PartNumber"`
	LastModified string `xml:"LastModified,omitempty"`
	ETag         string `xml:"ETag,omitempty"`
	Size         int64  `xml:"Size"`
	checksumFields
}

type listMultipartUploadsResult struct {
	XMLName            xml.Name       `xml:"ListMultipartUploadsResult"`
	NS                 string         `xml:"xmlns,attr"`
	Bucket             string         `xml:"Bucket"`
	KeyMarker          string         `xml:"KeyMarker"`
	UploadIDMarker     string         `xml:"UploadIdMarker"`
	NextKeyMarker      string         `xml:"NextKeyMarker,omitempty"`
	NextUploadIDMarker string         `xml:"NextUploadIdMarker,omitempty"`
	Prefix             string         `xml:"Prefix"`
	Delimiter          string         `xml:"Delimiter,omitempty"`
	MaxUploads         int            `xml:"MaxUploads"`
	IsTruncated        bool           `xml:"IsTruncated"`
	EncodingType       string         `xml:"EncodingType,omitempty"`
	Uploads            []uploadEntry  `xml:"Upload"`
	CommonPrefixes     []commonPrefix `xml:"CommonPrefixes"`
}

type uploadEntry struct {
	Key               string `xml:"Key"`
	UploadID          string `xml:"UploadId"`
	Initiator         owner  `xml:"Initiator"`
	Owner             owner  `xml:"Owner"`
	StorageClass      string `xml:"StorageClass"`
	Initiated         string `xml:"Initiated"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
}

// createMultipartUpload serves CreateMultipartUpload (POST /bucket/key?uploads).
func (a *api) createMultipartUpload(rq *request) error {
	h := rq.r.Header
	if err := checkUnsupportedPutHeaders(h); err != nil {
		return err
	}
	meta, err := objectMeta(h)
	if err != nil {
		return err
	}
	tags, err := parseTagging(h.Get("x-amz-tagging"))
	if err != nil {
		return err
	}
	in := object.CreateUploadInput{Bucket: rq.bucket, Key: rq.key, Meta: meta, Tags: tags,
		ChecksumType: h.Get("x-amz-checksum-type"), SSE: rq.sse.write}
	if s := h.Get("x-amz-checksum-algorithm"); s != "" {
		algo, ok := checksumAlgorithm(s)
		if !ok {
			return errUnsupportedChecksum
		}
		in.ChecksumAlgorithm = algo
	}
	u, err := a.objects.CreateMultipartUpload(rq.ctx(), in)
	if err != nil {
		return err
	}
	setIf(rq.w.Header(), "x-amz-checksum-algorithm", u.ChecksumAlgorithm)
	setIf(rq.w.Header(), "x-amz-checksum-type", u.ChecksumType)
	setSSEHeaders(rq.w.Header(), u.Encryption, rq.sse.customerMD5)
	writeXML(rq.w, http.StatusOK, initiateMultipartUploadResult{NS: s3NS, Bucket: rq.bucket, Key: rq.key, UploadID: u.UploadID})
	return nil
}

// partNumber reads the partNumber query parameter.
func partNumber(q url.Values) (int, error) {
	n, err := strconv.Atoi(q.Get("partNumber"))
	if err != nil || n < 1 || n > 10000 {
		return 0, s3err.InvalidArgument.WithMessage("Part number must be an integer between 1 and 10000, inclusive").
			WithField("ArgumentName", "partNumber").WithField("ArgumentValue", q.Get("partNumber"))
	}
	return n, nil
}

// uploadPart serves UploadPart (PUT /bucket/key?partNumber&uploadId).
func (a *api) uploadPart(rq *request) error {
	q := rq.r.URL.Query()
	n, err := partNumber(q)
	if err != nil {
		return err
	}
	body, err := a.uploadBody(rq)
	if err != nil {
		return err
	}
	p, err := a.objects.UploadPart(rq.ctx(), object.UploadPartInput{
		Bucket: rq.bucket, Key: rq.key, UploadID: q.Get("uploadId"), PartNumber: n,
		Body: body.r, Size: body.size, ContentMD5: body.md5, Checksum: body.checksum,
		CustomerKey: rq.sse.customerKey,
	})
	if err != nil {
		return err
	}
	wh := rq.w.Header()
	wh.Set("ETag", p.ETag)
	setSSEHeaders(wh, p.Encryption, rq.sse.customerMD5)
	for algo, v := range p.Checksums {
		wh.Set("x-amz-checksum-"+strings.ToLower(algo), v)
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// parseCopySourceRange parses x-amz-copy-source-range: "bytes=first-last".
func parseCopySourceRange(s string) (*object.Range, error) {
	if s == "" {
		return nil, nil
	}
	bad := s3err.InvalidArgument.WithMessage("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
	spec, ok := strings.CutPrefix(s, "bytes=")
	if !ok {
		return nil, bad
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return nil, bad
	}
	start, err1 := strconv.ParseInt(first, 10, 64)
	end, err2 := strconv.ParseInt(last, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return nil, bad
	}
	return &object.Range{Start: start, End: end}, nil
}

// uploadPartCopy serves UploadPartCopy (PUT /bucket/key?partNumber&uploadId
// with x-amz-copy-source).
func (a *api) uploadPartCopy(rq *request) error {
	if err := noBody(rq); err != nil {
		return err
	}
	q := rq.r.URL.Query()
	n, err := partNumber(q)
	if err != nil {
		return err
	}
	h := rq.r.Header
	src, err := parseCopySource(h.Get("x-amz-copy-source"))
	if err != nil {
		return err
	}
	rng, err := parseCopySourceRange(h.Get("x-amz-copy-source-range"))
	if err != nil {
		return err
	}
	p, srcInfo, err := a.objects.UploadPartCopy(rq.ctx(), object.UploadPartCopyInput{
		Bucket: rq.bucket, Key: rq.key, UploadID: q.Get("uploadId"), PartNumber: n,
		SrcBucket: src.bucket, SrcKey: src.key, SrcVersionID: src.versionID,
		SrcConditions: conditions(h, "x-amz-copy-source-if-match", "x-amz-copy-source-if-none-match",
			"x-amz-copy-source-if-modified-since", "x-amz-copy-source-if-unmodified-since"),
		Range: rng, CustomerKey: rq.sse.customerKey, SrcCustomerKey: rq.sse.srcKey,
	})
	if err != nil {
		return err
	}
	setIf(rq.w.Header(), "x-amz-copy-source-version-id", srcInfo.VersionID)
	setSSEHeaders(rq.w.Header(), p.Encryption, rq.sse.customerMD5)
	writeXML(rq.w, http.StatusOK, copyPartResult{
		NS: s3NS, LastModified: xmlTime(p.LastModified), ETag: p.ETag, checksumFields: checksumsXML(p.Checksums),
	})
	return nil
}

// completeMultipartUpload serves CompleteMultipartUpload
// (POST /bucket/key?uploadId).
func (a *api) completeMultipartUpload(rq *request) error {
	h := rq.r.Header
	var doc completeMultipartUpload
	if err := readXML(rq.body, maxCompleteBody, &doc, false); err != nil {
		return err
	}
	in := object.CompleteInput{
		Bucket: rq.bucket, Key: rq.key, UploadID: rq.query("uploadId"),
		IfMatch: h.Get("If-Match"), IfNoneMatch: h.Get("If-None-Match"),
		ChecksumType: h.Get("x-amz-checksum-type"), ObjectSize: -1,
		CustomerKey: rq.sse.customerKey, SSE: rq.sse.write,
	}
	if s := h.Get("x-amz-mp-object-size"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return s3err.InvalidArgument.WithMessage("Value for x-amz-mp-object-size header is invalid.")
		}
		in.ObjectSize = n
	}
	for lower, algo := range checksumAlgorithms {
		if v := h.Get("x-amz-checksum-" + lower); v != "" {
			in.Checksum = &object.ChecksumInput{Algorithm: algo.name, Value: v}
		}
	}
	for _, p := range doc.Parts {
		in.Parts = append(in.Parts, object.CompletePart{PartNumber: p.PartNumber, ETag: p.ETag, Checksums: p.asMap()})
	}
	info, err := a.objects.CompleteMultipartUpload(rq.ctx(), in)
	if err != nil {
		return err
	}
	setIf(rq.w.Header(), "x-amz-version-id", info.VersionID)
	setSSEHeaders(rq.w.Header(), info.Encryption, rq.sse.customerMD5)
	res := completeMultipartUploadResult{
		NS: s3NS, Location: "/" + rq.bucket + "/" + rq.key, Bucket: rq.bucket, Key: rq.key, ETag: info.ETag,
		checksumFields: checksumsXML(info.Checksums), ChecksumType: info.ChecksumType,
	}
	writeXML(rq.w, http.StatusOK, res)
	return nil
}

// abortMultipartUpload serves AbortMultipartUpload (DELETE /bucket/key?uploadId).
func (a *api) abortMultipartUpload(rq *request) error {
	if err := a.objects.AbortMultipartUpload(rq.ctx(), rq.bucket, rq.key, rq.query("uploadId")); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// maxParam reads a max-* query parameter: absent means the default, and
// the value is capped at it.
func maxParam(q url.Values, name string, def int) (int, error) {
	s, ok := q[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(s[0])
	if err != nil || n < 0 {
		return 0, s3err.InvalidArgument.WithMessage("Provided %s not an integer or within integer range", name)
	}
	return min(n, def), nil
}

// listParts serves ListParts (GET /bucket/key?uploadId).
func (a *api) listParts(rq *request) error {
	q := rq.r.URL.Query()
	max, err := maxParam(q, "max-parts", maxListParts)
	if err != nil {
		return err
	}
	marker := 0
	if s := q.Get("part-number-marker"); s != "" {
		if marker, err = strconv.Atoi(s); err != nil || marker < 0 {
			return s3err.InvalidArgument.WithMessage("Provided part-number-marker not an integer or within integer range")
		}
	}
	res, err := a.objects.ListParts(rq.ctx(), object.ListPartsInput{
		Bucket: rq.bucket, Key: rq.key, UploadID: q.Get("uploadId"), Marker: marker, MaxParts: max,
	})
	if err != nil {
		return err
	}
	o := rq.requester()
	out := listPartsResult{
		NS: s3NS, Bucket: rq.bucket, Key: rq.key, UploadID: res.Upload.UploadID,
		PartNumberMarker: marker, MaxParts: max, IsTruncated: res.IsTruncated,
		Initiator: o, Owner: o, StorageClass: "STANDARD",
		ChecksumAlgorithm: res.Upload.ChecksumAlgorithm, ChecksumType: res.Upload.ChecksumType,
	}
	if res.IsTruncated {
		out.NextPartNumberMarker = res.NextMarker
	}
	for _, p := range res.Parts {
		out.Parts = append(out.Parts, partInfo{
			PartNumber: p.PartNumber, LastModified: xmlTime(p.LastModified), ETag: p.ETag, Size: p.Size,
			checksumFields: checksumsXML(p.Checksums),
		})
	}
	writeXML(rq.w, http.StatusOK, out)
	return nil
}

// listMultipartUploads serves ListMultipartUploads (GET /bucket?uploads).
func (a *api) listMultipartUploads(rq *request) error {
	q := rq.r.URL.Query()
	max, err := maxParam(q, "max-uploads", maxListParts)
	if err != nil {
		return err
	}
	urlEncode := false
	switch e := q.Get("encoding-type"); e {
	case "":
	case "url":
		urlEncode = true
	default:
		return s3err.InvalidArgument.WithMessage("Invalid Encoding Method specified in Request")
	}
	in := object.ListUploadsInput{
		Bucket: rq.bucket, Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"),
		KeyMarker: q.Get("key-marker"), UploadIDMarker: q.Get("upload-id-marker"), MaxUploads: max,
	}
	if in.KeyMarker == "" {
		in.UploadIDMarker = ""
	}
	res, err := a.objects.ListMultipartUploads(rq.ctx(), in)
	if err != nil {
		return err
	}
	o := rq.requester()
	out := listMultipartUploadsResult{
		NS: s3NS, Bucket: rq.bucket,
		KeyMarker: encodeName(in.KeyMarker, urlEncode), UploadIDMarker: in.UploadIDMarker,
		NextKeyMarker: encodeName(res.NextKeyMarker, urlEncode), NextUploadIDMarker: res.NextUploadIDMarker,
		Prefix: encodeName(in.Prefix, urlEncode), Delimiter: encodeName(in.Delimiter, urlEncode),
		MaxUploads: max, IsTruncated: res.IsTruncated,
	}
	if urlEncode {
		out.EncodingType = "url"
	}
	for _, u := range res.Uploads {
		out.Uploads = append(out.Uploads, uploadEntry{
			Key: encodeName(u.Key, urlEncode), UploadID: u.UploadID, Initiator: o, Owner: o,
			StorageClass: "STANDARD", Initiated: xmlTime(u.Initiated),
			ChecksumAlgorithm: u.ChecksumAlgorithm, ChecksumType: u.ChecksumType,
		})
	}
	for _, p := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: encodeName(p, urlEncode)})
	}
	writeXML(rq.w, http.StatusOK, out)
	return nil
}
