package iam

import (
	"fmt"
	"strings"
)

// Built-in identity policies, attachable by name without being stored:
//
//	readonly          s3:Get*, s3:List* on every bucket and object
//	readwrite         s3:* on every bucket and object
//	writeonly         s3:PutObject, s3:AbortMultipartUpload on every object
//	readonly:BUCKET   the same, limited to one bucket and its objects
//	readwrite:BUCKET
//	writeonly:BUCKET
//
// Stored policies cannot take these names.
var builtinActions = map[string][]string{
	"readonly":  {"s3:Get*", "s3:List*"},
	"readwrite": {"s3:*"},
	"writeonly": {"s3:PutObject", "s3:AbortMultipartUpload"},
}

// IsBuiltin reports whether name is a built-in policy name (or looks like
// one, which stored policies may not).
func IsBuiltin(name string) bool {
	base, _, _ := strings.Cut(name, ":")
	_, ok := builtinActions[base]
	return ok
}

// Builtin returns the built-in policy of that name.
func Builtin(name string) (*Policy, error) {
	base, bucket, scoped := strings.Cut(name, ":")
	actions, ok := builtinActions[base]
	if !ok {
		return nil, fmt.Errorf("no built-in policy %q", name)
	}
	resources := []string{"arn:aws:s3:::*"}
	if scoped {
		if !validBucketPattern(bucket) {
			return nil, fmt.Errorf("built-in policy %q: %q is not a bucket name", name, bucket)
		}
		resources = []string{"arn:aws:s3:::" + bucket, "arn:aws:s3:::" + bucket + "/*"}
	}
	return &Policy{Version: Version2012, Statements: []Statement{{
		Sid: base, Effect: Allow, Action: actions, Resource: resources,
	}}}, nil
}

// validBucketPattern accepts the characters of S3 bucket names (no
// wildcards: a built-in names exactly one bucket).
func validBucketPattern(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
