package s3api

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"unicode/utf8"

	"github.com/anode/anode/internal/s3err"
)

// maxBucketTags is the most tags a bucket may have (objects: maxObjectTags).
const maxBucketTags = 50

// tagging is the body of PutObjectTagging and PutBucketTagging and the
// answer of their Get operations.
type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	TagSet  []tag    `xml:"TagSet>Tag"`
}

type tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// readTagging parses and validates a Tagging document of at most max tags.
func readTagging(rq *request, max int) (map[string]string, error) {
	var doc tagging
	if err := readXML(rq.body, maxConfigBody, &doc, false); err != nil {
		return nil, err
	}
	return checkTagging(&doc, max)
}

// parseTaggingXML parses and validates a Tagging document held in memory
// (the tagging field of a POST upload).
func parseTaggingXML(data []byte, max int) (map[string]string, error) {
	var doc tagging
	if err := readXML(bytes.NewReader(data), maxConfigBody, &doc, false); err != nil {
		return nil, err
	}
	return checkTagging(&doc, max)
}

func checkTagging(doc *tagging, max int) (map[string]string, error) {
	if len(doc.TagSet) > max {
		return nil, s3err.InvalidTag.WithMessage("Object tags cannot be greater than %d", max)
	}
	tags := make(map[string]string, len(doc.TagSet))
	for _, t := range doc.TagSet {
		if t.Key == "" || utf8.RuneCountInString(t.Key) > maxTagKeyLen || !utf8.ValidString(t.Key) {
			return nil, s3err.InvalidTag.WithMessage("The TagKey you have provided is invalid")
		}
		if utf8.RuneCountInString(t.Value) > maxTagValueLen || !utf8.ValidString(t.Value) {
			return nil, s3err.InvalidTag.WithMessage("The TagValue you have provided is invalid")
		}
		if _, dup := tags[t.Key]; dup {
			return nil, s3err.InvalidTag.WithMessage("Cannot provide multiple Tags with the same key")
		}
		tags[t.Key] = t.Value
	}
	return tags, nil
}

func taggingDoc(tags map[string]string) tagging {
	out := tagging{NS: s3NS, TagSet: []tag{}}
	for _, k := range sortedKeys(tags) {
		out.TagSet = append(out.TagSet, tag{Key: k, Value: tags[k]})
	}
	return out
}

// getObjectTagging serves GetObjectTagging (GET /bucket/key?tagging).
func (a *api) getObjectTagging(rq *request) error {
	tags, info, err := a.objects.GetObjectTagging(rq.ctx(), rq.bucket, rq.key, rq.query("versionId"))
	if err != nil {
		return deleteMarkerError(rq, info, err)
	}
	setIf(rq.w.Header(), "x-amz-version-id", info.VersionID)
	writeXML(rq.w, http.StatusOK, taggingDoc(tags))
	return nil
}

// putObjectTagging serves PutObjectTagging (PUT /bucket/key?tagging).
func (a *api) putObjectTagging(rq *request) error {
	tags, err := readTagging(rq, maxObjectTags)
	if err != nil {
		return err
	}
	info, err := a.objects.PutObjectTagging(rq.ctx(), rq.bucket, rq.key, rq.query("versionId"), tags)
	if err != nil {
		return err
	}
	setIf(rq.w.Header(), "x-amz-version-id", info.VersionID)
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// deleteObjectTagging serves DeleteObjectTagging (DELETE /bucket/key?tagging).
func (a *api) deleteObjectTagging(rq *request) error {
	info, err := a.objects.PutObjectTagging(rq.ctx(), rq.bucket, rq.key, rq.query("versionId"), nil)
	if err != nil {
		return err
	}
	setIf(rq.w.Header(), "x-amz-version-id", info.VersionID)
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// getBucketTagging serves GetBucketTagging (GET /bucket?tagging).
func (a *api) getBucketTagging(rq *request) error {
	tags, err := a.objects.GetBucketTagging(rq.ctx(), rq.bucket)
	if err != nil {
		return err
	}
	writeXML(rq.w, http.StatusOK, taggingDoc(tags))
	return nil
}

// putBucketTagging serves PutBucketTagging (PUT /bucket?tagging).
func (a *api) putBucketTagging(rq *request) error {
	tags, err := readTagging(rq, maxBucketTags)
	if err != nil {
		return err
	}
	if err := a.objects.PutBucketTagging(rq.ctx(), rq.bucket, tags); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteBucketTagging serves DeleteBucketTagging (DELETE /bucket?tagging).
func (a *api) deleteBucketTagging(rq *request) error {
	if err := a.objects.PutBucketTagging(rq.ctx(), rq.bucket, nil); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}
