package iam

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Condition operators, as in AWS's "IAM JSON policy elements: Condition
// operators". Every operator may end in IfExists (a missing key then
// satisfies it) and may be qualified by ForAnyValue: or ForAllValues: for
// multi-valued keys.
type condOp struct {
	base     string // e.g. "StringLike", the positive form
	negated  bool   // StringNotLike, NotIpAddress, ...
	ifExists bool
	set      string // "", "ForAnyValue", "ForAllValues"
}

// positive names each operator's positive form and whether it is negated.
var condOps = map[string]struct {
	base    string
	negated bool
}{
	"StringEquals": {"StringEquals", false}, "StringNotEquals": {"StringEquals", true},
	"StringEqualsIgnoreCase": {"StringEqualsIgnoreCase", false}, "StringNotEqualsIgnoreCase": {"StringEqualsIgnoreCase", true},
	"StringLike": {"StringLike", false}, "StringNotLike": {"StringLike", true},
	"NumericEquals": {"NumericEquals", false}, "NumericNotEquals": {"NumericEquals", true},
	"NumericLessThan": {"NumericLessThan", false}, "NumericLessThanEquals": {"NumericLessThanEquals", false},
	"NumericGreaterThan": {"NumericGreaterThan", false}, "NumericGreaterThanEquals": {"NumericGreaterThanEquals", false},
	"DateEquals": {"DateEquals", false}, "DateNotEquals": {"DateEquals", true},
	"DateLessThan": {"DateLessThan", false}, "DateLessThanEquals": {"DateLessThanEquals", false},
	"DateGreaterThan": {"DateGreaterThan", false}, "DateGreaterThanEquals": {"DateGreaterThanEquals", false},
	"Bool":      {"Bool", false},
	"IpAddress": {"IpAddress", false}, "NotIpAddress": {"IpAddress", true},
	"ArnEquals": {"ArnLike", false}, "ArnLike": {"ArnLike", false},
	"ArnNotEquals": {"ArnLike", true}, "ArnNotLike": {"ArnLike", true},
	"BinaryEquals": {"BinaryEquals", false},
	"Null":         {"Null", false},
}

func parseCondOp(name string) (condOp, error) {
	var op condOp
	rest := name
	if s, r, ok := strings.Cut(rest, ":"); ok {
		if s != "ForAnyValue" && s != "ForAllValues" {
			return op, fmt.Errorf("unknown condition operator %q", name)
		}
		op.set, rest = s, r
	}
	if r, ok := strings.CutSuffix(rest, "IfExists"); ok && rest != "Null" {
		op.ifExists, rest = true, r
	}
	o, ok := condOps[rest]
	if !ok || (rest == "Null" && (op.ifExists || op.set != "")) {
		return op, fmt.Errorf("unknown condition operator %q", name)
	}
	op.base, op.negated = o.base, o.negated
	return op, nil
}

// check validates a condition's policy values for its operator, so that a
// malformed number, date, address or boolean is refused when the policy
// is stored rather than silently never matching.
func (op condOp) check(vals []string) error {
	for _, v := range vals {
		switch {
		case strings.HasPrefix(op.base, "Numeric"):
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				return fmt.Errorf("%q is not a number", v)
			}
		case strings.HasPrefix(op.base, "Date"):
			if _, ok := parseDate(v); !ok {
				return fmt.Errorf("%q is not a date", v)
			}
		case op.base == "Bool", op.base == "Null":
			if v != "true" && v != "false" {
				return fmt.Errorf("%q is not true or false", v)
			}
		case op.base == "IpAddress":
			if _, ok := parsePrefix(v); !ok {
				return fmt.Errorf("%q is not an IP address or CIDR block", v)
			}
		}
	}
	return nil
}

