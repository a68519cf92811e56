package s3select

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// call evaluates the scalar function name on evaluated arguments.
func (ev *evaluator) call(name string, args []any) (any, error) {
	switch name {
	case "COALESCE":
		for _, a := range args {
			if !isAbsent(a) {
				return a, nil
			}
		}
		return nil, nil
	case "NULLIF":
		if c, ok := compare(args[0], args[1]); ok && c == 0 {
			return nil, nil
		}
		return args[0], nil
	case "UTCNOW":
		return ev.now, nil
	}
	for _, a := range args {
		if isAbsent(a) && name != "TRIM" {
			return nil, nil
		}
	}
	switch name {
	case "LOWER", "UPPER", "CHAR_LENGTH", "CHARACTER_LENGTH":
		s, ok := args[0].(string)
		if !ok {
			return nil, argTypeErr(name)
		}
		switch name {
		case "LOWER":
			return strings.ToLower(s), nil
		case "UPPER":
			return strings.ToUpper(s), nil
		}
		return int64(utf8.RuneCountInString(s)), nil
	case "ABS":
		n, ok := toNumber(args[0])
		if !ok {
			return nil, argTypeErr(name)
		}
		if i, ok := n.(int64); ok {
			if i == math.MinInt64 {
				return nil, ErrIntegerOverflow
			}
			if i < 0 {
				return -i, nil
			}
			return i, nil
		}
		return math.Abs(n.(float64)), nil
	case "SUBSTRING":
		return substring(args)
	case "TRIM":
		return trim(args)
	case "TO_TIMESTAMP":
		s, ok := args[0].(string)
		if !ok {
			if t, ok := args[0].(time.Time); ok {
				return t, nil
			}
			return nil, argTypeErr(name)
		}
		t, err := parseTimestamp(s)
		if err != nil {
			return nil, ErrValueParseFailure.WithMessage("Cannot parse %q as a timestamp.", s)
		}
		return t, nil
	case "TO_STRING":
		t, err := timeArg(name, args[0])
		if err != nil {
			return nil, err
		}
		f, ok := args[1].(string)
		if !ok {
			return nil, argTypeErr(name)
		}
		return formatTimestamp(t, f)
	case "EXTRACT":
		t, err := timeArg(name, args[1])
		if err != nil {
			return nil, err
		}
		switch args[0].(string) {
		case "YEAR":
			return int64(t.Year()), nil
		case "MONTH":
			return int64(t.Month()), nil
		case "DAY":
			return int64(t.Day()), nil
		case "HOUR":
			return int64(t.Hour()), nil
		case "MINUTE":
			return int64(t.Minute()), nil
		case "SECOND":
			return int64(t.Second()), nil
		case "TIMEZONE_HOUR":
			_, off := t.Zone()
			return int64(off / 3600), nil
		case "TIMEZONE_MINUTE":
			_, off := t.Zone()
			return int64(off % 3600 / 60), nil
		}
	case "DATE_ADD":
		n, err := cast(args[1], "INT")
		if err != nil {
			return nil, argTypeErr(name)
		}
		t, err := timeArg(name, args[2])
		if err != nil {
			return nil, err
		}
		k := int(n.(int64))
		switch args[0].(string) {
		case "YEAR":
			return t.AddDate(k, 0, 0), nil
		case "MONTH":
			return t.AddDate(0, k, 0), nil
		case "DAY":
			return t.AddDate(0, 0, k), nil
		case "HOUR":
			return t.Add(time.Duration(k) * time.Hour), nil
		case "MINUTE":
			return t.Add(time.Duration(k) * time.Minute), nil
		case "SECOND":
			return t.Add(time.Duration(k) * time.Second), nil
		}
		return nil, ErrParseExpectedDatePart
	case "DATE_DIFF":
		t1, err := timeArg(name, args[1])
		if err != nil {
			return nil, err
		}
		t2, err := timeArg(name, args[2])
		if err != nil {
			return nil, err
		}
		return dateDiff(args[0].(string), t1, t2)
	}
	return nil, ErrUnsupportedFunction.WithMessage("Unsupported function %s.", name)
}

func argTypeErr(name string) error {
	return ErrIncorrectSQLFunctionArgumentType.WithMessage("Incorrect argument type in call to %s.", name)
}

func timeArg(name string, v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		if t, err := parseTimestamp(x); err == nil {
			return t, nil
		}
	}
	return time.Time{}, argTypeErr(name)
}

