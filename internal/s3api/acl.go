package s3api

import (
	"encoding/xml"
	"net/http"

	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// Anode has no ACLs: access is decided by credentials (and, later,
// policies). The ACL operations exist because SDKs and tools probe them:
// Get answers the owner's FULL_CONTROL, which is the truth, and Put
// accepts the canned "private" ACL, which changes nothing. Any other ACL
// would grant access Anode does not give, so it is NotImplemented rather
// than silently ignored.

type accessControlPolicy struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	NS      string   `xml:"xmlns,attr"`
	Owner   owner    `xml:"Owner"`
	Grants  []grant  `xml:"AccessControlList>Grant"`
}

type grant struct {
	Grantee    grantee `xml:"Grantee"`
	Permission string  `xml:"Permission"`
}

type grantee struct {
	XMLNSXSI    string `xml:"xmlns:xsi,attr"`
	Type        string `xml:"xsi:type,attr"`
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

func ownerACL(accessKey string) accessControlPolicy {
	o := ownerOf(accessKey)
	return accessControlPolicy{NS: s3NS, Owner: o, Grants: []grant{{
		Grantee: grantee{
			XMLNSXSI: "http://www.w3.org/2001/XMLSchema-instance", Type: "CanonicalUser",
			ID: o.ID, DisplayName: o.DisplayName,
		},
		Permission: "FULL_CONTROL",
	}}}
}

// getBucketACL serves GetBucketAcl (GET /bucket?acl).
func (a *api) getBucketACL(rq *request) error {
	if _, err := a.objects.HeadBucket(rq.ctx(), rq.bucket); err != nil {
		return err
	}
	writeXML(rq.w, http.StatusOK, ownerACL(rq.auth.AccessKey))
	return nil
}

// getObjectACL serves GetObjectAcl (GET /bucket/key?acl).
func (a *api) getObjectACL(rq *request) error {
	info, err := a.objects.HeadObject(rq.ctx(), object.GetInput{Bucket: rq.bucket, Key: rq.key, VersionID: rq.query("versionId"), NoKeyCheck: true})
	if err != nil {
		return deleteMarkerError(rq, info, err)
	}
	setIf(rq.w.Header(), "x-amz-version-id", info.VersionID)
	writeXML(rq.w, http.StatusOK, ownerACL(rq.auth.AccessKey))
	return nil
}

// checkPrivateACL accepts a PutBucketAcl/PutObjectAcl request that asks for
// nothing but the owner's full control: the canned "private" ACL, or a
// policy document whose only grant is FULL_CONTROL to the owner.
func (a *api) checkPrivateACL(rq *request) error {
	h := rq.r.Header
	for _, name := range []string{"x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control"} {
		if h.Get(name) != "" {
			return s3err.NotImplemented.WithMessage("ACL grants are not implemented; only the canned ACL 'private' is accepted.")
		}
	}
	if canned := h.Get("x-amz-acl"); canned != "" {
		if canned != "private" {
			return s3err.NotImplemented.WithMessage("Only the canned ACL 'private' is accepted.")
		}
		return nil
	}
	var doc accessControlPolicy
	if err := readXML(rq.body, maxConfigBody, &doc, false); err != nil {
		return err
	}
	own := ownerOf(rq.auth.AccessKey)
	for _, g := range doc.Grants {
		if g.Permission != "FULL_CONTROL" || g.Grantee.ID != own.ID {
			return s3err.NotImplemented.WithMessage("ACL grants are not implemented; only the owner's FULL_CONTROL is accepted.")
		}
	}
	return nil
}

// putBucketACL serves PutBucketAcl (PUT /bucket?acl).
func (a *api) putBucketACL(rq *request) error {
	if err := a.checkPrivateACL(rq); err != nil {
		return err
	}
	if _, err := a.objects.HeadBucket(rq.ctx(), rq.bucket); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// putObjectACL serves PutObjectAcl (PUT /bucket/key?acl).
func (a *api) putObjectACL(rq *request) error {
	if err := a.checkPrivateACL(rq); err != nil {
		return err
	}
	info, err := a.objects.HeadObject(rq.ctx(), object.GetInput{Bucket: rq.bucket, Key: rq.key, VersionID: rq.query("versionId"), NoKeyCheck: true})
	if err != nil {
		return deleteMarkerError(rq, info, err)
	}
	setIf(rq.w.Header(), "x-amz-version-id", info.VersionID)
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// deleteMarkerError adds the headers S3 sends when a request for an object
// found a delete marker (x-amz-delete-marker, and the marker's version ID)
// and returns err.
func deleteMarkerError(rq *request, info object.ObjectInfo, err error) error {
	if info.IsDeleteMarker {
		h := rq.w.Header()
		h.Set("x-amz-delete-marker", "true")
		setIf(h, "x-amz-version-id", info.VersionID)
		if !info.LastModified.IsZero() {
			h.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
		}
	}
	return err
}
