package iam

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// AccountID is the account every Anode identity belongs to, in ARNs
// (arn:aws:iam::000000000000:user/alice). Anode has one account.
const AccountID = "000000000000"

// Identity is who sent a request.
type Identity struct {
	// Root is the root user (the configured root credentials): it may do
	// everything, no policy is consulted.
	Root bool
	// Anonymous is an unsigned request.
	Anonymous bool
	// User is the IAM user's name (empty for root and anonymous).
	User string
	// AccessKey is the access key that signed the request.
	AccessKey string
	// Policies are the identity policies of the user and of its groups,
	// each with the name it is attached under.
	Policies []NamedPolicy
}

// NamedPolicy is a parsed policy and the name that identifies it in
// decisions ("readwrite", "bucket-policy", ...).
type NamedPolicy struct {
	Name   string
	Policy *Policy
}

// ARN returns the identity's ARN, as it appears in bucket policy
// principals and aws:PrincipalArn.
func (id *Identity) ARN() string {
	switch {
	case id.Root:
		return "arn:aws:iam::" + AccountID + ":root"
	case id.Anonymous:
		return ""
	}
	return "arn:aws:iam::" + AccountID + ":user/" + id.User
}

// CanonicalID returns the identity's canonical user ID (64 hex digits):
// for a user, CanonicalID(name); for the root user, the SHA-256 of its
// access key (what S3 listings have always shown as its owner ID).
func (id *Identity) CanonicalID() string {
	if id.Root {
		sum := sha256.Sum256([]byte(id.AccessKey))
		return hex.EncodeToString(sum[:])
	}
	return CanonicalID(id.User)
}

// CanonicalID returns the canonical ID of a user, stable for its name.
func CanonicalID(user string) string {
	sum := sha256.Sum256([]byte("anode canonical user\x00" + user))
	return hex.EncodeToString(sum[:])
}

// Request is what a policy is evaluated against.
type Request struct {
	// Action is the AWS action name, e.g. "s3:GetObject".
	Action string
	// Resource is the resource ARN, e.g. "arn:aws:s3:::bucket/key".
	Resource string
	// Identity is the requester.
	Identity *Identity
	// Context returns the values of a condition key (names as in AWS,
	// matched without regard to case before any '/'), and whether the key
	// is present in the request.
	Context func(key string) ([]string, bool)
}

// Decision is the outcome of evaluating policies for a request.
type Decision struct {
	Effect Effect
	// Policy and Sid name the statement that decided (for the audit log);
	// Index is the statement's position (1-based) when it has no Sid.
	Policy string
	Sid    string
	Index  int
}

// Allowed reports whether the decision is an allow.
func (d Decision) Allowed() bool { return d.Effect == Allow }