// substring implements SUBSTRING(s, start[, length]) with SQL's 1-based
// positions: characters before position 1 count against the length.
func substring(args []any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return nil, argTypeErr("SUBSTRING")
	}
	st, err := cast(args[1], "INT")
	if err != nil {
		return nil, argTypeErr("SUBSTRING")
	}
	r := []rune(s)
	start := st.(int64)
	end := int64(len(r)) + 1
	if len(args) == 3 {
		n, err := cast(args[2], "INT")
		if err != nil || n.(int64) < 0 {
			return nil, argTypeErr("SUBSTRING")
		}
		if start <= math.MaxInt64-n.(int64) {
			end = min(end, start+n.(int64))
		}
	}
	start = max(start, 1)
	if start >= end {
		return "", nil
	}
	return string(r[start-1 : end-1]), nil
}

// trim implements TRIM(mode, chars, s); chars NULL means spaces.
func trim(args []any) (any, error) {
	if isAbsent(args[2]) {
		return nil, nil
	}
	s, ok := args[2].(string)
	if !ok {
		return nil, argTypeErr("TRIM")
	}
	cut := " "
	if !isAbsent(args[1]) {
		c, ok := args[1].(string)
		if !ok {
			return nil, argTypeErr("TRIM")
		}
		cut = c
	}
	switch args[0].(string) {
	case "LEADING":
		return strings.TrimLeft(s, cut), nil
	case "TRAILING":
		return strings.TrimRight(s, cut), nil
	}
	return strings.Trim(s, cut), nil
}

func dateDiff(part string, t1, t2 time.Time) (any, error) {
	switch part {
	case "YEAR", "MONTH":
		months := (t2.Year()-t1.Year())*12 + int(t2.Month()) - int(t1.Month())
		// A partial month does not count.
		if months > 0 && t2.AddDate(0, -months, 0).Before(t1) {
			months--
		} else if months < 0 && t2.AddDate(0, -months, 0).After(t1) {
			months++
		}
		if part == "YEAR" {
			return int64(months / 12), nil
		}
		return int64(months), nil
	case "DAY":
		return int64(t2.Sub(t1) / (24 * time.Hour)), nil
	case "HOUR":
		return int64(t2.Sub(t1) / time.Hour), nil
	case "MINUTE":
		return int64(t2.Sub(t1) / time.Minute), nil
	case "SECOND":
		return int64(t2.Sub(t1) / time.Second), nil
	}
	return nil, ErrParseExpectedDatePart
}

// formatTimestamp implements TO_STRING's format patterns (y, M, d, H, h, m,
// s, S, n, a, X, x and quoted text), as listed in the S3 Select reference.
func formatTimestamp(t time.Time, f string) (any, error) {
	var b strings.Builder
	for i := 0; i < len(f); {
		c := f[i]
		if c == '\'' {
			j := strings.IndexByte(f[i+1:], '\'')
			if j < 0 {
				return nil, ErrIncorrectSQLFunctionArgumentType.WithMessage("Unterminated quote in time format %q.", f)
			}
			b.WriteString(f[i+1 : i+1+j])
			i += j + 2
			continue
		}
		j := i
		for j < len(f) && f[j] == c {
			j++
		}
		n := j - i
		i = j
		switch c {
		case 'y':
			switch n {
			case 2:
				fmt.Fprintf(&b, "%02d", t.Year()%100)
			default:
				fmt.Fprintf(&b, "%0*d", n, t.Year())
			}
		case 'M':
			switch {
			case n >= 4:
				b.WriteString(t.Month().String())
			case n == 3:
				b.WriteString(t.Month().String()[:3])
			default:
				fmt.Fprintf(&b, "%0*d", n, int(t.Month()))
			}
		case 'd':
			fmt.Fprintf(&b, "%0*d", n, t.Day())
		case 'H':
			fmt.Fprintf(&b, "%0*d", n, t.Hour())
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			fmt.Fprintf(&b, "%0*d", n, h)
		case 'm':
			fmt.Fprintf(&b, "%0*d", n, t.Minute())
		case 's':
			fmt.Fprintf(&b, "%0*d", n, t.Second())
		case 'S':
			frac := fmt.Sprintf("%09d", t.Nanosecond())
			if n <= 9 {
				b.WriteString(frac[:n])
			} else {
				b.WriteString(frac + strings.Repeat("0", n-9))
			}
		case 'n':
			b.WriteString(strconv.Itoa(t.Nanosecond()))
		case 'a':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'X', 'x':
			_, off := t.Zone()
			if off == 0 && c == 'X' {
				b.WriteString("Z")
				break
			}
			sign := '+'
			if off < 0 {
				sign, off = '-', -off
			}
			switch n {
			case 1:
				fmt.Fprintf(&b, "%c%02d", sign, off/3600)
			case 2, 4:
				fmt.Fprintf(&b, "%c%02d%02d", sign, off/3600, off%3600/60)
			default:
				fmt.Fprintf(&b, "%c%02d:%02d", sign, off/3600, off%3600/60)
			}
		default:
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
				return nil, ErrIncorrectSQLFunctionArgumentType.WithMessage("Unsupported symbol %q in time format %q.", c, f)
			}
			b.WriteString(strings.Repeat(string(c), n))
		}
	}
	return b.String(), nil
}

