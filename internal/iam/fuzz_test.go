package iam

import "testing"

// FuzzParse feeds arbitrary documents to the policy parser and evaluates
// whatever parses: neither may panic, and a parsed policy must evaluate to
// one of the three effects.
//
//	go test ./internal/iam -run '^$' -fuzz '^FuzzParse$' -fuzztime=20s
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"x","Effect":"Deny","NotAction":["s3:Get*"],"NotResource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"ForAnyValue:StringLikeIfExists":{"s3:prefix":["a*",1,true]}}}]}`,
		`{"Statement":{"Effect":"Allow","Principal":{"AWS":["*","arn:aws:iam::000000000000:user/a"],"CanonicalUser":"x"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"Null":{"s3:x-amz-acl":"true"}}}}`,
		`{"Statement":{"Effect":"Allow","NotPrincipal":"*","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01"},"NumericLessThan":{"s3:max-keys":5}}}}`,
		`[]`, `null`, `{"Statement":null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range []int{IdentityPolicy, BucketPolicy} {
			p, err := Parse(data, kind)
			if err != nil {
				continue
			}
			req := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/alice/k", Identity: &Identity{User: "alice"},
				Context: ctx("aws:username", "alice", "aws:sourceip", "10.1.2.3", "s3:prefix", "a", "aws:currenttime", "2026-01-01T00:00:00Z")}
			switch Evaluate(req, NamedPolicy{"f", p}).Effect {
			case ImplicitDeny, Allow, Deny:
			default:
				t.Fatal("unknown effect")
			}
			IsPublic(p)
		}
	})
}
