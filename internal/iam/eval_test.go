package iam

import (
	"strings"
	"testing"
)

// ctx builds a condition-key lookup from key=value pairs (keys
// case-insensitive before '/', as in AWS; a key repeated is multi-valued).
func ctx(pairs ...string) func(string) ([]string, bool) {
	m := map[string][]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[normKey(pairs[i])] = append(m[normKey(pairs[i])], pairs[i+1])
	}
	return func(k string) ([]string, bool) {
		v, ok := m[normKey(k)]
		return v, ok
	}
}

func normKey(k string) string {
	name, sub, has := strings.Cut(k, "/")
	if has {
		return strings.ToLower(name) + "/" + sub
	}
	return strings.ToLower(name)
}

func mustParse(t *testing.T, doc string, kind int) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc), kind)
	if err != nil {
		t.Fatalf("parse %s: %v", doc, err)
	}
	return p
}

var alice = &Identity{User: "alice", AccessKey: "AKALICE"}
var bob = &Identity{User: "bob", AccessKey: "AKBOB"}
var anonymous = &Identity{Anonymous: true}

// TestEvaluate checks identity-policy evaluation, including the examples
// of AWS's "Policy evaluation logic" and "IAM JSON policy elements" pages:
// explicit deny beats allow, NotAction, NotResource, conditions and
// wildcards, policy variables.
func TestEvaluate(t *testing.T) {
	tests := []struct {
		name     string
		policy   string
		action   string
		resource string
		id       *Identity
		ctx      func(string) ([]string, bool)
		want     Effect
	}{
		// Default deny: no statement applies.
		{"nothing allows", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a/*"}]}`,
			"s3:PutObject", "arn:aws:s3:::a/k", alice, nil, ImplicitDeny},
		{"exact allow", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a/*"}]}`,
			"s3:GetObject", "arn:aws:s3:::a/k", alice, nil, Allow},
		{"other bucket", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a/*"}]}`,
			"s3:GetObject", "arn:aws:s3:::ab/k", alice, nil, ImplicitDeny},
		{"bucket ARN is not its objects", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::a"}]}`,
			"s3:GetObject", "arn:aws:s3:::a/k", alice, nil, ImplicitDeny},
		// Explicit deny overrides allow (AWS: "An explicit deny in any policy overrides any allows").
		{"explicit deny wins", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"s3:*","Resource":"*"},
			{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::a/*"}]}`,
			"s3:DeleteObject", "arn:aws:s3:::a/k", alice, nil, Deny},
		{"deny elsewhere does not apply", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"s3:*","Resource":"*"},
			{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::a/*"}]}`,
			"s3:GetObject", "arn:aws:s3:::a/k", alice, nil, Allow},
		// Action wildcards and case.
		{"action wildcard", `{"Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}`,
			"s3:GetObjectTagging", "arn:aws:s3:::a/k", alice, nil, Allow},
		{"action case-insensitive", `{"Statement":{"Effect":"Allow","Action":"S3:getobject","Resource":"*"}}`,
			"s3:GetObject", "arn:aws:s3:::a/k", alice, nil, Allow},
		{"action ? wildcard", `{"Statement":{"Effect":"Allow","Action":"s3:?etObject","Resource":"*"}}`,
			"s3:GetObject", "arn:aws:s3:::a/k", alice, nil, Allow},
		{"resource case-sensitive", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::a/K"}}`,
			"s3:GetObject", "arn:aws:s3:::a/k", alice, nil, ImplicitDeny},
		{"resource wildcard in the middle", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::a/*/x.txt"}}`,
			"s3:GetObject", "arn:aws:s3:::a/d1/d2/x.txt", alice, nil, Allow},
		// NotAction: AWS's example "allow everything except IAM".
		{"NotAction allows the rest", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`,
			"s3:PutObject", "arn:aws:s3:::a/k", alice, nil, Allow},
		{"NotAction excludes", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":["s3:Delete*"],"Resource":"*"}}`,
			"s3:DeleteObject", "arn:aws:s3:::a/k", alice, nil, ImplicitDeny},
		{"Deny NotAction denies all else", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"*","Resource":"*"},
			{"Effect":"Deny","NotAction":"s3:Get*","Resource":"*"}]}`,
			"s3:PutObject", "arn:aws:s3:::a/k", alice, nil, Deny},
		// NotResource: AWS's HRBucket/Payroll example.
		{"NotResource allows outside", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*",
			"NotResource":["arn:aws:s3:::HRBucket/Payroll","arn:aws:s3:::HRBucket/Payroll/*"]}}`,
			"s3:GetObject", "arn:aws:s3:::HRBucket/Other/x", alice, nil, Allow},
		{"NotResource excludes", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*",
			"NotResource":["arn:aws:s3:::HRBucket/Payroll","arn:aws:s3:::HRBucket/Payroll/*"]}}`,
			"s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/x", alice, nil, ImplicitDeny},
		// Policy variables: AWS's home-directory example.
		{"${aws:username} own folder", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}}`,
			"s3:PutObject", "arn:aws:s3:::home/alice/x", alice, ctx("aws:username", "alice"), Allow},
		{"${aws:username} other folder", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}}`,
			"s3:PutObject", "arn:aws:s3:::home/alice/x", bob, ctx("aws:username", "bob"), ImplicitDeny},
		{"variables need version 2012-10-17", `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}}`,
			"s3:PutObject", "arn:aws:s3:::home/alice/x", alice, ctx("aws:username", "alice"), ImplicitDeny},
		{"variable without value never matches", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}*"}}`,
			"s3:PutObject", "arn:aws:s3:::home/x", anonymous, ctx(), ImplicitDeny},
		{"prefix condition with variable", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::home",
			"Condition":{"StringLike":{"s3:prefix":["${aws:username}/*","${aws:username}"]}}}}`,
			"s3:ListBucket", "arn:aws:s3:::home", alice, ctx("aws:username", "alice", "s3:prefix", "alice/docs/"), Allow},
		{"prefix condition other prefix", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::home",
			"Condition":{"StringLike":{"s3:prefix":["${aws:username}/*"]}}}}`,
			"s3:ListBucket", "arn:aws:s3:::home", alice, ctx("aws:username", "alice", "s3:prefix", "bob/"), ImplicitDeny},
		// Conditions.
		{"IpAddress in", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}}`,
			"s3:GetObject", "arn:aws:s3:::a/k", alice, ctx("aws:sourceip", "127.0.0.1"), Allow},
		{"IpAddress out", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.7"]}}}}`,
			"s3:GetObject", "arn:aws:s3:::a/k", alice, ctx("aws:sourceip", "127.0.0.1"), ImplicitDeny},
		{"NotIpAddress deny (AWS example)", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
			{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}}]}`,
			"s3:GetObject", "arn:aws:s3:::a/k", alice, ctx("aws:sourceip", "127.0.0.1"), Deny},
		{"NotIpAddress inside passes", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
			{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24"]}}}]}`,
			"s3:GetObject", "arn:aws:s3:::a/k", alice, ctx("aws:sourceip", "192.0.2.9"), Allow},
		{"Bool SecureTransport deny", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
			{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`,
			"s3:GetObject", "arn:aws:s3:::a/k", alice, ctx("aws:securetransport", "false"), Deny},
		{"Bool with JSON boolean", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true}}}]}`,
			"s3:GetObject", "arn:aws:s3:::a/k", alice, ctx("aws:securetransport", "true"), Allow},
		{"DateLessThan before", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}}`,
			"s3:GetObject", "arn:aws:s3:::a/k", alice, ctx("aws:currenttime", "2026-12-01T00:00:00Z"), Allow},
		{"DateLessThan after", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2020-01-01"}}}}`,
			"s3:GetObject", "arn:aws:s3:::a/k", alice, ctx("aws:currenttime", "2026-12-01T00:00:00Z"), ImplicitDeny},
		{"NumericLessThanEquals max-keys ok", `{"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"NumericLessThanEquals":{"s3:max-keys":"10"}}}}`,
			"s3:ListBucket", "arn:aws:s3:::a", alice, ctx("s3:max-keys", "10"), Allow},
		{"NumericLessThanEquals max-keys too many", `{"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"NumericLessThanEquals":{"s3:max-keys":10}}}}`,
			"s3:ListBucket", "arn:aws:s3:::a", alice, ctx("s3:max-keys", "1000"), ImplicitDeny},
		{"missing key fails a positive operator", `{"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"NumericLessThanEquals":{"s3:max-keys":10}}}}`,
			"s3:ListBucket", "arn:aws:s3:::a", alice, ctx(), ImplicitDeny},
		{"IfExists passes a missing key", `{"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"NumericLessThanEqualsIfExists":{"s3:max-keys":10}}}}`,
			"s3:ListBucket", "arn:aws:s3:::a", alice, ctx(), Allow},
		{"StringNotEquals holds for a missing key", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"s3:x-amz-acl":"public-read"}}}}`,
			"s3:PutObject", "arn:aws:s3:::a/k", alice, ctx(), Allow},
		{"StringNotEquals refuses the value", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"s3:x-amz-acl":["public-read","public-read-write"]}}}}`,
			"s3:PutObject", "arn:aws:s3:::a/k", alice, ctx("s3:x-amz-acl", "public-read-write"), ImplicitDeny},
		{"StringEquals acl", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}}`,
			"s3:PutObject", "arn:aws:s3:::a/k", alice, ctx("s3:x-amz-acl", "bucket-owner-full-control"), Allow},
		{"StringEquals username", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":"alice"}}}}`,
			"s3:PutObject", "arn:aws:s3:::a/k", bob, ctx("aws:username", "bob"), ImplicitDeny},
		{"condition keys are case-insensitive", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"AWS:UserName":"alice"}}}}`,
			"s3:PutObject", "arn:aws:s3:::a/k", alice, ctx("aws:username", "alice"), Allow},
		{"two keys are ANDed", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":"alice","s3:x-amz-acl":"private"}}}}`,
			"s3:PutObject", "arn:aws:s3:::a/k", alice, ctx("aws:username", "alice", "s3:x-amz-acl", "public-read"), ImplicitDeny},
		{"two operators are ANDed", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":"alice"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}`,
			"s3:PutObject", "arn:aws:s3:::a/k", alice, ctx("aws:username", "alice", "aws:sourceip", "127.0.0.1"), ImplicitDeny},
		{"ExistingObjectTag", `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:ExistingObjectTag/team":"red"}}}}`,
			"s3:GetObject", "arn:aws:s3:::a/k", alice, ctx("s3:existingobjecttag/team", "red"), Allow},
		{"ExistingObjectTag key is case-sensitive", `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:ExistingObjectTag/Team":"red"}}}}`,
			"s3:GetObject", "arn:aws:s3:::a/k", alice, ctx("s3:existingobjecttag/team", "red"), ImplicitDeny},
		{"RequestObjectTag", `{"Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"StringLike":{"s3:RequestObjectTag/env":"dev*"}}}}`,
			"s3:PutObject", "arn:aws:s3:::a/k", alice, ctx("s3:requestobjecttag/env", "dev-1"), Allow},
		{"VersionId", `{"Statement":{"Effect":"Deny","Action":"s3:GetObjectVersion","Resource":"*","Condition":{"StringEquals":{"s3:VersionId":"v1"}}}}`,
			"s3:GetObjectVersion", "arn:aws:s3:::a/k", alice, ctx("s3:versionid", "v1"), Deny},
		{"ForAllValues tag keys subset", `{"Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["a","b"]}}}}`,
			"s3:PutObject", "arn:aws:s3:::a/k", alice, ctx("s3:requestobjecttagkeys", "a", "s3:requestobjecttagkeys", "b"), Allow},
		{"ForAllValues tag keys not subset", `{"Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["a","b"]}}}}`,
			"s3:PutObject", "arn:aws:s3:::a/k", alice, ctx("s3:requestobjecttagkeys", "a", "s3:requestobjecttagkeys", "c"), ImplicitDeny},
		{"ForAnyValue tag keys", `{"Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["c"]}}}}`,
			"s3:PutObject", "arn:aws:s3:::a/k", alice, ctx("s3:requestobjecttagkeys", "a", "s3:requestobjecttagkeys", "c"), Allow},
		{"Null true: key absent", `{"Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Null":{"s3:x-amz-acl":"true"}}}}`,
			"s3:PutObject", "arn:aws:s3:::a/k", alice, ctx(), Deny},
		{"Null true: key present", `{"Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Null":{"s3:x-amz-acl":"true"}}}}`,
			"s3:PutObject", "arn:aws:s3:::a/k", alice, ctx("s3:x-amz-acl", "private"), ImplicitDeny},
		{"StringEqualsIgnoreCase", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}}}`,
			"s3:PutObject", "arn:aws:s3:::a/k", alice, ctx("aws:username", "alice"), Allow},
		{"IPv6 source", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"::1/128"}}}}`,
			"s3:PutObject", "arn:aws:s3:::a/k", alice, ctx("aws:sourceip", "::1"), Allow},
	}
	for _, tt := range tests {
		p := mustParse(t, tt.policy, IdentityPolicy)
		got := Evaluate(&Request{Action: tt.action, Resource: tt.resource, Identity: tt.id, Context: tt.ctx}, NamedPolicy{Name: "p", Policy: p})
		if got.Effect != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got.Effect, tt.want)
		}
	}
}

