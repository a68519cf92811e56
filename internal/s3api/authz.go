package s3api

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/anode/anode/internal/auth"
	"github.com/anode/anode/internal/iam"
	"github.com/anode/anode/internal/object"
	"github.com/anode/anode/internal/s3err"
)

// Authorization. Every request, once authenticated (or recognised as
// anonymous), is checked before its handler runs: its operation is mapped
// to the AWS actions and resources it needs (actionsOf), and each is
// evaluated by AWS's rules against the requester's identity policies and
// the bucket's policy together (one account: an Allow in either suffices,
// an explicit Deny in either refuses). The root user is not checked.
//
// An operation with no entry in actionsOf is refused to everyone but root:
// a new route stays closed until it is mapped.

// Authorizer resolves the identity of an authenticated access key
// (package iam's Store).
type Authorizer interface {
	Identity(accessKey string) (*iam.Identity, error)
	// RootAccessKey names the root user (whose canonical ID is derived
	// from it).
	RootAccessKey() string
}

var errAccessDenied = s3err.AccessDenied.WithMessage("Access Denied")

// check is one (action, resource) pair an operation needs.
type check struct {
	action   string
	bucket   string // "" for the service level (ListBuckets)
	key      string // "" for a bucket-level resource
	version  string // the version ID the action names, for s3:VersionId
	existing bool   // the object exists before the request (s3:ExistingObjectTag applies)
}

func (c check) resource() string {
	switch {
	case c.bucket == "":
		return "arn:aws:s3:::"
	case c.key == "":
		return "arn:aws:s3:::" + c.bucket
	}
	return "arn:aws:s3:::" + c.bucket + "/" + c.key
}

// versioned returns the action's version-specific name when the request
// names a version (s3:GetObject → s3:GetObjectVersion), as AWS does.
func versioned(action, versionID string) string {
	if versionID == "" {
		return action
	}
	switch action {
	case "s3:GetObject", "s3:DeleteObject", "s3:GetObjectTagging", "s3:PutObjectTagging",
		"s3:DeleteObjectTagging", "s3:GetObjectAcl", "s3:PutObjectAcl", "s3:GetObjectAttributes":
		return strings.Replace(action, "Object", "ObjectVersion", 1)
	}
	return action
}

