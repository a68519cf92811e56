package s3select

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// evaluator evaluates expressions against one record at a time.
type evaluator struct {
	now time.Time
	// aggVals holds the final aggregate values while the SELECT list of an
	// aggregate query is evaluated.
	aggVals []any
}

// lookup follows path from the record root.
func lookup(root any, path []pathElem) any {
	v := root
	for i, p := range path {
		switch p.kind {
		case pathName:
			o, ok := v.(*object)
			if !ok {
				return missing
			}
			f, ok := o.get(p.name, p.quoted)
			if !ok {
				if i == 0 && !p.quoted {
					// CSV positional column _N.
					if n, ok := positionalIndex(p.name); ok && n >= 1 && n <= len(o.vals) {
						v = o.vals[n-1]
						continue
					}
				}
				return missing
			}
			v = f
		case pathIndex:
			l, ok := v.([]any)
			if !ok || p.index >= len(l) {
				return missing
			}
			v = l[p.index]
		default:
			return missing
		}
	}
	return v
}

func (ev *evaluator) eval(e Expr, rec any) (any, error) {
	switch e := e.(type) {
	case *literal:
		return e.v, nil
	case *columnRef:
		return lookup(rec, e.path), nil
	case *unaryExpr:
		x, err := ev.eval(e.x, rec)
		if err != nil {
			return nil, err
		}
		if e.op == "NOT" {
			if isAbsent(x) {
				return nil, nil
			}
			b, ok := x.(bool)
			if !ok {
				return nil, ErrIncorrectSQLFunctionArgumentType.WithMessage("NOT needs a boolean.")
			}
			return !b, nil
		}
		return arith("-", int64(0), x)
	case *binaryExpr:
		return ev.evalBinary(e, rec)
	case *betweenExpr:
		x, err := ev.eval(e.x, rec)
		if err != nil {
			return nil, err
		}
		lo, err := ev.eval(e.lo, rec)
		if err != nil {
			return nil, err
		}
		hi, err := ev.eval(e.hi, rec)
		if err != nil {
			return nil, err
		}
		c1, ok1 := compare(x, lo)
		c2, ok2 := compare(x, hi)
		if !ok1 || !ok2 {
			return nil, nil
		}
		return (c1 >= 0 && c2 <= 0) != e.not, nil
	case *inExpr:
		x, err := ev.eval(e.x, rec)
		if err != nil {
			return nil, err
		}
		if isAbsent(x) {
			return nil, nil
		}
		unknown := false
		for _, it := range e.list {
			v, err := ev.eval(it, rec)
			if err != nil {
				return nil, err
			}
			c, ok := compare(x, v)
			if !ok {
				unknown = unknown || isAbsent(v)
				continue
			}
			if c == 0 {
				return !e.not, nil
			}
		}
		if unknown {
			return nil, nil
		}
		return e.not, nil
	case *likeExpr:
		return ev.evalLike(e, rec)
	case *isExpr:
		x, err := ev.eval(e.x, rec)
		if err != nil {
			return nil, err
		}
		var r bool
		switch e.what {
		case "NULL":
			r = isAbsent(x) // MISSING IS NULL is true in SQL-92 mode
		case "MISSING":
			r = x == missing
		case "TRUE":
			r = x == true
		case "FALSE":
			r = x == false
		}
		return r != e.not, nil
	case *callExpr:
		if e.agg >= 0 {
			if e.agg < len(ev.aggVals) {
				return ev.aggVals[e.agg], nil
			}
			return nil, nil
		}
		args := make([]any, len(e.args))
		for i, a := range e.args {
			v, err := ev.eval(a, rec)
			if err != nil {
				return nil, err
			}
			args[i] = v
		}
		return ev.call(e.name, args)
	case *castExpr:
		x, err := ev.eval(e.x, rec)
		if err != nil {
			return nil, err
		}
		return cast(x, e.typ)
	case *caseExpr:
		var operand any
		if e.operand != nil {
			v, err := ev.eval(e.operand, rec)
			if err != nil {
				return nil, err
			}
			operand = v
		}
		for _, w := range e.whens {
			c, err := ev.eval(w.cond, rec)
			if err != nil {
				return nil, err
			}
			match := false
			if e.operand != nil {
				r, ok := compare(operand, c)
				match = ok && r == 0
			} else {
				match = truthy(c)
			}
			if match {
				return ev.eval(w.then, rec)
			}
		}
		if e.els != nil {
			return ev.eval(e.els, rec)
		}
		return nil, nil
	}
	return nil, ErrUnsupportedSyntax
}

