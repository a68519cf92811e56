// Package iam holds Anode's identities and their permissions: users,
// access keys, groups and policies (stored in the system raft group through
// package meta), the AWS policy language, and its evaluation by AWS's
// rules (an explicit Deny wins over any Allow; without an Allow the
// answer is an implicit deny).
//
// See docs/iam.md for the model and the supported policy language.
package iam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Policy versions. Policy variables (${aws:username}) are substituted only
// in version 2012-10-17 documents, as on AWS; older ones take "${" literally.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Size limits of policy documents (AWS's: 6,144 characters for a managed
// identity policy, 20 KB for a bucket policy).
const (
	MaxIdentityPolicySize = 6144
	MaxBucketPolicySize   = 20 << 10
)

// Policy is a parsed policy document.
type Policy struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one statement of a policy.
type Statement struct {
	Sid    string
	Effect Effect
	// Principal and NotPrincipal appear in bucket policies only.
	Principal    *Principal
	NotPrincipal *Principal
	// Exactly one of Action/NotAction, and one of Resource/NotResource.
	Action, NotAction     []string
	Resource, NotResource []string
	Conditions            []Condition
}

// Effect is a statement's effect, or a decision's.
type Effect int

// Effects. ImplicitDeny is the decision when no statement applies.
const (
	ImplicitDeny Effect = iota
	Allow
	Deny
)

func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "ImplicitDeny"
}

// Principal is the Principal element of a bucket policy statement: "*", or
// AWS principals (user ARNs, "*") and canonical user IDs.
type Principal struct {
	Any       bool // "*" or {"AWS": "*"}
	AWS       []string
	Canonical []string
}

// Condition is one (operator, key, values) test of a Condition block.
type Condition struct {
	Operator string // as written, e.g. "ForAnyValue:StringLikeIfExists"
	Key      string
	Values   []string
	op       condOp
}

// ParseError says why a policy document is malformed. The S3 layer
// answers it with MalformedPolicy.
type ParseError struct{ Msg string }

func (e *ParseError) Error() string { return e.Msg }

func malformed(format string, args ...any) error {
	return &ParseError{Msg: fmt.Sprintf(format, args...)}
}

// Kinds of policy document: an identity policy has no Principal and must
// name resources; a bucket policy must name a principal.
const (
	IdentityPolicy = iota
	BucketPolicy
)