// opActions maps each operation (route op name) to its AWS action, for
// the operations that need exactly one action on their own bucket or key.
var opActions = map[string]string{
	"ListBuckets":             "s3:ListAllMyBuckets",
	"GetBucketLocation":       "s3:GetBucketLocation",
	"ListObjectsV2":           "s3:ListBucket",
	"ListObjects":             "s3:ListBucket",
	"CreateBucket":            "s3:CreateBucket",
	"DeleteBucket":            "s3:DeleteBucket",
	"HeadBucket":              "s3:ListBucket",
	"ListMultipartUploads":    "s3:ListBucketMultipartUploads",
	"GetBucketVersioning":     "s3:GetBucketVersioning",
	"PutBucketVersioning":     "s3:PutBucketVersioning",
	"ListObjectVersions":      "s3:ListBucketVersions",
	"GetBucketTagging":        "s3:GetBucketTagging",
	"PutBucketTagging":        "s3:PutBucketTagging",
	"DeleteBucketTagging":     "s3:PutBucketTagging",
	"GetBucketCors":           "s3:GetBucketCORS",
	"PutBucketCors":           "s3:PutBucketCORS",
	"DeleteBucketCors":        "s3:PutBucketCORS",
	"GetBucketAcl":            "s3:GetBucketAcl",
	"PutBucketAcl":            "s3:PutBucketAcl",
	"GetBucketPolicy":         "s3:GetBucketPolicy",
	"PutBucketPolicy":         "s3:PutBucketPolicy",
	"DeleteBucketPolicy":      "s3:DeleteBucketPolicy",
	"GetBucketPolicyStatus":   "s3:GetBucketPolicyStatus",
	"GetPublicAccessBlock":    "s3:GetBucketPublicAccessBlock",
	"PutPublicAccessBlock":    "s3:PutBucketPublicAccessBlock",
	"DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",

	"GetObject":               "s3:GetObject",
	"HeadObject":              "s3:GetObject",
	"PutObject":               "s3:PutObject",
	"CopyObject":              "s3:PutObject",
	"UploadPartCopy":          "s3:PutObject",
	"DeleteObject":            "s3:DeleteObject",
	"SelectObjectContent":     "s3:GetObject",
	"CreateMultipartUpload":   "s3:PutObject",
	"UploadPart":              "s3:PutObject",
	"CompleteMultipartUpload": "s3:PutObject",
	"AbortMultipartUpload":    "s3:AbortMultipartUpload",
	"ListParts":               "s3:ListMultipartUploadParts",
	"GetObjectTagging":        "s3:GetObjectTagging",
	"PutObjectTagging":        "s3:PutObjectTagging",
	"DeleteObjectTagging":     "s3:DeleteObjectTagging",
	"GetObjectAttributes":     "s3:GetObjectAttributes",
	"GetObjectAcl":            "s3:GetObjectAcl",
	"PutObjectAcl":            "s3:PutObjectAcl",
	"GetBucketEncryption":     "s3:GetEncryptionConfiguration",
	"PutBucketEncryption":     "s3:PutEncryptionConfiguration",
	"DeleteBucketEncryption":  "s3:PutEncryptionConfiguration",
	// Object Lock, lifecycle and notifications (objectlock.go,
	// lifecycle.go, notification.go).
	"PutObjectLockConfiguration":         "s3:PutBucketObjectLockConfiguration",
	"PutObjectRetention":                 "s3:PutObjectRetention",
	"PutObjectLegalHold":                 "s3:PutObjectLegalHold",
	"PutBucketLifecycleConfiguration":    "s3:PutLifecycleConfiguration",
	"PutBucketNotificationConfiguration": "s3:PutBucketNotification",
	// Configurations Anode answers as unset (unconfigured.go), and the
	// GETs of the ones above.
	"GetBucketLifecycleConfiguration":            "s3:GetLifecycleConfiguration",
	"DeleteBucketLifecycle":                      "s3:PutLifecycleConfiguration",
	"GetBucketReplication":                       "s3:GetReplicationConfiguration",
	"DeleteBucketReplication":                    "s3:PutReplicationConfiguration",
	"GetBucketWebsite":                           "s3:GetBucketWebsite",
	"DeleteBucketWebsite":                        "s3:DeleteBucketWebsite",
	"GetBucketAccelerateConfiguration":           "s3:GetAccelerateConfiguration",
	"GetBucketLogging":                           "s3:GetBucketLogging",
	"GetBucketNotificationConfiguration":         "s3:GetBucketNotification",
	"GetBucketRequestPayment":                    "s3:GetBucketRequestPayment",
	"GetObjectLockConfiguration":                 "s3:GetBucketObjectLockConfiguration",
	"GetObjectLegalHold":                         "s3:GetObjectLegalHold",
	"GetObjectRetention":                         "s3:GetObjectRetention",
	"GetObjectTorrent":                           "s3:GetObjectTorrent",
	"ListBucketAnalyticsConfigurations":          "s3:GetAnalyticsConfiguration",
	"ListBucketIntelligentTieringConfigurations": "s3:GetIntelligentTieringConfiguration",
	"ListBucketInventoryConfigurations":          "s3:GetInventoryConfiguration",
	"ListBucketMetricsConfigurations":            "s3:GetMetricsConfiguration",
	// DeleteObjects is authorized key by key (s3:DeleteObject), in its
	// handler; the request itself needs no permission of its own.
	"DeleteObjects": "",
	// PostObject is authorized in its handler (s3:PutObject on the key of
	// the form), once the form says who signed it.
	"PostObject": "",
}

// ActionOf returns the AWS action of an operation (tests and docs use it
// to check that every route is mapped).
func ActionOf(op string) (string, bool) {
	a, ok := opActions[op]
	return a, ok
}

