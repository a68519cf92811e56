package s3select

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// recordWriter appends one result record to a buffer.
type recordWriter interface {
	write(b []byte, rec *object) []byte
}

type jsonWriter struct{ delim string }

func (w jsonWriter) write(b []byte, rec *object) []byte {
	b = appendJSON(b, rec)
	return append(b, w.delim...)
}

type csvWriter struct {
	opts   CSVOutput
	always bool
}

func (w csvWriter) write(b []byte, rec *object) []byte {
	for i, v := range rec.vals {
		if i > 0 {
			b = append(b, w.opts.FieldDelimiter...)
		}
		b = w.appendField(b, toString(v))
	}
	return append(b, w.opts.RecordDelimiter...)
}

func (w csvWriter) appendField(b []byte, s string) []byte {
	q := w.opts.QuoteCharacter
	need := w.always || s != "" && (strings.Contains(s, w.opts.FieldDelimiter) ||
		strings.Contains(s, w.opts.RecordDelimiter) || strings.ContainsAny(s, "\r\n") ||
		q != "" && strings.Contains(s, q))
	if !need || q == "" {
		return append(b, s...)
	}
	b = append(b, q...)
	esc := w.opts.QuoteEscapeCharacter
	for _, r := range s {
		if string(r) == q || esc != q && string(r) == esc {
			b = append(b, esc...)
		}
		b = utf8.AppendRune(b, r)
	}
	return append(b, q...)
}

// appendJSON appends v as JSON. MISSING fields of objects are left out.
func appendJSON(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil, missingType:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, v)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return append(b, "null"...)
		}
		return append(b, formatFloat(v)...)
	case bool:
		return strconv.AppendBool(b, v)
	case time.Time:
		return appendJSONString(b, formatTime(v))
	case []any:
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, x)
		}
		return append(b, ']')
	case *object:
		b = append(b, '{')
		first := true
		for i, k := range v.keys {
			if i < len(v.vals) && v.vals[i] == missing {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendJSONString(b, k)
			b = append(b, ':')
			if i < len(v.vals) {
				b = appendJSON(b, v.vals[i])
			} else {
				b = append(b, "null"...)
			}
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}