// Parse parses a policy document of the given kind.
func Parse(data []byte, kind int) (*Policy, error) {
	var raw struct {
		Version   string          `json:"Version"`
		ID        string          `json:"Id"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := strictUnmarshal(data, &raw); err != nil {
		return nil, malformed("Policies must be valid JSON: %v", err)
	}
	p := &Policy{Version: raw.Version, ID: raw.ID}
	switch raw.Version {
	case Version2012, Version2008:
	case "":
		p.Version = Version2008
	default:
		return nil, malformed("The policy must contain a valid version string")
	}
	if len(raw.Statement) == 0 || string(raw.Statement) == "null" {
		return nil, malformed("Missing required field Statement")
	}
	var stmts []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(raw.Statement), []byte("[")) {
		if err := json.Unmarshal(raw.Statement, &stmts); err != nil {
			return nil, malformed("Statement: %v", err)
		}
	} else {
		stmts = []json.RawMessage{raw.Statement}
	}
	if len(stmts) == 0 {
		return nil, malformed("Missing required field Statement")
	}
	sids := map[string]bool{}
	for i, rs := range stmts {
		s, err := parseStatement(rs, kind)
		if err != nil {
			return nil, malformed("Statement %d: %v", i+1, err)
		}
		if s.Sid != "" {
			if sids[s.Sid] {
				return nil, malformed("Statement IDs (SID) in a single policy must be unique")
			}
			sids[s.Sid] = true
		}
		p.Statements = append(p.Statements, *s)
	}
	return p, nil
}

// strictUnmarshal decodes one JSON value into v, refusing unknown fields
// and trailing data.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the document")
	}
	return nil
}

func parseStatement(data []byte, kind int) (*Statement, error) {
	var raw struct {
		Sid          string          `json:"Sid"`
		Effect       string          `json:"Effect"`
		Principal    json.RawMessage `json:"Principal"`
		NotPrincipal json.RawMessage `json:"NotPrincipal"`
		Action       json.RawMessage `json:"Action"`
		NotAction    json.RawMessage `json:"NotAction"`
		Resource     json.RawMessage `json:"Resource"`
		NotResource  json.RawMessage `json:"NotResource"`
		Condition    json.RawMessage `json:"Condition"`
	}
	if err := strictUnmarshal(data, &raw); err != nil {
		return nil, err
	}
	s := &Statement{Sid: raw.Sid}
	switch raw.Effect {
	case "Allow":
		s.Effect = Allow
	case "Deny":
		s.Effect = Deny
	default:
		return nil, fmt.Errorf("invalid effect %q (want Allow or Deny)", raw.Effect)
	}
	var err error
	if s.Principal, err = parsePrincipal(raw.Principal); err != nil {
		return nil, err
	}
	if s.NotPrincipal, err = parsePrincipal(raw.NotPrincipal); err != nil {
		return nil, err
	}
	switch {
	case kind == IdentityPolicy && (s.Principal != nil || s.NotPrincipal != nil):
		return nil, fmt.Errorf("identity policies cannot have a Principal")
	case kind == BucketPolicy && (s.Principal == nil) == (s.NotPrincipal == nil):
		return nil, fmt.Errorf("a bucket policy statement needs exactly one of Principal and NotPrincipal")
	}
	if s.Action, err = stringList(raw.Action, "Action"); err != nil {
		return nil, err
	}
	if s.NotAction, err = stringList(raw.NotAction, "NotAction"); err != nil {
		return nil, err
	}
	if (s.Action == nil) == (s.NotAction == nil) {
		return nil, fmt.Errorf("a statement needs exactly one of Action and NotAction")
	}
	for _, a := range append(append([]string{}, s.Action...), s.NotAction...) {
		if a != "*" && !validAction(a) {
			return nil, fmt.Errorf("invalid action %q", a)
		}
	}
	if s.Resource, err = stringList(raw.Resource, "Resource"); err != nil {
		return nil, err
	}
	if s.NotResource, err = stringList(raw.NotResource, "NotResource"); err != nil {
		return nil, err
	}
	if s.Resource != nil && s.NotResource != nil {
		return nil, fmt.Errorf("a statement cannot have both Resource and NotResource")
	}
	if s.Resource == nil && s.NotResource == nil {
		return nil, fmt.Errorf("a statement needs Resource or NotResource")
	}
	for _, r := range append(append([]string{}, s.Resource...), s.NotResource...) {
		if r != "*" && !strings.HasPrefix(r, "arn:") {
			return nil, fmt.Errorf("invalid resource %q", r)
		}
	}
	if s.Conditions, err = parseConditions(raw.Condition); err != nil {
		return nil, err
	}
	return s, nil
}

// validAction reports whether a looks like "service:Action" (the action
// part may hold wildcards).
func validAction(a string) bool {
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" {
		return false
	}
	for _, c := range svc {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '*' || c == '?' || c == '-') {
			return false
		}
	}
	return true
}

// stringList decodes a string or an array of strings. A missing element is
// nil; a present but empty array is an error.
func stringList(data json.RawMessage, field string) ([]string, error) {
	if len(data) == 0 || string(data) == "null" {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		if one == "" {
			return nil, fmt.Errorf("%s: empty value", field)
		}
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return nil, fmt.Errorf("%s must be a string or a list of strings", field)
	}
	if len(many) == 0 {
		return nil, fmt.Errorf("%s: empty list", field)
	}
	for _, v := range many {
		if v == "" {
			return nil, fmt.Errorf("%s: empty value", field)
		}
	}
	return many, nil
}

func parsePrincipal(data json.RawMessage) (*Principal, error) {
	if len(data) == 0 || string(data) == "null" {
		return nil, nil
	}
	var star string
	if err := json.Unmarshal(data, &star); err == nil {
		if star != "*" {
			return nil, fmt.Errorf("invalid principal %q", star)
		}
		return &Principal{Any: true}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("invalid principal")
	}
	p := &Principal{}
	for k, v := range m {
		vals, err := stringList(v, "Principal."+k)
		if err != nil {
			return nil, err
		}
		if vals == nil {
			return nil, fmt.Errorf("Principal.%s: no value", k)
		}
		switch k {
		case "AWS":
			for _, a := range vals {
				if a == "*" {
					p.Any = true
				} else if !strings.HasPrefix(a, "arn:aws:iam::") && !isAccountID(a) {
					return nil, fmt.Errorf("invalid principal %q", a)
				}
			}
			p.AWS = vals
		case "CanonicalUser":
			p.Canonical = vals
		default:
			return nil, fmt.Errorf("unsupported principal type %q", k)
		}
	}
	if len(p.AWS) == 0 && len(p.Canonical) == 0 {
		return nil, fmt.Errorf("empty principal")
	}
	return p, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

func parseConditions(data json.RawMessage) ([]Condition, error) {
	if len(data) == 0 || string(data) == "null" {
		return nil, nil
	}
	var block map[string]map[string]json.RawMessage
	if err := json.Unmarshal(data, &block); err != nil {
		return nil, fmt.Errorf("Condition must map operators to {key: values}")
	}
	var out []Condition
	for opName, keys := range block {
		op, err := parseCondOp(opName)
		if err != nil {
			return nil, err
		}
		for key, raw := range keys {
			vals, err := conditionValues(raw)
			if err != nil {
				return nil, fmt.Errorf("Condition %s %s: %v", opName, key, err)
			}
			if err := op.check(vals); err != nil {
				return nil, fmt.Errorf("Condition %s %s: %v", opName, key, err)
			}
			if key == "" {
				return nil, fmt.Errorf("Condition %s: empty key", opName)
			}
			out = append(out, Condition{Operator: opName, Key: key, Values: vals, op: op})
		}
	}
	return out, nil
}

// conditionValues decodes a condition's value: a string, number or bool,
// or a list of them, as strings.
func conditionValues(raw json.RawMessage) ([]string, error) {
	var list []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, fmt.Errorf("empty list of values")
		}
	} else {
		list = []json.RawMessage{raw}
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			return nil, err
		}
		switch x := x.(type) {
		case string:
			out = append(out, x)
		case bool:
			out = append(out, strconv.FormatBool(x))
		case float64:
			out = append(out, strings.TrimSpace(string(v)))
		default:
			return nil, fmt.Errorf("values must be strings, numbers or booleans")
		}
	}
	return out, nil
}