// eval evaluates the condition against the request's values for its key
// (present reports whether the key is in the request context at all).
// vars substitutes policy variables in the policy's values.
func (c *Condition) eval(reqVals []string, present bool, vars func(string) (string, bool)) bool {
	op := c.op
	if op.base == "Null" {
		wantAbsent := c.Values[0] == "true"
		return wantAbsent != present
	}
	if !present {
		switch {
		case op.ifExists:
			return true
		case op.set == "ForAllValues":
			return true
		case op.set == "ForAnyValue":
			return false
		}
		// A negated operator holds for a missing key; a positive one not.
		return op.negated
	}
	polVals := c.Values
	if vars != nil {
		polVals = make([]string, 0, len(c.Values))
		for _, v := range c.Values {
			if s, ok := substitute(v, vars); ok {
				polVals = append(polVals, s)
			}
		}
	}
	// matchOne: does request value r match any policy value (positive form)?
	matchOne := func(r string) bool {
		for _, p := range polVals {
			if op.match(r, p) {
				return true
			}
		}
		return false
	}
	switch op.set {
	case "ForAllValues":
		for _, r := range reqVals {
			if matchOne(r) == op.negated {
				return false
			}
		}
		return true
	default: // ForAnyValue, and single-valued keys
		any := false
		for _, r := range reqVals {
			if matchOne(r) {
				any = true
				break
			}
		}
		if op.set == "ForAnyValue" && op.negated {
			for _, r := range reqVals {
				if !matchOne(r) {
					return true
				}
			}
			return false
		}
		return any != op.negated
	}
}

// match compares one request value with one policy value under the
// operator's positive form.
func (op condOp) match(r, p string) bool {
	switch op.base {
	case "StringEquals", "BinaryEquals":
		return r == p
	case "StringEqualsIgnoreCase":
		return strings.EqualFold(r, p)
	case "StringLike", "ArnLike":
		return wildcardMatch(p, r, false)
	case "Bool":
		return strings.EqualFold(r, p)
	case "IpAddress":
		addr, err := netip.ParseAddr(r)
		if err != nil {
			return false
		}
		pre, ok := parsePrefix(p)
		return ok && pre.Contains(addr.Unmap())
	}
	if strings.HasPrefix(op.base, "Numeric") {
		a, err1 := strconv.ParseFloat(r, 64)
		b, err2 := strconv.ParseFloat(p, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return compare(op.base[len("Numeric"):], cmpFloat(a, b))
	}
	if strings.HasPrefix(op.base, "Date") {
		a, ok1 := parseDate(r)
		b, ok2 := parseDate(p)
		if !ok1 || !ok2 {
			return false
		}
		return compare(op.base[len("Date"):], a.Compare(b))
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compare(rel string, c int) bool {
	switch rel {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThan":
		return c > 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

// parseDate accepts the forms AWS accepts in Date conditions: ISO 8601
// (with or without time, fractional seconds or zone) and epoch seconds.
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

func parsePrefix(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), true
	}
	return netip.Prefix{}, false
}

// wildcardMatch matches s against pattern, where * matches any run of
// characters (also none) and ? exactly one. It runs in O(len(pattern) *
// len(s)) at worst (no backtracking blow-up).
func wildcardMatch(pattern, s string, foldCase bool) bool {
	if foldCase {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// substitute replaces policy variables ${key} in s using vars; ${*},
// ${?} and ${$} stand for the literal characters. It reports false when a
// variable has no value, in which case the element cannot match.
func substitute(s string, vars func(string) (string, bool)) (string, bool) {
	if !strings.Contains(s, "${") {
		return s, true
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:i])
		name := s[i+2 : i+j]
		switch name {
		case "*", "?", "$":
			// AWS then matches the character literally; here, in a
			// Resource or StringLike value, * and ? stay wildcards (a
			// broader match than AWS's, never a narrower one).
			b.WriteString(name)
		default:
			v, ok := vars(name)
			if !ok {
				return "", false
			}
			b.WriteString(v)
		}
		s = s[i+j+1:]
	}
}
