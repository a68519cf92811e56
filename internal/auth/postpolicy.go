package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/anode/anode/internal/s3err"
)

// Browser-based uploads (POST Object with a form). The form carries a
// base64 policy document (an expiration and conditions on the other form
// fields) signed with V4 (x-amz-algorithm, x-amz-credential, x-amz-date,
// x-amz-signature: the hex HMAC-SHA256 of the base64 policy under the
// signing key) or V2 (AWSAccessKeyId, signature: the base64 HMAC-SHA1 of
// the base64 policy under the secret). See "Browser-Based Uploads Using
// POST" in the S3 documentation.

// MaxPostPolicySize bounds the decoded policy document.
const MaxPostPolicySize = 20 << 10

var (
	errPostPolicyJSON = &s3err.Error{Code: "InvalidPolicyDocument", Status: 400, Message: "Invalid Policy: Invalid JSON."}
	errPostExpired    = s3err.AccessDenied.WithMessage("Invalid according to Policy: Policy expired.")
	errPostNoPolicy   = s3err.InvalidArgument.WithMessage("Bucket POST must contain a field named 'policy'.  If it is specified, please check the order of the fields.")
	errPostAlgorithm  = s3err.InvalidArgument.WithMessage("Bucket POST: x-amz-algorithm must be AWS4-HMAC-SHA256")
	errPostMissing    = s3err.InvalidArgument.WithMessage("Bucket POST must contain the fields x-amz-algorithm, x-amz-credential, x-amz-date and x-amz-signature (or AWSAccessKeyId and signature)")
	errPostCredential = s3err.InvalidArgument.WithMessage("Bucket POST: invalid x-amz-credential")
	errPostDate       = s3err.InvalidArgument.WithMessage("Bucket POST: x-amz-date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
)

// PostPolicy is a parsed POST policy document.
type PostPolicy struct {
	Expiration time.Time
	Conditions []PostCondition
	// LengthRange is set by a content-length-range condition.
	LengthRange          bool
	MinLength, MaxLength int64
}

// PostCondition is one eq or starts-with condition on a form field.
type PostCondition struct {
	Op    string // "eq" or "starts-with"
	Field string // lower case, without "$"
	Value string
}

// ParsePostPolicy parses a decoded POST policy document.
func ParsePostPolicy(doc []byte) (*PostPolicy, error) {
	if len(doc) > MaxPostPolicySize {
		return nil, errPostPolicyJSON.WithMessage("Invalid Policy: the policy document is larger than %d bytes.", MaxPostPolicySize)
	}
	var raw struct {
		Expiration string            `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil || dec.More() {
		return nil, errPostPolicyJSON
	}
	exp, err := time.Parse(time.RFC3339Nano, raw.Expiration)
	if err != nil {
		return nil, errPostPolicyJSON.WithMessage("Invalid Policy: Invalid 'expiration' value: '%s'", raw.Expiration)
	}
	p := &PostPolicy{Expiration: exp}
	for _, c := range raw.Conditions {
		if err := p.addCondition(c); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *PostPolicy) addCondition(c json.RawMessage) error {
	bad := func(msg string) error {
		return errPostPolicyJSON.WithMessage("Invalid Policy: Invalid Condition: %s", msg)
	}
	c = bytes.TrimSpace(c)
	if len(c) > 0 && c[0] == '{' {
		// {"field": "value"}: exact match, one pair per object.
		var m map[string]any
		if err := json.Unmarshal(c, &m); err != nil || len(m) != 1 {
			return bad("an exact-match condition is an object with one field")
		}
		for k, v := range m {
			s, ok := scalar(v)
			if !ok {
				return bad("an exact-match value must be a string")
			}
			p.Conditions = append(p.Conditions, PostCondition{Op: "eq", Field: strings.ToLower(strings.TrimPrefix(k, "$")), Value: s})
		}
		return nil
	}
	var arr []any
	if err := json.Unmarshal(c, &arr); err != nil || len(arr) != 3 {
		return bad("a condition is an object or a list of three elements")
	}
	op, _ := arr[0].(string)
	switch strings.ToLower(op) {
	case "eq", "starts-with":
		field, ok1 := arr[1].(string)
		value, ok2 := scalar(arr[2])
		if !ok1 || !ok2 || !strings.HasPrefix(field, "$") || len(field) < 2 {
			return bad(fmt.Sprintf("%s needs a $field and a string value", op))
		}
		p.Conditions = append(p.Conditions, PostCondition{Op: strings.ToLower(op), Field: strings.ToLower(field[1:]), Value: value})
	case "content-length-range":
		lo, ok1 := integer(arr[1])
		hi, ok2 := integer(arr[2])
		if !ok1 || !ok2 || lo < 0 || hi < lo {
			return bad("content-length-range needs two integers, 0 <= min <= max")
		}
		p.LengthRange, p.MinLength, p.MaxLength = true, lo, hi
	default:
		return bad(fmt.Sprintf("unknown operation %q", op))
	}
	return nil
}

func scalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	}
	return "", false
}

func integer(v any) (int64, bool) {
	switch v := v.(type) {
	case float64:
		if v != float64(int64(v)) {
			return 0, false
		}
		return int64(v), true
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// postExempt are the form fields no condition needs to cover.
var postExempt = map[string]bool{"policy": true, "signature": true, "x-amz-signature": true, "awsaccesskeyid": true, "file": true}

// Check checks the form fields (names lower case, plus "bucket": the
// request's bucket) against the policy at time now: it must not have
// expired, every condition must hold, and every field but the exempt ones
// (policy, signature, file, AWSAccessKeyId, x-ignore-*) must be named by a
// condition.
func (p *PostPolicy) Check(fields map[string]string, now time.Time) error {
	if !now.Before(p.Expiration) {
		return errPostExpired
	}
	covered := map[string]bool{"bucket": true}
	for _, c := range p.Conditions {
		covered[c.Field] = true
		v, ok := fields[c.Field]
		var holds bool
		switch c.Op {
		case "eq":
			holds = ok && v == c.Value
		case "starts-with":
			if c.Field == "content-type" && ok {
				// Each of a comma-separated list must match.
				holds = true
				for _, part := range strings.Split(v, ",") {
					holds = holds && strings.HasPrefix(strings.TrimSpace(part), c.Value)
				}
			} else {
				holds = ok && strings.HasPrefix(v, c.Value)
			}
		}
		if !holds {
			return s3err.AccessDenied.WithMessage("Invalid according to Policy: Policy Condition failed: [\"%s\", \"$%s\", \"%s\"]", c.Op, c.Field, c.Value)
		}
	}
	for name := range fields {
		if !covered[name] && !postExempt[name] && !strings.HasPrefix(name, "x-ignore-") {
			return s3err.AccessDenied.WithMessage("Invalid according to Policy: Extra input fields: %s", name)
		}
	}
	return nil
}

// VerifyPostForm authenticates a POST upload's form fields (names lower
// case). It returns the access key that signed the policy and the policy,
// or ("", nil, nil) for a form with neither policy nor signature (an
// anonymous upload, for the caller to authorize as such).
func (v *Verifier) VerifyPostForm(ctx context.Context, fields map[string]string) (string, *PostPolicy, error) {
	policyB64, hasPolicy := fields["policy"]
	v4sig, isV4 := fields["x-amz-signature"]
	v2sig, isV2 := fields["signature"]
	switch {
	case !hasPolicy && !isV4 && !isV2 && fields["awsaccesskeyid"] == "" && fields["x-amz-credential"] == "":
		return "", nil, nil
	case !hasPolicy:
		return "", nil, errPostNoPolicy
	}
	doc, err := base64.StdEncoding.DecodeString(policyB64)
	if err != nil {
		return "", nil, errPostPolicyJSON.WithMessage("Invalid Policy: Invalid Base64 Encoding.")
	}
	policy, err := ParsePostPolicy(doc)
	if err != nil {
		return "", nil, err
	}
	var accessKey string
	switch {
	case isV4:
		if fields["x-amz-algorithm"] != algorithm {
			return "", nil, errPostAlgorithm
		}
		var p sigParams
		if err := p.parseCredential(fields["x-amz-credential"], true); err != nil {
			return "", nil, errPostCredential
		}
		amzDate := fields["x-amz-date"]
		if _, err := time.Parse(amzDateLayout, amzDate); err != nil {
			return "", nil, errPostDate
		}
		if err := v.checkScope(&p, amzDate, true); err != nil {
			return "", nil, err
		}
		secret, err := v.secretOf(ctx, p.accessKey)
		if err != nil {
			return "", nil, err
		}
		key := v.keys.get(secret, p.date, p.region)
		want := hmacSHA256(key[:], []byte(policyB64))
		got, err := hex.DecodeString(v4sig)
		if err != nil || !hmac.Equal(got, want[:]) {
			return "", nil, s3err.SignatureDoesNotMatch
		}
		accessKey = p.accessKey
	case isV2:
		accessKey = fields["awsaccesskeyid"]
		if accessKey == "" {
			return "", nil, errPostMissing
		}
		secret, err := v.secretOf(ctx, accessKey)
		if err != nil {
			return "", nil, err
		}
		mac := hmac.New(sha1.New, []byte(secret))
		mac.Write([]byte(policyB64))
		got, err := base64.StdEncoding.DecodeString(v2sig)
		if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
			return "", nil, s3err.SignatureDoesNotMatch
		}
	default:
		return "", nil, errPostMissing
	}
	return accessKey, policy, nil
}
