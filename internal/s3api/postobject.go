package s3api

import (
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/anode/anode/internal/auth"
	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// PostObject: browser-based uploads with an HTML form (POST /bucket,
// multipart/form-data). The form fields come first, the file last; the
// signed policy (auth.VerifyPostForm) says what the fields may be, and the
// signer's permissions (s3:PutObject on the key) decide as for PutObject.

const (
	maxPostFields     = 100
	maxPostFieldBytes = 64 << 10 // all non-file fields together
)

var errMalformedPOST = &s3err.Error{Code: "MalformedPOSTRequest", Status: http.StatusBadRequest,
	Message: "The body of your POST request is not well-formed multipart/form-data."}

// postFields maps form fields that become object attributes to the header
// that carries them on PutObject.
var postFields = map[string]string{
	"content-type": "Content-Type", "cache-control": "Cache-Control", "content-disposition": "Content-Disposition",
	"content-encoding": "Content-Encoding", "content-language": "Content-Language", "expires": "Expires",
}

// postAccepted are the other fields understood (beyond x-amz-meta-*,
// x-amz-checksum-*, the signature fields and x-ignore-*). Any other field is
// refused rather than ignored.
var postAccepted = map[string]bool{
	"key": true, "policy": true, "signature": true, "awsaccesskeyid": true, "x-amz-algorithm": true,
	"x-amz-credential": true, "x-amz-date": true, "x-amz-signature": true, "x-amz-security-token": true,
	"success_action_status": true, "success_action_redirect": true, "redirect": true, "acl": true,
	"tagging": true, "x-amz-storage-class": true, "bucket": true,
}

func (a *api) postObject(rq *request) error {
	mt, params, err := mime.ParseMediaType(rq.r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return errMalformedPOST
	}
	mr := multipart.NewReader(rq.body, params["boundary"])
	fields := map[string]string{}
	total := 0
	var file *multipart.Part
	for file == nil {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return errMalformedPOST
		}
		name := strings.ToLower(part.FormName())
		if name == "file" {
			file = part
			break
		}
		if name == "" || len(fields) >= maxPostFields {
			return errMalformedPOST
		}
		v, err := io.ReadAll(io.LimitReader(part, int64(maxPostFieldBytes-total+1)))
		if err != nil {
			return errMalformedPOST
		}
		if total += len(v); total > maxPostFieldBytes {
			return s3err.InvalidArgument.WithMessage("The form fields are larger than %d bytes.", maxPostFieldBytes)
		}
		if _, dup := fields[name]; dup {
			return s3err.InvalidArgument.WithMessage("The form field %s is given twice.", name)
		}
		fields[name] = string(v)
	}
	if file == nil {
		return s3err.InvalidArgument.WithMessage("POST requires exactly one file upload per request.")
	}
	// Who signed the policy, and does the form follow it?
	accessKey, policy, err := a.auth.VerifyPostForm(rq.ctx(), fields)
	if err != nil {
		return err
	}
	if accessKey != "" {
		rq.auth.AccessKey = accessKey
		if a.iam != nil {
			id, err := a.iam.Identity(accessKey)
			if errors.Is(err, auth.ErrUnknownAccessKey) {
				return s3err.InvalidAccessKeyID
			}
			if err != nil {
				return err
			}
			rq.identity = id
		}
	} else if a.iam == nil {
		return errAccessDenied
	}
	key, ok := fields["key"]
	if !ok {
		return s3err.InvalidArgument.WithMessage("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
	}
	if policy != nil {
		checked := make(map[string]string, len(fields)+1)
		for k, v := range fields {
			checked[k] = v
		}
		checked["bucket"] = rq.bucket
		if err := policy.Check(checked, time.Now()); err != nil {
			return err
		}
	}
	key = strings.ReplaceAll(key, "${filename}", file.FileName())
	if err := checkKey(key); err != nil {
		return err
	}
	if key == "" {
		return s3err.InvalidArgument.WithMessage("User key must have a length greater than 0.")
	}
	rq.key = key
	if err := a.authorizeObject(rq, "s3:PutObject", key, ""); err != nil {
		return err
	}

	// The object's attributes, from the fields.
	h := http.Header{}
	for name, v := range fields {
		switch {
		case postFields[name] != "":
			h.Set(postFields[name], v)
		case strings.HasPrefix(name, "x-amz-meta-"):
			h.Set(name, v)
		case strings.HasPrefix(name, "x-amz-checksum-"):
			if _, ok := checksumAlgorithms[strings.TrimPrefix(name, "x-amz-checksum-")]; !ok {
				return errUnsupportedChecksum
			}
			h.Set(name, v)
		case strings.HasPrefix(name, "x-ignore-"), postAccepted[name]:
		default:
			return s3err.NotImplemented.WithMessage("The POST form field %s is not implemented.", name)
		}
	}
	if acl := fields["acl"]; acl != "" && acl != "private" {
		return s3err.NotImplemented.WithMessage("Only the canned ACL 'private' is accepted.")
	}
	if sc := fields["x-amz-storage-class"]; sc != "" && !storageClasses[sc] {
		return s3err.InvalidStorageClass
	}
	checksum, err := checksumInput(h, nil)
	if err != nil {
		return err
	}
	meta, err := objectMeta(h)
	if err != nil {
		return err
	}
	var tags map[string]string
	if doc := fields["tagging"]; doc != "" {
		if tags, err = parseTaggingXML([]byte(doc), maxObjectTags); err != nil {
			return err
		}
	}
	var body io.Reader = &limitedBody{r: file, left: a.maxBodySize}
	if policy != nil && policy.LengthRange {
		body = &rangeBody{r: body, min: policy.MinLength, max: policy.MaxLength}
	}
	info, err := a.objects.PutObject(rq.ctx(), object.PutInput{
		Event:  object.EventPost,
		Bucket: rq.bucket, Key: key, Body: body, Size: -1, Meta: meta, Checksum: checksum, Tags: tags,
	})
	if err != nil {
		return err
	}
	// Drain what follows the file (AWS ignores fields after it).
	io.Copy(io.Discard, io.LimitReader(rq.body, 1<<20))

	location := "/" + rq.bucket + "/" + encodePath(key)
	wh := rq.w.Header()
	wh.Set("ETag", info.ETag)
	wh.Set("Location", location)
	setIf(wh, "x-amz-version-id", info.VersionID)
	redirect := fields["success_action_redirect"]
	if redirect == "" {
		redirect = fields["redirect"]
	}
	if u, err := url.Parse(redirect); redirect != "" && err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		q := u.Query()
		q.Set("bucket", rq.bucket)
		q.Set("key", key)
		q.Set("etag", info.ETag)
		u.RawQuery = q.Encode()
		wh.Set("Location", u.String())
		rq.w.WriteHeader(http.StatusSeeOther)
		return nil
	}
	switch status, _ := strconv.Atoi(fields["success_action_status"]); status {
	case http.StatusOK:
		rq.w.WriteHeader(http.StatusOK)
	case http.StatusCreated:
		writeXML(rq.w, http.StatusCreated, postResponse{Location: location, Bucket: rq.bucket, Key: key, ETag: info.ETag})
	default:
		rq.w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// encodePath escapes a key for a URL path, keeping '/'.
func encodePath(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// rangeBody enforces a policy's content-length-range while the file is
// read: too many bytes fail as soon as they arrive, too few at the end,
// both before anything is committed.
type rangeBody struct {
	r        io.Reader
	min, max int64
	n        int64
}

func (b *rangeBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > b.max {
		return n, s3err.EntityTooLarge.WithMessage("Your proposed upload exceeds the maximum allowed size")
	}
	if err == io.EOF && b.n < b.min {
		return n, s3err.EntityTooSmall.WithMessage("Your proposed upload is smaller than the minimum allowed size")
	}
	return n, err
}