func (ev *evaluator) evalBinary(e *binaryExpr, rec any) (any, error) {
	l, err := ev.eval(e.l, rec)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "AND", "OR":
		// Three-valued logic; the right side is evaluated only when needed.
		lb, lok := l.(bool)
		if lok && (e.op == "AND" && !lb || e.op == "OR" && lb) {
			return lb, nil
		}
		r, err := ev.eval(e.r, rec)
		if err != nil {
			return nil, err
		}
		rb, rok := r.(bool)
		if !lok && !isAbsent(l) || !rok && !isAbsent(r) {
			return nil, ErrIncorrectSQLFunctionArgumentType.WithMessage("%s needs boolean operands.", e.op)
		}
		if rok && (e.op == "AND" && !rb || e.op == "OR" && rb) {
			return rb, nil
		}
		if lok && rok {
			return rb, nil
		}
		return nil, nil
	}
	r, err := ev.eval(e.r, rec)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "=", "!=", "<", "<=", ">", ">=":
		c, ok := compare(l, r)
		if !ok {
			if isAbsent(l) || isAbsent(r) {
				return nil, nil
			}
			// Values of types that do not mix are never equal.
			switch e.op {
			case "=":
				return false, nil
			case "!=":
				return true, nil
			}
			return nil, nil
		}
		switch e.op {
		case "=":
			return c == 0, nil
		case "!=":
			return c != 0, nil
		case "<":
			return c < 0, nil
		case "<=":
			return c <= 0, nil
		case ">":
			return c > 0, nil
		}
		return c >= 0, nil
	case "||":
		if isAbsent(l) || isAbsent(r) {
			return nil, nil
		}
		return toString(l) + toString(r), nil
	}
	return arith(e.op, l, r)
}

// arith applies + - * / % to numbers (or strings holding numbers).
func arith(op string, l, r any) (any, error) {
	if isAbsent(l) || isAbsent(r) {
		return nil, nil
	}
	a, ok1 := toNumber(l)
	b, ok2 := toNumber(r)
	if !ok1 || !ok2 {
		return nil, ErrIncorrectSQLFunctionArgumentType.WithMessage("Operator %s needs numeric operands.", op)
	}
	x, xi := a.(int64)
	y, yi := b.(int64)
	if xi && yi {
		switch op {
		case "+":
			s := x + y
			if (s > x) != (y > 0) {
				return nil, ErrIntegerOverflow
			}
			return s, nil
		case "-":
			s := x - y
			if (s < x) != (y > 0) {
				return nil, ErrIntegerOverflow
			}
			return s, nil
		case "*":
			if x != 0 && y != 0 {
				p := x * y
				if p/y != x || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
					return nil, ErrIntegerOverflow
				}
				return p, nil
			}
			return int64(0), nil
		case "/":
			if y == 0 {
				return nil, ErrDivisionByZero
			}
			if x == math.MinInt64 && y == -1 {
				return nil, ErrIntegerOverflow
			}
			return x / y, nil
		case "%":
			if y == 0 {
				return nil, ErrDivisionByZero
			}
			if y == -1 {
				return int64(0), nil
			}
			return x % y, nil
		}
	}
	f, _ := toFloat(a)
	g, _ := toFloat(b)
	switch op {
	case "+":
		return f + g, nil
	case "-":
		return f - g, nil
	case "*":
		return f * g, nil
	case "/":
		if g == 0 {
			return nil, ErrDivisionByZero
		}
		return f / g, nil
	case "%":
		if g == 0 {
			return nil, ErrDivisionByZero
		}
		return math.Mod(f, g), nil
	}
	return nil, ErrUnsupportedSQLOperation
}

// cast converts v to the SQL type typ; failures are CastFailed errors.
func cast(v any, typ string) (any, error) {
	if isAbsent(v) {
		return v, nil
	}
	fail := func() (any, error) {
		return nil, ErrCastFailed.WithMessage("Cannot cast %q to %s.", toString(v), typ)
	}
	switch typ {
	case "INT":
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			if math.IsNaN(x) || x >= math.MaxInt64 || x < math.MinInt64 {
				return fail()
			}
			return int64(x), nil
		case bool:
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		case string:
			s := strings.TrimSpace(x)
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n, nil
			}
			if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && f < math.MaxInt64 && f >= math.MinInt64 {
				return int64(f), nil
			}
		}
		return fail()
	case "FLOAT", "DECIMAL":
		switch x := v.(type) {
		case int64:
			return float64(x), nil
		case float64:
			return x, nil
		case bool:
			if x {
				return 1.0, nil
			}
			return 0.0, nil
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return f, nil
			}
		}
		return fail()
	case "STRING":
		switch v.(type) {
		case *object, []any:
			return fail()
		}
		return toString(v), nil
	case "BOOL":
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		case float64:
			return x != 0, nil
		case string:
			if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
				return b, nil
			}
		}
		return fail()
	case "TIMESTAMP":
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			if t, err := parseTimestamp(x); err == nil {
				return t, nil
			}
		}
		return fail()
	}
	return fail()
}
