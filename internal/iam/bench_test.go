package iam

import "testing"

// BenchmarkParseEvaluate is the per-request cost of authorization for a
// user with one stored policy: parse it (the store parses on every
// request) and evaluate one action.
func BenchmarkParseEvaluate(b *testing.B) {
	doc := []byte(`{"Version":"2012-10-17","Statement":[
		{"Sid":"Home","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::home/${aws:username}/*"},
		{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::home","Condition":{"StringLike":{"s3:prefix":"${aws:username}/*"}}},
		{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`)
	req := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/x", Identity: alice,
		Context: ctx("aws:username", "alice", "aws:sourceip", "10.1.2.3")}
	b.ReportAllocs()
	for b.Loop() {
		p, err := Parse(doc, IdentityPolicy)
		if err != nil {
			b.Fatal(err)
		}
		if !Evaluate(req, NamedPolicy{"p", p}).Allowed() {
			b.Fatal("denied")
		}
	}
}

// BenchmarkCachedEvaluate is the same with the parsed policy cached, as
// the store and the S3 layer use it.
func BenchmarkCachedEvaluate(b *testing.B) {
	doc := []byte(`{"Version":"2012-10-17","Statement":[
		{"Sid":"Home","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::home/${aws:username}/*"},
		{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`)
	req := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/x", Identity: alice,
		Context: ctx("aws:username", "alice", "aws:sourceip", "10.1.2.3")}
	b.ReportAllocs()
	for b.Loop() {
		p, err := ParseCached(doc, IdentityPolicy)
		if err != nil {
			b.Fatal(err)
		}
		if !Evaluate(req, NamedPolicy{"p", p}).Allowed() {
			b.Fatal("denied")
		}
	}
}
