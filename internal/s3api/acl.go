package s3api

import (
	"encoding/xml"
	"net/http"

	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// Object ACLs: Anode keeps none (bucket ACLs are in bucketacl.go); access
// to objects is decided by identity and bucket policies and the bucket's
// ACL (authz.go). GetObjectAcl answers the owner's FULL_CONTROL, which is
// the truth, and PutObjectAcl accepts the canned "private" ACL, which
// changes nothing. Any other object ACL would grant access Anode does not
// give, so it is NotImplemented rather than silently ignored — on
// PutObjectAcl and on every write that can carry an ACL (checkWriteACL).

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
	ID          string `xml:"ID,omitempty"`
	DisplayName string `xml:"DisplayName,omitempty"`
	URI         string `xml:"URI,omitempty"`
}

func ownerACL(o owner) accessControlPolicy {
	return accessControlPolicy{NS: s3NS, Owner: o, Grants: []grant{{
		Grantee: grantee{
			XMLNSXSI: "http://www.w3.org/2001/XMLSchema-instance", Type: "CanonicalUser",
			ID: o.ID, DisplayName: o.DisplayName,
		},
		Permission: "FULL_CONTROL",
	}}}
}

// getObjectACL serves GetObjectAcl (GET /bucket/key?acl).
func (a *api) getObjectACL(rq *request) error {
	info, err := a.objects.HeadObject(rq.ctx(), object.GetInput{Bucket: rq.bucket, Key: rq.key, VersionID: rq.query("versionId"), NoKeyCheck: true})
	if err != nil {
		return deleteMarkerError(rq, info, err)
	}
	setIf(rq.w.Header(), "x-amz-version-id", info.VersionID)
	writeXML(rq.w, http.StatusOK, ownerACL(rq.requester()))
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
	own := rq.requester()
	for _, g := range doc.Grants {
		if g.Permission != "FULL_CONTROL" || g.Grantee.ID != own.ID {
			return s3err.NotImplemented.WithMessage("ACL grants are not implemented; only the owner's FULL_CONTROL is accepted.")
		}
	}
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

// aclWrites are the operations that accept x-amz-acl / x-amz-grant-*
// headers (and x-amz-object-ownership for CreateBucket) besides the ACL
// operations themselves.
var aclWrites = map[string]bool{"PutObject": true, "CopyObject": true, "CreateMultipartUpload": true, "CreateBucket": true}

// checkWriteACL refuses an ACL on a write that Anode would not apply:
// anything but the canned "private", which is what every object and bucket
// has. x-amz-object-ownership may only be BucketOwnerEnforced (ACLs
// disabled, the bucket owner owns every object), which is how Anode works.
func checkWriteACL(rq *request) error {
	if !aclWrites[rq.op] {
		return nil
	}
	h := rq.r.Header
	for _, name := range []string{"x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control"} {
		if _, ok := h[http.CanonicalHeaderKey(name)]; ok {
			return s3err.NotImplemented.WithMessage("ACL grants (%s) are not implemented; only the canned ACL 'private' is accepted.", name)
		}
	}
	if canned, ok := h["X-Amz-Acl"]; ok && (len(canned) != 1 || canned[0] != "private") {
		return s3err.NotImplemented.WithMessage("Only the canned ACL 'private' is accepted.")
	}
	if own, ok := h["X-Amz-Object-Ownership"]; ok && rq.op == "CreateBucket" && (len(own) != 1 || own[0] != "BucketOwnerEnforced") {
		return s3err.NotImplemented.WithMessage("Only the object ownership BucketOwnerEnforced (ACLs disabled) is accepted.")
	}
	return nil
}