// Statement names the deciding statement, "" for an implicit deny.
func (d Decision) Statement() string {
	if d.Effect == ImplicitDeny {
		return ""
	}
	if d.Sid != "" {
		return d.Policy + "#" + d.Sid
	}
	return d.Policy + "#" + itoa(d.Index)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// Evaluate evaluates policies for a request by AWS's rules: an explicit
// Deny in any of them decides; otherwise an Allow in any decides;
// otherwise the request is implicitly denied. Bucket policies (with
// Principal elements) and identity policies can be mixed: a statement
// with a Principal applies only to the principals it names.
func Evaluate(req *Request, policies ...NamedPolicy) Decision {
	var allow *Decision
	for _, np := range policies {
		if np.Policy == nil {
			continue
		}
		for i := range np.Policy.Statements {
			s := &np.Policy.Statements[i]
			if !s.applies(np.Policy.Version, req) {
				continue
			}
			d := Decision{Effect: s.Effect, Policy: np.Name, Sid: s.Sid, Index: i + 1}
			if s.Effect == Deny {
				return d
			}
			if allow == nil {
				allow = &d
			}
		}
	}
	if allow != nil {
		return *allow
	}
	return Decision{Effect: ImplicitDeny}
}

// applies reports whether the statement matches the request: principal,
// action, resource and every condition.
func (s *Statement) applies(version string, req *Request) bool {
	if s.Principal != nil && !s.Principal.matches(req.Identity) {
		return false
	}
	if s.NotPrincipal != nil && s.NotPrincipal.matches(req.Identity) {
		return false
	}
	if s.Action != nil && !matchAny(s.Action, req.Action, true, nil) {
		return false
	}
	if s.NotAction != nil && matchAny(s.NotAction, req.Action, true, nil) {
		return false
	}
	var vars func(string) (string, bool)
	if version == Version2012 {
		vars = func(name string) (string, bool) {
			if req.Context == nil {
				return "", false
			}
			v, ok := req.Context(name)
			if !ok || len(v) != 1 {
				return "", false
			}
			return v[0], true
		}
	}
	if s.Resource != nil && !matchAny(s.Resource, req.Resource, false, vars) {
		return false
	}
	if s.NotResource != nil && matchAny(s.NotResource, req.Resource, false, vars) {
		return false
	}
	for i := range s.Conditions {
		c := &s.Conditions[i]
		var vals []string
		present := false
		if req.Context != nil {
			vals, present = req.Context(c.Key)
		}
		if !c.eval(vals, present, vars) {
			return false
		}
	}
	return true
}

// matchAny reports whether value matches one of the patterns. Actions
// match without regard to case, resources with.
func matchAny(patterns []string, value string, foldCase bool, vars func(string) (string, bool)) bool {
	for _, p := range patterns {
		if vars != nil {
			var ok bool
			if p, ok = substitute(p, vars); !ok {
				continue
			}
		}
		if p == "*" || wildcardMatch(p, value, foldCase) {
			return true
		}
	}
	return false
}

// matches reports whether the principal element names the identity.
// "*" names everyone, anonymous requests included. A user is named by its
// ARN (any account ID is taken as Anode's one account) or its canonical
// ID; the root user by the account's root ARN or account ID.
func (p *Principal) matches(id *Identity) bool {
	if p.Any {
		return true
	}
	if id == nil || id.Anonymous {
		return false
	}
	for _, a := range p.AWS {
		if id.Root {
			if isAccountID(a) || (strings.HasPrefix(a, "arn:aws:iam::") && strings.HasSuffix(a, ":root")) {
				return true
			}
			continue
		}
		rest, ok := strings.CutPrefix(a, "arn:aws:iam::")
		if !ok {
			continue
		}
		_, res, ok := strings.Cut(rest, ":")
		if ok && res == "user/"+id.User {
			return true
		}
	}
	cid := id.CanonicalID()
	for _, c := range p.Canonical {
		if c == cid {
			return true
		}
	}
	return false
}

// IsPublic reports whether a bucket policy grants access to everyone, by
// AWS's meaning of "public": an Allow statement whose principal is "*"
// (or a NotPrincipal), unless one of its conditions pins the request to
// fixed values of a key that an outsider cannot choose (a source address
// block of /8 or narrower, a source VPC, account, ARN or organisation, a
// user ID).
func IsPublic(p *Policy) bool {
	for i := range p.Statements {
		s := &p.Statements[i]
		if s.Effect != Allow {
			continue
		}
		if s.NotPrincipal == nil && (s.Principal == nil || !s.Principal.Any) {
			continue
		}
		if !restricted(s.Conditions) {
			return true
		}
	}
	return false
}

var fixingKeys = map[string]bool{
	"aws:sourcearn": true, "aws:sourcevpc": true, "aws:sourcevpce": true, "aws:sourceaccount": true,
	"aws:sourceowner": true, "aws:principalorgid": true, "aws:principalaccount": true,
	"aws:principalarn": true, "aws:userid": true, "aws:username": true, "s3:dataaccesspointarn": true,
	"s3:dataaccesspointaccount": true,
}

func restricted(conds []Condition) bool {
	for _, c := range conds {
		key := strings.ToLower(c.Key)
		if c.op.negated || c.op.ifExists || c.op.set == "ForAllValues" {
			continue
		}
		if key == "aws:sourceip" && c.op.base == "IpAddress" {
			narrow := true
			for _, v := range c.Values {
				p, ok := parsePrefix(v)
				if !ok || (p.Addr().Is4() && p.Bits() < 8) || (p.Addr().Is6() && p.Bits() < 32) {
					narrow = false
				}
			}
			if narrow {
				return true
			}
			continue
		}
		if fixingKeys[key] && (c.op.base == "StringEquals" || c.op.base == "ArnLike" && !hasWildcard(c.Values)) {
			return true
		}
	}
	return false
}

func hasWildcard(vals []string) bool {
	for _, v := range vals {
		if strings.ContainsAny(v, "*?") {
			return true
		}
	}
	return false
}
