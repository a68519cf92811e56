package s3select

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Values are Go values: nil (NULL), missing (MISSING), int64, float64,
// string, bool, time.Time, []any (lists) and *object (structs).

type missingType struct{}

// missing is the MISSING value: a path that does not exist in the record.
var missing = missingType{}

func isAbsent(v any) bool { return v == nil || v == missing }

// object is a record or a nested structure with ordered fields.
type object struct {
	keys []string
	vals []any
	// index maps names to positions; shared by all records with the same
	// keys (CSV rows under one header, Parquet rows) and nil for JSON.
	index *keyIndex
}

type keyIndex struct {
	exact  map[string]int
	folded map[string]int
}

func newKeyIndex(keys []string) *keyIndex {
	ix := &keyIndex{exact: make(map[string]int, len(keys)), folded: make(map[string]int, len(keys))}
	for i := len(keys) - 1; i >= 0; i-- { // first occurrence wins
		ix.exact[keys[i]] = i
		ix.folded[strings.ToLower(keys[i])] = i
	}
	return ix
}

// get returns the field called name: quoted names match exactly, unquoted
// ones ignoring case.
func (o *object) get(name string, quoted bool) (any, bool) {
	if o.index != nil {
		i, ok := o.index.exact[name]
		if !ok && !quoted {
			i, ok = o.index.folded[strings.ToLower(name)]
		}
		if ok && i < len(o.vals) {
			return o.vals[i], true
		}
		return nil, false
	}
	for i, k := range o.keys {
		if k == name {
			return o.vals[i], true
		}
	}
	if !quoted {
		for i, k := range o.keys {
			if strings.EqualFold(k, name) {
				return o.vals[i], true
			}
		}
	}
	return nil, false
}

// toFloat converts numbers, and strings that hold numbers, to float64.
func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil
	}
	return 0, false
}

// toNumber converts v to int64 or float64, parsing strings (CSV fields are
// strings until used as numbers).
func toNumber(v any) (any, bool) {
	switch v := v.(type) {
	case int64, float64:
		return v, true
	case string:
		s := strings.TrimSpace(v)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, true
		}
	}
	return nil, false
}

// compare orders a and b. ok is false when they cannot be compared (a NULL,
// or types that do not mix), which SQL treats as unknown.
func compare(a, b any) (c int, ok bool) {
	if isAbsent(a) || isAbsent(b) {
		return 0, false
	}
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmpInt(x, y), true
		case float64:
			return cmpFloat(float64(x), y), true
		case string:
			if n, ok := toNumber(y); ok {
				return compare(x, n)
			}
			return 0, false
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return cmpFloat(x, float64(y)), true
		case float64:
			return cmpFloat(x, y), true
		case string:
			if f, ok := toFloat(y); ok {
				return cmpFloat(x, f), true
			}
			return 0, false
		}
	case string:
		switch y := b.(type) {
		case string:
			return strings.Compare(x, y), true
		case int64, float64:
			c, ok := compare(b, a)
			return -c, ok
		case bool:
			c, ok := compare(b, a)
			return -c, ok
		case time.Time:
			c, ok := compare(b, a)
			return -c, ok
		}
	case bool:
		switch y := b.(type) {
		case bool:
			return cmpBool(x, y), true
		case string:
			if yb, err := strconv.ParseBool(strings.TrimSpace(y)); err == nil {
				return cmpBool(x, yb), true
			}
		}
	case time.Time:
		switch y := b.(type) {
		case time.Time:
			return x.Compare(y), true
		case string:
			if t, err := parseTimestamp(y); err == nil {
				return x.Compare(t), true
			}
		}
	}
	return 0, false
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	case math.IsNaN(a) && !math.IsNaN(b):
		return 1
	case !math.IsNaN(a) && math.IsNaN(b):
		return -1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// timestampLayouts are the ISO 8601 forms TO_TIMESTAMP and CAST accept.
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T",
	"2006-01-02",
	"2006-01T",
	"2006-01",
	"2006T",
	"2006",
}

func parseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	var err error
	for _, l := range timestampLayouts {
		var t time.Time
		if t, err = time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// formatFloat writes floats the way people read them: no exponent for
// ordinary magnitudes.
func formatFloat(f float64) string {
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) || math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func formatTime(t time.Time) string {
	return t.Format(time.RFC3339Nano)
}

// toString renders a scalar for CSV output and CAST AS STRING.
func toString(v any) string {
	switch v := v.(type) {
	case nil, missingType:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return formatFloat(v)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return formatTime(v)
	case []byte:
		return string(v)
	default:
		var b []byte
		b = appendJSON(b, v)
		return string(b)
	}
}

// truthy reports whether a WHERE condition holds: only TRUE does.
func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		b, err := strconv.ParseBool(v)
		return err == nil && b
	}
	return false
}