// TestEvaluateAcrossPolicies: a Deny in one policy beats an Allow in
// another; the decision names the deciding statement.
func TestEvaluateAcrossPolicies(t *testing.T) {
	allow := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, IdentityPolicy)
	deny := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"},{"Sid":"NoSecret","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::a/secret/*"}]}`, IdentityPolicy)
	req := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::a/secret/x", Identity: alice}
	d := Evaluate(req, NamedPolicy{"rw", allow}, NamedPolicy{"guard", deny})
	if d.Effect != Deny || d.Statement() != "guard#NoSecret" {
		t.Fatalf("got %v %q, want Deny guard#NoSecret", d.Effect, d.Statement())
	}
	req.Resource = "arn:aws:s3:::a/public/x"
	d = Evaluate(req, NamedPolicy{"rw", allow}, NamedPolicy{"guard", deny})
	if d.Effect != Allow || d.Statement() != "rw#All" {
		t.Fatalf("got %v %q, want Allow rw#All", d.Effect, d.Statement())
	}
	if d := Evaluate(req); d.Effect != ImplicitDeny || d.Statement() != "" {
		t.Fatalf("no policies: got %v", d.Effect)
	}
}

// TestBucketPolicyPrincipals: Principal "*" names everyone, anonymous
// included; a user ARN or canonical ID only that user; NotPrincipal the
// others.
func TestBucketPolicyPrincipals(t *testing.T) {
	doc := func(principal string) *Policy {
		return mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",`+principal+`,"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, BucketPolicy)
	}
	root := &Identity{Root: true}
	tests := []struct {
		principal string
		id        *Identity
		want      Effect
	}{
		{`"Principal":"*"`, anonymous, Allow},
		{`"Principal":{"AWS":"*"}`, anonymous, Allow},
		{`"Principal":"*"`, alice, Allow},
		{`"Principal":{"AWS":"arn:aws:iam::000000000000:user/alice"}`, alice, Allow},
		{`"Principal":{"AWS":["arn:aws:iam::123456789012:user/alice"]}`, alice, Allow},
		{`"Principal":{"AWS":"arn:aws:iam::000000000000:user/alice"}`, bob, ImplicitDeny},
		{`"Principal":{"AWS":"arn:aws:iam::000000000000:user/alice"}`, anonymous, ImplicitDeny},
		{`"Principal":{"AWS":"arn:aws:iam::000000000000:user/ali*"}`, alice, ImplicitDeny},
		{`"Principal":{"CanonicalUser":"` + CanonicalID("bob") + `"}`, bob, Allow},
		{`"Principal":{"CanonicalUser":"` + CanonicalID("bob") + `"}`, alice, ImplicitDeny},
		{`"Principal":{"AWS":"000000000000"}`, root, Allow},
		{`"Principal":{"AWS":"000000000000"}`, alice, ImplicitDeny},
		{`"NotPrincipal":{"AWS":"arn:aws:iam::000000000000:user/alice"}`, bob, Allow},
		{`"NotPrincipal":{"AWS":"arn:aws:iam::000000000000:user/alice"}`, alice, ImplicitDeny},
	}
	for _, tt := range tests {
		req := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Identity: tt.id}
		if got := Evaluate(req, NamedPolicy{"bp", doc(tt.principal)}).Effect; got != tt.want {
			t.Errorf("%s for %+v: %v, want %v", tt.principal, tt.id, got, tt.want)
		}
	}
}

func TestIsPublic(t *testing.T) {
	tests := []struct {
		stmt string
		want bool
	}{
		{`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`, true},
		{`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`, false},
		{`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/a"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`, false},
		{`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`, false},
		{`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}}`, true},
		{`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:username":"a"}}}`, false},
		{`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringLike":{"s3:prefix":"x*"}}}`, true},
	}
	for _, tt := range tests {
		p := mustParse(t, `{"Version":"2012-10-17","Statement":[`+tt.stmt+`]}`, BucketPolicy)
		if got := IsPublic(p); got != tt.want {
			t.Errorf("%s: public %v, want %v", tt.stmt, got, tt.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		kind int
	}{
		{"not JSON", `{`, IdentityPolicy},
		{"trailing data", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}} {}`, IdentityPolicy},
		{"bad version", `{"Version":"2019-01-01","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, IdentityPolicy},
		{"no statement", `{"Version":"2012-10-17"}`, IdentityPolicy},
		{"empty statement list", `{"Version":"2012-10-17","Statement":[]}`, IdentityPolicy},
		{"unknown element", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Extra":1}}`, IdentityPolicy},
		{"unknown top element", `{"Version":"2012-10-17","Foo":1,"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, IdentityPolicy},
		{"bad effect", `{"Statement":{"Effect":"allow","Action":"s3:*","Resource":"*"}}`, IdentityPolicy},
		{"no action", `{"Statement":{"Effect":"Allow","Resource":"*"}}`, IdentityPolicy},
		{"action and NotAction", `{"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}}`, IdentityPolicy},
		{"bad action", `{"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}`, IdentityPolicy},
		{"empty action list", `{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, IdentityPolicy},
		{"no resource", `{"Statement":{"Effect":"Allow","Action":"s3:*"}}`, IdentityPolicy},
		{"bad resource", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"bucket/*"}}`, IdentityPolicy},
		{"principal in identity policy", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}`, IdentityPolicy},
		{"no principal in bucket policy", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, BucketPolicy},
		{"bad principal", `{"Statement":{"Effect":"Allow","Principal":"alice","Action":"s3:*","Resource":"*"}}`, BucketPolicy},
		{"unknown principal type", `{"Statement":{"Effect":"Allow","Principal":{"Federated":"x"},"Action":"s3:*","Resource":"*"}}`, BucketPolicy},
		{"unknown operator", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringSortOf":{"aws:username":"a"}}}}`, IdentityPolicy},
		{"bad set qualifier", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForSome:StringEquals":{"aws:username":"a"}}}}`, IdentityPolicy},
		{"bad IP", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"300.0.0.1"}}}}`, IdentityPolicy},
		{"bad number", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}}`, IdentityPolicy},
		{"bad date", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}}`, IdentityPolicy},
		{"bad bool", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}}`, IdentityPolicy},
		{"nested condition value", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":1}}}}}`, IdentityPolicy},
		{"duplicate sid", `{"Statement":[{"Sid":"a","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"a","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, IdentityPolicy},
	}
	for _, tt := range tests {
		if _, err := Parse([]byte(tt.doc), tt.kind); err == nil {
			t.Errorf("%s: parsed, want an error", tt.name)
		}
	}
}

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"a*", "a", true}, {"a*b", "axxb", true}, {"a*b", "axxbc", false},
		{"a?c", "abc", true}, {"a?c", "ac", false}, {"*a*a*a*", "aaa", true}, {"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"", "", true}, {"", "x", false},
	}
	for _, tt := range tests {
		if got := wildcardMatch(tt.p, tt.s, false); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", tt.p, tt.s, got)
		}
	}
}

func TestBuiltin(t *testing.T) {
	ro, err := Builtin("readonly:photos")
	if err != nil {
		t.Fatal(err)
	}
	check := func(p *Policy, action, res string, want Effect) {
		t.Helper()
		if got := Evaluate(&Request{Action: action, Resource: res, Identity: alice}, NamedPolicy{"b", p}).Effect; got != want {
			t.Errorf("%s on %s: %v, want %v", action, res, got, want)
		}
	}
	check(ro, "s3:GetObject", "arn:aws:s3:::photos/a.jpg", Allow)
	check(ro, "s3:ListBucket", "arn:aws:s3:::photos", Allow)
	check(ro, "s3:PutObject", "arn:aws:s3:::photos/a.jpg", ImplicitDeny)
	check(ro, "s3:GetObject", "arn:aws:s3:::photos2/a.jpg", ImplicitDeny)
	wo, _ := Builtin("writeonly")
	check(wo, "s3:PutObject", "arn:aws:s3:::x/a", Allow)
	check(wo, "s3:GetObject", "arn:aws:s3:::x/a", ImplicitDeny)
	rw, _ := Builtin("readwrite")
	check(rw, "s3:DeleteBucket", "arn:aws:s3:::x", Allow)
	if _, err := Builtin("readonly:*"); err == nil {
		t.Error("readonly:* accepted")
	}
	if _, err := Builtin("admin"); err == nil {
		t.Error("admin accepted")
	}
}

func TestParseCached(t *testing.T) {
	doc := []byte(`{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)
	a, err := ParseCached(doc, IdentityPolicy)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ParseCached(doc, IdentityPolicy)
	if a != b {
		t.Error("the same document was parsed twice")
	}
	// The kind is part of the key: the same bytes are no bucket policy.
	if _, err := ParseCached(doc, BucketPolicy); err == nil {
		t.Error("a cached identity policy was accepted as a bucket policy")
	}
	other, _ := ParseCached([]byte(`{"Statement":{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}}`), IdentityPolicy)
	if other == a || other.Statements[0].Effect != Deny {
		t.Error("a changed document was served from the cache")
	}
}