// checksOf returns the checks the request needs.
func (rq *request) checksOf() ([]check, error) {
	action, ok := opActions[rq.op]
	if !ok {
		return nil, errAccessDenied
	}
	if action == "" {
		return nil, nil
	}
	version := rq.query("versionId")
	// Versions matter only to object actions that read or change one.
	switch rq.op {
	case "PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload",
		"AbortMultipartUpload", "ListParts", "SelectObjectContent":
		version = ""
	}
	main := check{action: versioned(action, version), bucket: rq.bucket, key: rq.key, version: version}
	if rq.key != "" {
		switch rq.op {
		case "GetObject", "HeadObject", "DeleteObject", "GetObjectTagging", "PutObjectTagging",
			"DeleteObjectTagging", "GetObjectAttributes", "GetObjectAcl", "PutObjectAcl", "SelectObjectContent":
			main.existing = true
		}
	}
	if rq.op == "ListBuckets" {
		main.bucket = ""
	}
	checks := []check{main}
	// A write that sets Object Lock needs the permissions to set it.
	switch rq.op {
	case "PutObject", "CopyObject", "CreateMultipartUpload":
		h := rq.r.Header
		if h.Get("x-amz-object-lock-mode") != "" || h.Get("x-amz-object-lock-retain-until-date") != "" {
			checks = append(checks, check{action: "s3:PutObjectRetention", bucket: rq.bucket, key: rq.key})
		}
		if h.Get("x-amz-object-lock-legal-hold") != "" {
			checks = append(checks, check{action: "s3:PutObjectLegalHold", bucket: rq.bucket, key: rq.key})
		}
	}
	// A copy reads its source: s3:GetObject(Version) on it.
	if src := rq.r.Header.Get("x-amz-copy-source"); src != "" && (rq.op == "CopyObject" || rq.op == "UploadPartCopy") {
		cs, err := parseCopySource(src)
		if err != nil {
			return nil, err
		}
		checks = append(checks, check{action: versioned("s3:GetObject", cs.versionID), bucket: cs.bucket,
			key: cs.key, version: cs.versionID, existing: true})
	}
	return checks, nil
}

// authenticate authenticates the request, or recognises it as anonymous
// when authorization can serve anonymous requests, and records its
// identity.
func (a *api) authenticate(rq *request) error {
	if a.iam != nil && auth.IsAnonymous(rq.r) {
		rq.identity = &iam.Identity{Anonymous: true}
		res, err := auth.Anonymous(rq.r)
		if err != nil {
			return err
		}
		rq.auth = res
		return nil
	}
	res, err := a.auth.Authenticate(rq.r)
	if err != nil {
		return err
	}
	if res == nil {
		return s3err.AccessDenied
	}
	rq.auth = res
	if a.iam == nil {
		return nil
	}
	id, err := a.iam.Identity(res.AccessKey)
	if errors.Is(err, auth.ErrUnknownAccessKey) {
		// Deleted between its signature check and now.
		return s3err.InvalidAccessKeyID
	}
	if err != nil {
		return err
	}
	rq.identity = id
	return nil
}

// authorize decides whether the request may run. Without an Authorizer
// (a handler built for tests with static credentials) every authenticated
// request may.
func (a *api) authorize(rq *request) error {
	if a.iam == nil || rq.identity.Root {
		return nil
	}
	checks, err := rq.checksOf()
	if err != nil {
		return err
	}
	for _, c := range checks {
		if err := a.authorizeCheck(rq, c); err != nil {
			return err
		}
	}
	return nil
}

// authorizeObject authorizes one action on one key of the request's
// bucket (DeleteObjects, key by key).
func (a *api) authorizeObject(rq *request, action, key, versionID string) error {
	if a.iam == nil || rq.identity.Root {
		return nil
	}
	return a.authorizeCheck(rq, check{action: versioned(action, versionID), bucket: rq.bucket, key: key,
		version: versionID, existing: true})
}

func (a *api) authorizeCheck(rq *request, c check) error {
	policies := rq.identity.Policies
	var acc *object.BucketAccess
	if c.bucket != "" && rq.op != "CreateBucket" {
		var err error
		if acc, err = a.objects.BucketAccess(rq.ctx(), c.bucket); errors.Is(err, s3err.NoSuchBucket) {
			// The handler answers NoSuchBucket to whoever may ask.
			acc = nil
		} else if err != nil {
			return err
		}
		if bp := bucketPolicy(rq, c.bucket, acc); bp != nil {
			policies = append(policies[:len(policies):len(policies)], *bp)
		}
	}
	req := &iam.Request{Action: c.action, Resource: c.resource(), Identity: rq.identity, Context: a.conditionKeys(rq, c)}
	d := iam.Evaluate(req, policies...)
	// An ACL grant allows what no policy denies (bucketacl.go).
	if d.Effect == iam.ImplicitDeny && acc != nil {
		if perm, ok := a.aclAllows(rq, acc, c); ok {
			d = iam.Decision{Effect: iam.Allow, Policy: "bucket-acl:" + c.bucket, Sid: perm}
		}
	}
	rq.decision, rq.decided = d, true
	if !d.Allowed() {
		return errAccessDenied
	}
	return nil
}