// likeMatcher matches a LIKE pattern: % any run of characters, _ one
// character, esc escapes the next character.
type likeMatcher struct {
	pat []rune
	lit []bool // pat[i] is a literal (escaped or ordinary) character
}

func compileLike(pattern, escape string) (*likeMatcher, error) {
	var esc rune = -1
	if escape != "" {
		if utf8.RuneCountInString(escape) != 1 {
			return nil, ErrLikeInvalidInputs.WithMessage("The ESCAPE character must be one character.")
		}
		esc, _ = utf8.DecodeRuneInString(escape)
	}
	m := &likeMatcher{}
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == esc {
			if i+1 >= len(rs) {
				return nil, ErrLikeInvalidInputs.WithMessage("The LIKE pattern ends with the escape character.")
			}
			i++
			m.pat = append(m.pat, rs[i])
			m.lit = append(m.lit, true)
			continue
		}
		m.pat = append(m.pat, r)
		m.lit = append(m.lit, r != '%' && r != '_')
	}
	return m, nil
}

// match runs the classic greedy wildcard algorithm with one backtrack
// point, linear for patterns without pathological % runs.
func (m *likeMatcher) match(s string) bool {
	str := []rune(s)
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(str) {
		switch {
		case p < len(m.pat) && !m.lit[p] && m.pat[p] == '%':
			starP, starI = p, i
			p++
		case p < len(m.pat) && (!m.lit[p] && m.pat[p] == '_' || m.lit[p] && m.pat[p] == str[i]):
			p++
			i++
		case starP >= 0:
			starI++
			p, i = starP+1, starI
		default:
			return false
		}
	}
	for p < len(m.pat) && !m.lit[p] && m.pat[p] == '%' {
		p++
	}
	return p == len(m.pat)
}

// compile prepares the matcher when the pattern is a literal.
func (e *likeExpr) compile() error {
	pl, ok := e.pattern.(*literal)
	if !ok {
		return nil
	}
	ps, ok := pl.v.(string)
	if !ok {
		return ErrLikeInvalidInputs.WithMessage("The LIKE pattern must be a string.")
	}
	esc := ""
	if e.escape != nil {
		el, ok := e.escape.(*literal)
		if !ok {
			return nil
		}
		if esc, ok = el.v.(string); !ok {
			return ErrLikeInvalidInputs.WithMessage("The ESCAPE character must be a string.")
		}
	}
	m, err := compileLike(ps, esc)
	if err != nil {
		return err
	}
	e.m = m
	return nil
}

func (ev *evaluator) evalLike(e *likeExpr, rec any) (any, error) {
	x, err := ev.eval(e.x, rec)
	if err != nil {
		return nil, err
	}
	m := e.m
	if m == nil {
		pv, err := ev.eval(e.pattern, rec)
		if err != nil {
			return nil, err
		}
		esc := ""
		if e.escape != nil {
			ev2, err := ev.eval(e.escape, rec)
			if err != nil {
				return nil, err
			}
			if isAbsent(ev2) {
				return nil, nil
			}
			esc = toString(ev2)
		}
		if isAbsent(pv) {
			return nil, nil
		}
		ps, ok := pv.(string)
		if !ok {
			return nil, ErrLikeInvalidInputs
		}
		if m, err = compileLike(ps, esc); err != nil {
			return nil, err
		}
	}
	if isAbsent(x) {
		return nil, nil
	}
	s, ok := x.(string)
	if !ok {
		s = toString(x)
	}
	return m.match(s) != e.not, nil
}
