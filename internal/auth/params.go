package auth

import (
	"strconv"
	"strings"
	"time"

	"github.com/anode/anode/internal/s3err"
)

const (
	algorithm     = "AWS4-HMAC-SHA256"
	amzDateLayout = "20060102T150405Z"
	serviceS3     = "s3"
	scopeTerminal = "aws4_request"
)

// sigParams are the parts of a SigV4 signature, taken from the
// Authorization header or from a presigned URL's query.
type sigParams struct {
	accessKey string
	// scope is the credential scope, "date/region/service/aws4_request",
	// and date, region, service and terminal its parts.
	scope                           string
	date, region, service, terminal string
	// signedHeaders is the semicolon-separated list as the client sent it.
	signedHeaders string
	// signature is the hex signature as the client sent it.
	signature string

	// Presigned URLs only.
	amzDate string
	expires time.Duration
}

// parseAuthorization parses an Authorization header of the form
//
//	AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=fe5f...
//
// The three components may come in any order, separated by commas with
// optional spaces, as clients differ on that.
func parseAuthorization(h string) (sigParams, error) {
	var p sigParams
	rest, ok := strings.CutPrefix(h, algorithm)
	if !ok || (rest != "" && rest[0] != ' ') {
		if strings.HasPrefix(h, "AWS ") || strings.HasPrefix(h, "AWS4-") {
			// Signature Version 2, or SigV4a (AWS4-ECDSA-P256-SHA256).
			return p, errUnsupportedMechanism
		}
		return p, malformed(false, "the authorization mechanism is not recognised")
	}
	var cred string
	var haveCred, haveHeaders, haveSig bool
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, val, found := strings.Cut(part, "=")
		if !found {
			return p, malformed(false, "the authorization component %q is malformed.", part)
		}
		var seen *bool
		switch k {
		case "Credential":
			cred, seen = val, &haveCred
		case "SignedHeaders":
			p.signedHeaders, seen = val, &haveHeaders
		case "Signature":
			p.signature, seen = val, &haveSig
		default:
			return p, malformed(false, "the authorization component %q is malformed.", part)
		}
		if *seen {
			return p, malformed(false, "the authorization component %q is repeated.", k)
		}
		*seen = true
	}
	if !haveCred || !haveHeaders || !haveSig {
		return p, malformed(false, "the authorization header requires three components: Credential, SignedHeaders, and Signature.")
	}
	if err := p.parseCredential(cred, false); err != nil {
		return p, err
	}
	if err := checkSignedHeaders(p.signedHeaders, false); err != nil {
		return p, err
	}
	if p.signature == "" {
		return p, malformed(false, "the Signature is empty.")
	}
	return p, nil
}

// parsePresigned parses the X-Amz-* parameters of a presigned URL.
func parsePresigned(q queryParams) (sigParams, error) {
	var p sigParams
	alg, ok1 := q.get("X-Amz-Algorithm")
	cred, ok2 := q.get("X-Amz-Credential")
	p.signature, _ = q.get("X-Amz-Signature")
	p.amzDate, _ = q.get("X-Amz-Date")
	exp, ok3 := q.get("X-Amz-Expires")
	var ok4 bool
	p.signedHeaders, ok4 = q.get("X-Amz-SignedHeaders")
	if !ok1 || !ok2 || !ok3 || !ok4 || p.signature == "" || p.amzDate == "" {
		return p, errPresignMissingParams
	}
	if alg != algorithm {
		return p, errPresignAlgorithm
	}
	if err := p.parseCredential(cred, true); err != nil {
		return p, err
	}
	if _, err := time.Parse(amzDateLayout, p.amzDate); err != nil {
		return p, errPresignDate
	}
	secs, err := strconv.ParseInt(exp, 10, 64)
	switch {
	case err != nil && strings.TrimLeft(exp, "-0123456789") == "" && exp != "" && exp != "-":
		// All digits but out of int64's range: too long, not "not a number".
		return p, errPresignExpiresTooLong
	case err != nil:
		return p, errPresignExpiresNumber
	case secs < 0:
		return p, errPresignExpiresNegative
	case secs > int64(MaxPresignExpiry/time.Second):
		return p, errPresignExpiresTooLong
	}
	p.expires = time.Duration(secs) * time.Second
	if err := checkSignedHeaders(p.signedHeaders, true); err != nil {
		return p, err
	}
	return p, nil
}

// parseCredential splits "AK/date/region/service/aws4_request". The access
// key is everything before the last four parts, so the scope parses even if
// a key holds a '/'.
func (p *sigParams) parseCredential(cred string, presigned bool) error {
	bad := func() error {
		const want = `the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`
		if presigned {
			return s3err.AuthorizationQueryParametersError.WithMessage("Error parsing the X-Amz-Credential parameter; " + want)
		}
		return malformed(false, want)
	}
	end := len(cred)
	var cuts [4]int // positions of the last four slashes, right to left
	for i := range cuts {
		j := strings.LastIndexByte(cred[:end], '/')
		if j < 0 {
			return bad()
		}
		cuts[i] = j
		end = j
	}
	p.accessKey = cred[:cuts[3]]
	p.scope = cred[cuts[3]+1:]
	p.date = cred[cuts[3]+1 : cuts[2]]
	p.region = cred[cuts[2]+1 : cuts[1]]
	p.service = cred[cuts[1]+1 : cuts[0]]
	p.terminal = cred[cuts[0]+1:]
	if p.accessKey == "" || len(p.date) != 8 || p.region == "" || p.service == "" || p.terminal == "" {
		return bad()
	}
	for i := 0; i < len(p.date); i++ {
		if p.date[i] < '0' || p.date[i] > '9' {
			return bad()
		}
	}
	return nil
}

// checkSignedHeaders checks the SignedHeaders list: non-empty lower-case
// names separated by ';', including host, which SigV4 requires to sign.
func checkSignedHeaders(list string, presigned bool) error {
	hasHost := false
	for rest := list; ; {
		var name string
		var more bool
		name, rest, more = strings.Cut(rest, ";")
		if name == "" {
			return malformed(presigned, "SignedHeaders %q is malformed.", list)
		}
		for i := 0; i < len(name); i++ {
			c := name[i]
			if 'A' <= c && c <= 'Z' || c <= ' ' || c == ':' || c >= 0x7f {
				return malformed(presigned, "SignedHeaders %q is malformed.", list)
			}
		}
		if name == "host" {
			hasHost = true
		}
		if !more {
			break
		}
	}
	if !hasHost {
		return malformed(presigned, "SignedHeaders must include host.")
	}
	return nil
}

// checkScope checks the credential scope against the request's date and
// against what this server answers for.
func (v *Verifier) checkScope(p *sigParams, amzDate string, presigned bool) error {
	if p.date != amzDate[:8] {
		return malformed(presigned, "Invalid credential date %q. Date is not the same as X-Amz-Date: %q.", p.date, amzDate[:8])
	}
	if !v.regionOK(p.region) {
		// AWS names the right region in a Region element, which botocore
		// reads to sign again for it.
		return malformed(presigned, "the region '%s' is wrong; expecting '%s'", p.region, v.Region).WithField("Region", v.Region)
	}
	if p.service != serviceS3 {
		return malformed(presigned, "incorrect service %q. This endpoint belongs to \"s3\".", p.service)
	}
	if p.terminal != scopeTerminal {
		return malformed(presigned, "incorrect terminal %q. This endpoint uses \"aws4_request\".", p.terminal)
	}
	return nil
}