// bucketPolicy returns the bucket's policy as it applies to the request:
// nil when the bucket has none (or does not exist), or when a public
// access block's RestrictPublicBuckets confines a public policy to the
// account's own users and the request is anonymous.
func bucketPolicy(rq *request, bucket string, acc *object.BucketAccess) *iam.NamedPolicy {
	if acc == nil || len(acc.Policy) == 0 {
		return nil
	}
	p, err := iam.ParseCached(acc.Policy, iam.BucketPolicy)
	if err != nil {
		// Stored policies were parsed when put; one that no longer parses
		// (a newer version's syntax) grants nothing.
		return nil
	}
	if pab := acc.PublicAccessBlock; pab != nil && pab.RestrictPublicBuckets && rq.identity.Anonymous && iam.IsPublic(p) {
		return nil
	}
	return &iam.NamedPolicy{Name: "bucket-policy:" + bucket, Policy: p}
}

// conditionKeys returns the condition-key lookup of a check.
func (a *api) conditionKeys(rq *request, c check) func(string) ([]string, bool) {
	r, id := rq.r, rq.identity
	var tags map[string]string
	tagsRead := false
	return func(key string) ([]string, bool) {
		name, sub, hasSub := strings.Cut(key, "/")
		name = strings.ToLower(name)
		one := func(v string) ([]string, bool) { return []string{v}, true }
		switch name {
		case "aws:sourceip":
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				host = r.RemoteAddr
			}
			return one(host)
		case "aws:securetransport":
			return one(strconv.FormatBool(r.TLS != nil))
		case "aws:currenttime":
			return one(time.Now().UTC().Format(time.RFC3339))
		case "aws:epochtime":
			return one(strconv.FormatInt(time.Now().Unix(), 10))
		case "aws:username", "aws:userid":
			if id.Anonymous || id.Root {
				return nil, false
			}
			return one(id.User)
		case "aws:principalarn":
			if id.Anonymous {
				return nil, false
			}
			return one(id.ARN())
		case "aws:principaltype":
			switch {
			case id.Anonymous:
				return one("Anonymous")
			case id.Root:
				return one("Account")
			}
			return one("User")
		case "aws:referer":
			return header(r, "Referer")
		case "aws:useragent":
			return header(r, "User-Agent")
		case "s3:authtype":
			switch {
			case id.Anonymous:
				return nil, false
			case r.Header.Get("Authorization") != "":
				return one("REST-HEADER")
			}
			return one("REST-QUERY-STRING")
		case "s3:prefix", "s3:delimiter", "s3:max-keys":
			if c.key != "" {
				return nil, false
			}
			q := r.URL.Query()
			param := strings.TrimPrefix(name, "s3:")
			if !q.Has(param) {
				return nil, false
			}
			return one(q.Get(param))
		case "s3:x-amz-acl":
			return header(r, "x-amz-acl")
		case "s3:versionid":
			if c.version == "" {
				return nil, false
			}
			return one(c.version)
		case "s3:requestobjecttag", "s3:requestobjecttagkeys":
			h := r.Header.Get("x-amz-tagging")
			if h == "" {
				return nil, false
			}
			q, err := url.ParseQuery(h)
			if err != nil {
				return nil, false
			}
			if name == "s3:requestobjecttagkeys" {
				var keys []string
				for k := range q {
					keys = append(keys, k)
				}
				return keys, true
			}
			if !hasSub || !q.Has(sub) {
				return nil, false
			}
			return one(q.Get(sub))
		case "s3:existingobjecttag":
			if !c.existing || !hasSub {
				return nil, false
			}
			if !tagsRead {
				tagsRead = true
				tags, _, _ = a.objects.GetObjectTagging(rq.ctx(), c.bucket, c.key, c.version)
			}
			v, ok := tags[sub]
			if !ok {
				return nil, false
			}
			return one(v)
		}
		return nil, false
	}
}

func header(r *http.Request, name string) ([]string, bool) {
	v, ok := r.Header[http.CanonicalHeaderKey(name)]
	if !ok || len(v) == 0 {
		return nil, false
	}
	return []string{v[0]}, true
}

// userName returns the IAM user that sent the request, "" for the root
// user, an anonymous request or a handler without IAM.
func (rq *request) userName() string {
	if id := rq.identity; id != nil && !id.Root && !id.Anonymous {
		return id.User
	}
	return ""
}

// requester returns the Owner S3 answers name the requester by: an IAM
// user's canonical ID and name, else (root, or no IAM) the hash of the
// access key with the key as display name.
func (rq *request) requester() owner {
	if u := rq.userName(); u != "" {
		return owner{ID: iam.CanonicalID(u), DisplayName: u}
	}
	if rq.auth == nil {
		return owner{}
	}
	return ownerOf(rq.auth.AccessKey)
}
