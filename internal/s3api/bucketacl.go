package s3api

import (
	"bytes"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"strings"

	"github.com/anode/anode/internal/iam"
	"github.com/anode/anode/internal/meta"
	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// Bucket ACLs: canned ACLs and explicit grants (to canonical user IDs and
// to the AllUsers, AuthenticatedUsers and LogDelivery groups), through
// x-amz-acl, x-amz-grant-* or an AccessControlPolicy body, stored in the
// bucket record and returned as stored by GetBucketAcl. They are enforced
// as AWS does, next to the policies: a grant allows what no policy denies
// (authz.go). On a bucket, READ allows listing it, WRITE writing and
// deleting its objects, READ_ACP and WRITE_ACP reading and changing its
// ACL, FULL_CONTROL all four. (Object reads need object ACLs, which Anode
// does not keep: a public-read bucket lists publicly, as on AWS, but its
// objects are read by policy.)

const (
	xsiNS          = "http://www.w3.org/2001/XMLSchema-instance"
	allUsersURI    = "http://acs.amazonaws.com/groups/global/AllUsers"
	authUsersURI   = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	logDeliveryURI = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

var aclPermissions = map[string]bool{"READ": true, "WRITE": true, "READ_ACP": true, "WRITE_ACP": true, "FULL_CONTROL": true}

var knownGroups = map[string]bool{allUsersURI: true, authUsersURI: true, logDeliveryURI: true}

var errUnresolvableEmail = &s3err.Error{Code: "UnresolvableGrantByEmailAddress", Status: http.StatusBadRequest,
	Message: "The e-mail address you provided does not match any account on record."}

// bucketOwner returns the Owner of a bucket whose record names owner (an
// IAM user, or "" for the root user).
func (a *api) bucketOwner(rq *request, name string) owner {
	if name != "" {
		return owner{ID: iam.CanonicalID(name), DisplayName: name}
	}
	root := rq.auth.AccessKey
	if a.iam != nil {
		root = a.iam.RootAccessKey()
	}
	return ownerOf(root)
}

// cannedBucketACL returns the grants of a canned ACL on a bucket.
func cannedBucketACL(canned, ownerID string) ([]meta.Grant, error) {
	own := meta.Grant{ID: ownerID, Permission: "FULL_CONTROL"}
	switch canned {
	case "private", "bucket-owner-read", "bucket-owner-full-control":
		// The last two name the bucket owner, who owns the bucket.
		return []meta.Grant{own}, nil
	case "public-read":
		return []meta.Grant{own, {URI: allUsersURI, Permission: "READ"}}, nil
	case "public-read-write":
		return []meta.Grant{own, {URI: allUsersURI, Permission: "READ"}, {URI: allUsersURI, Permission: "WRITE"}}, nil
	case "authenticated-read":
		return []meta.Grant{own, {URI: authUsersURI, Permission: "READ"}}, nil
	case "log-delivery-write":
		return []meta.Grant{own, {URI: logDeliveryURI, Permission: "WRITE"}, {URI: logDeliveryURI, Permission: "READ_ACP"}}, nil
	case "aws-exec-read":
		return nil, s3err.NotImplemented.WithMessage("The canned ACL aws-exec-read is not implemented.")
	}
	return nil, s3err.InvalidArgument.WithMessage("The canned ACL %q is not valid.", canned)
}

// grantHeaders are the x-amz-grant-* headers and their permissions.
var grantHeaders = []struct{ header, perm string }{
	{"x-amz-grant-read", "READ"}, {"x-amz-grant-write", "WRITE"}, {"x-amz-grant-read-acp", "READ_ACP"},
	{"x-amz-grant-write-acp", "WRITE_ACP"}, {"x-amz-grant-full-control", "FULL_CONTROL"},
}

// headerGrants parses the x-amz-grant-* headers: comma-separated
// id="...", uri="..." or emailAddress="..." grantees. It reports whether
// any was present.
func headerGrants(h http.Header) ([]meta.Grant, bool, error) {
	var out []meta.Grant
	present := false
	for _, gh := range grantHeaders {
		for _, v := range h.Values(gh.header) {
			present = true
			for _, part := range strings.Split(v, ",") {
				k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
				val = strings.Trim(strings.TrimSpace(val), `"`)
				if !ok || val == "" {
					return nil, true, s3err.InvalidArgument.WithMessage("Invalid grantee in %s: %q", gh.header, part)
				}
				g, err := grantee2grant(strings.ToLower(strings.TrimSpace(k)), val, gh.perm)
				if err != nil {
					return nil, true, err
				}
				out = append(out, g)
			}
		}
	}
	return out, present, nil
}

// grantee2grant makes a grant of perm to a grantee given as kind
// ("id", "uri", "emailaddress") and value.
func grantee2grant(kind, value, perm string) (meta.Grant, error) {
	switch kind {
	case "id":
		if b, err := hex.DecodeString(value); err != nil || len(b) != 32 {
			return meta.Grant{}, s3err.InvalidArgument.WithMessage("Invalid id")
		}
		return meta.Grant{ID: strings.ToLower(value), Permission: perm}, nil
	case "uri":
		if !knownGroups[value] {
			return meta.Grant{}, s3err.InvalidArgument.WithMessage("Invalid group uri")
		}
		return meta.Grant{URI: value, Permission: perm}, nil
	case "emailaddress":
		// Anode's users have no e-mail addresses.
		return meta.Grant{}, errUnresolvableEmail
	}
	return meta.Grant{}, s3err.InvalidArgument.WithMessage("Invalid grantee type %q", kind)
}

// aclBody is an AccessControlPolicy as a client sends it.
type aclBody struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Owner   struct {
		ID string `xml:"ID"`
	} `xml:"Owner"`
	Grants []struct {
		Grantee struct {
			Type         string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
			ID           string `xml:"ID"`
			URI          string `xml:"URI"`
			EmailAddress string `xml:"EmailAddress"`
		} `xml:"Grantee"`
		Permission string `xml:"Permission"`
	} `xml:"AccessControlList>Grant"`
}

func bodyGrants(data []byte, ownerID string) ([]meta.Grant, error) {
	var doc aclBody
	if err := readXML(bytes.NewReader(data), maxConfigBody, &doc, false); err != nil {
		return nil, err
	}
	if doc.Owner.ID != "" && doc.Owner.ID != ownerID {
		return nil, errAccessDenied
	}
	if len(doc.Grants) > 100 {
		return nil, s3err.MalformedXML.WithMessage("An ACL has at most 100 grants.")
	}
	var out []meta.Grant
	for _, g := range doc.Grants {
		if !aclPermissions[g.Permission] {
			return nil, s3err.MalformedXML.WithMessage("Invalid permission %q", g.Permission)
		}
		var kind, value string
		switch t := g.Grantee.Type; {
		case t == "CanonicalUser" || (t == "" && g.Grantee.ID != ""):
			kind, value = "id", g.Grantee.ID
		case t == "Group" || (t == "" && g.Grantee.URI != ""):
			kind, value = "uri", g.Grantee.URI
		case t == "AmazonCustomerByEmail" || (t == "" && g.Grantee.EmailAddress != ""):
			kind, value = "emailaddress", g.Grantee.EmailAddress
		default:
			return nil, s3err.MalformedXML.WithMessage("Invalid grantee type %q", t)
		}
		gr, err := grantee2grant(kind, value, g.Permission)
		if err != nil {
			return nil, err
		}
		out = append(out, gr)
	}
	return out, nil
}

func isPublicGrant(g meta.Grant) bool { return g.URI == allUsersURI || g.URI == authUsersURI }

// putBucketACL serves PutBucketAcl (PUT /bucket?acl).
func (a *api) putBucketACL(rq *request) error {
	acc, err := a.objects.BucketAccess(rq.ctx(), rq.bucket)
	if err != nil {
		return err
	}
	own := a.bucketOwner(rq, acc.Owner)
	h := rq.r.Header
	fromHeaders, hasGrants, err := headerGrants(h)
	if err != nil {
		return err
	}
	canned := h.Get("x-amz-acl")
	data, err := io.ReadAll(io.LimitReader(rq.body, maxConfigBody+1))
	if err != nil {
		return err
	}
	var grants []meta.Grant
	switch {
	case canned != "" && hasGrants:
		return s3err.InvalidRequest.WithMessage("Specifying both Canned ACLs and Header Grants is not allowed")
	case (canned != "" || hasGrants) && len(bytes.TrimSpace(data)) > 0:
		return &s3err.Error{Code: "UnexpectedContent", Status: http.StatusBadRequest, Message: "This request does not support content"}
	case canned != "":
		if grants, err = cannedBucketACL(canned, own.ID); err != nil {
			return err
		}
	case hasGrants:
		grants = fromHeaders
	default:
		if err := a.verifyBodyDigests(rq, data); err != nil {
			return err
		}
		if grants, err = bodyGrants(data, own.ID); err != nil {
			return err
		}
	}
	public := false
	for _, g := range grants {
		public = public || isPublicGrant(g)
	}
	if len(grants) == 1 && grants[0] == (meta.Grant{ID: own.ID, Permission: "FULL_CONTROL"}) {
		grants = nil // the default
	}
	err = a.objects.PutBucketACL(rq.ctx(), rq.bucket, grants, func(pab *meta.PublicAccessBlock) error {
		if public && pab != nil && pab.BlockPublicAcls {
			return errAccessDenied
		}
		return nil
	})
	if err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// getBucketACL serves GetBucketAcl (GET /bucket?acl): the ACL as stored.
func (a *api) getBucketACL(rq *request) error {
	acc, err := a.objects.BucketAccess(rq.ctx(), rq.bucket)
	if err != nil {
		return err
	}
	own := a.bucketOwner(rq, acc.Owner)
	grants := acc.ACL
	if grants == nil {
		grants = []meta.Grant{{ID: own.ID, Permission: "FULL_CONTROL"}}
	}
	out := accessControlPolicy{NS: s3NS, Owner: own, Grants: []grant{}}
	for _, g := range grants {
		ge := grantee{XMLNSXSI: xsiNS, Type: "CanonicalUser", ID: g.ID}
		if g.URI != "" {
			ge = grantee{XMLNSXSI: xsiNS, Type: "Group", URI: g.URI}
		} else if g.ID == own.ID {
			ge.DisplayName = own.DisplayName
		}
		out.Grants = append(out.Grants, grant{Grantee: ge, Permission: g.Permission})
	}
	writeXML(rq.w, http.StatusOK, out)
	return nil
}

// aclPermissionOf returns the bucket ACL permission that allows an action
// (on the bucket, or on an object of it), if any.
func aclPermissionOf(action string, onObject bool) (string, bool) {
	if onObject {
		switch action {
		case "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload":
			return "WRITE", true
		}
		return "", false
	}
	switch action {
	case "s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads":
		return "READ", true
	case "s3:GetBucketAcl":
		return "READ_ACP", true
	case "s3:PutBucketAcl":
		return "WRITE_ACP", true
	}
	return "", false
}

// aclAllows reports whether the bucket's ACL grants the check's action to
// the requester, and by which permission. Under a public access block's
// IgnorePublicAcls, grants to AllUsers and AuthenticatedUsers count for
// nothing.
func (a *api) aclAllows(rq *request, acc *object.BucketAccess, c check) (string, bool) {
	perm, ok := aclPermissionOf(c.action, c.key != "")
	if !ok {
		return "", false
	}
	grants := acc.ACL
	if grants == nil {
		grants = []meta.Grant{{ID: a.bucketOwner(rq, acc.Owner).ID, Permission: "FULL_CONTROL"}}
	}
	ignorePublic := acc.PublicAccessBlock != nil && acc.PublicAccessBlock.IgnorePublicAcls
	id := rq.identity
	for _, g := range grants {
		if g.Permission != perm && g.Permission != "FULL_CONTROL" {
			continue
		}
		if isPublicGrant(g) && ignorePublic {
			continue
		}
		switch {
		case g.URI == allUsersURI,
			g.URI == authUsersURI && !id.Anonymous,
			g.ID != "" && !id.Anonymous && g.ID == id.CanonicalID():
			return g.Permission, true
		}
	}
	return "", false
}
