package s3api

import (
	"encoding/xml"
	"net/http"

	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// maxConfigBody bounds the small configuration documents (versioning,
// tagging, ACL).
const maxConfigBody = 64 << 10

// versioningConfiguration is the PutBucketVersioning body and the
// GetBucketVersioning answer.
type versioningConfiguration struct {
	XMLName   xml.Name `xml:"VersioningConfiguration"`
	NS        string   `xml:"xmlns,attr,omitempty"`
	Status    string   `xml:"Status,omitempty"`
	MfaDelete string   `xml:"MfaDelete,omitempty"`
}

// getBucketVersioning serves GetBucketVersioning (GET /bucket?versioning).
// A bucket that never had versioning answers an empty configuration.
func (a *api) getBucketVersioning(rq *request) error {
	b, err := a.objects.HeadBucket(rq.ctx(), rq.bucket)
	if err != nil {
		return err
	}
	writeXML(rq.w, http.StatusOK, versioningConfiguration{NS: s3NS, Status: b.Versioning})
	return nil
}

// putBucketVersioning serves PutBucketVersioning (PUT /bucket?versioning).
func (a *api) putBucketVersioning(rq *request) error {
	var cfg versioningConfiguration
	if err := readXML(rq.body, maxConfigBody, &cfg, false); err != nil {
		return err
	}
	if cfg.MfaDelete == "Enabled" {
		return s3err.NotImplemented.WithMessage("MFA Delete is not implemented.")
	}
	if cfg.Status != object.VersioningEnabled && cfg.Status != object.VersioningSuspended {
		return s3err.MalformedXML
	}
	if err := a.objects.SetBucketVersioning(rq.ctx(), rq.bucket, cfg.Status); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// listVersionsResult is the ListObjectVersions answer. Versions and delete
// markers are one list in listing order, each element named by its kind.
type listVersionsResult struct {
	XMLName             xml.Name       `xml:"ListVersionsResult"`
	NS                  string         `xml:"xmlns,attr"`
	Name                string         `xml:"Name"`
	Prefix              string         `xml:"Prefix"`
	KeyMarker           string         `xml:"KeyMarker"`
	VersionIDMarker     string         `xml:"VersionIdMarker"`
	NextKeyMarker       string         `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string         `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int            `xml:"MaxKeys"`
	Delimiter           string         `xml:"Delimiter,omitempty"`
	IsTruncated         bool           `xml:"IsTruncated"`
	EncodingType        string         `xml:"EncodingType,omitempty"`
	Entries             []versionEntry `xml:",any"`
	CommonPrefixes      []commonPrefix `xml:"CommonPrefixes"`
}

type versionEntry struct {
	XMLName           xml.Name // Version or DeleteMarker
	Key               string   `xml:"Key"`
	VersionID         string   `xml:"VersionId"`
	IsLatest          bool     `xml:"IsLatest"`
	LastModified      string   `xml:"LastModified"`
	ETag              string   `xml:"ETag,omitempty"`
	ChecksumAlgorithm []string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string   `xml:"ChecksumType,omitempty"`
	Size              *int64   `xml:"Size,omitempty"`
	StorageClass      string   `xml:"StorageClass,omitempty"`
	Owner             owner    `xml:"Owner"`
}

// listObjectVersions serves ListObjectVersions (GET /bucket?versions).
func (a *api) listObjectVersions(rq *request) error {
	q := rq.r.URL.Query()
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	in := object.ListVersionsInput{
		Bucket: rq.bucket, Prefix: p.prefix, Delimiter: p.delimiter,
		KeyMarker: q.Get("key-marker"), VersionIDMarker: q.Get("version-id-marker"), MaxKeys: p.maxKeys,
	}
	res, err := a.objects.ListObjectVersions(rq.ctx(), in)
	if err != nil {
		return err
	}
	o := rq.requester()
	out := listVersionsResult{
		NS: s3NS, Name: rq.bucket, Prefix: encodeName(p.prefix, p.urlEncode),
		KeyMarker: encodeName(in.KeyMarker, p.urlEncode), VersionIDMarker: in.VersionIDMarker,
		NextKeyMarker: encodeName(res.NextKeyMarker, p.urlEncode), NextVersionIDMarker: res.NextVersionIDMarker,
		MaxKeys: p.maxKeys, Delimiter: encodeName(p.delimiter, p.urlEncode), IsTruncated: res.IsTruncated,
	}
	if p.urlEncode {
		out.EncodingType = "url"
	}
	for _, v := range res.Versions {
		e := versionEntry{
			XMLName: xml.Name{Local: "Version"}, Key: encodeName(v.Key, p.urlEncode), VersionID: v.VersionID,
			IsLatest: v.IsLatest, LastModified: xmlTime(v.LastModified), Owner: o,
		}
		if v.IsDeleteMarker {
			e.XMLName.Local = "DeleteMarker"
		} else {
			size := v.Size
			e.ETag, e.Size, e.StorageClass = v.ETag, &size, "STANDARD"
			for algo := range v.Checksums {
				e.ChecksumAlgorithm = append(e.ChecksumAlgorithm, algo)
			}
			if len(v.Checksums) > 0 {
				e.ChecksumType = v.ChecksumType
			}
		}
		out.Entries = append(out.Entries, e)
	}
	for _, cp := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: encodeName(cp, p.urlEncode)})
	}
	writeXML(rq.w, http.StatusOK, out)
	return nil
}
