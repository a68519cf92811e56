package s3select

import (
	pq "github.com/parquet-go/parquet-go"
)

// colStats is what a row group's statistics say about one column.
type colStats struct {
	min, max  any // converted like the column's values; nil when unknown
	hasMinMax bool
	allNull   bool // every value of the chunk is null
}

// statsFunc returns the statistics of the column at path, ok false when
// the path is not a flat leaf column or has no usable statistics.
type statsFunc func(path []pathElem) (colStats, bool)

// rowGroupStats makes the statsFunc of one row group.
func rowGroupStats(leaves []*pq.Column, chunks []pq.ColumnChunk) statsFunc {
	return func(path []pathElem) (colStats, bool) {
		i := findLeaf(leaves, path)
		if i < 0 {
			return colStats{}, false
		}
		fc, ok := chunks[i].(*pq.FileColumnChunk)
		if !ok {
			return colStats{}, false
		}
		conv, err := converter(leaves[i].Type())
		if err != nil {
			return colStats{}, false
		}
		var st colStats
		lo, hi, ok := fc.Bounds()
		if ok && !lo.IsNull() && !hi.IsNull() {
			st.min, st.max, st.hasMinMax = conv(lo), conv(hi), true
		}
		if !st.hasMinMax && fc.NumValues() > 0 && fc.NullCount() == fc.NumValues() {
			st.allNull = true
		}
		return st, st.hasMinMax || st.allNull
	}
}

// canMatch reports whether a row group whose column statistics are given
// by stats may hold a row for which e is true. It must never answer false
// wrongly, so anything it does not understand answers true.
func canMatch(e Expr, stats statsFunc) bool {
	switch e := e.(type) {
	case *binaryExpr:
		switch e.op {
		case "AND":
			return canMatch(e.l, stats) && canMatch(e.r, stats)
		case "OR":
			return canMatch(e.l, stats) || canMatch(e.r, stats)
		case "=", "!=", "<", "<=", ">", ">=":
			col, lit, op, ok := columnVsLiteral(e)
			if !ok {
				return true
			}
			st, ok := stats(col.path)
			if !ok {
				return true
			}
			return rangeMayMatch(st, op, lit)
		}
	case *unaryExpr:
		if e.op == "NOT" {
			if n, ok := negate(e.x); ok {
				return canMatch(n, stats)
			}
		}
	case *betweenExpr:
		if e.not {
			return canMatch(&binaryExpr{op: "OR",
				l: &binaryExpr{op: "<", l: e.x, r: e.lo},
				r: &binaryExpr{op: ">", l: e.x, r: e.hi}}, stats)
		}
		return canMatch(&binaryExpr{op: "AND",
			l: &binaryExpr{op: ">=", l: e.x, r: e.lo},
			r: &binaryExpr{op: "<=", l: e.x, r: e.hi}}, stats)
	case *inExpr:
		if e.not {
			return true
		}
		for _, it := range e.list {
			if canMatch(&binaryExpr{op: "=", l: e.x, r: it}, stats) {
				return true
			}
		}
		return false
	case *literal:
		if b, ok := e.v.(bool); ok {
			return b
		}
		return !isAbsent(e.v)
	}
	return true
}

// negate returns an expression true exactly when e is false (not when it
// is unknown), for the forms pushdown understands.
func negate(e Expr) (Expr, bool) {
	switch e := e.(type) {
	case *binaryExpr:
		switch e.op {
		case "AND", "OR":
			l, ok1 := negate(e.l)
			r, ok2 := negate(e.r)
			if !ok1 || !ok2 {
				return nil, false
			}
			op := "OR"
			if e.op == "OR" {
				op = "AND"
			}
			return &binaryExpr{op: op, l: l, r: r}, true
		case "=", "!=", "<", "<=", ">", ">=":
			inv := map[string]string{"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
			return &binaryExpr{op: inv[e.op], l: e.l, r: e.r}, true
		}
	case *unaryExpr:
		if e.op == "NOT" {
			return e.x, true
		}
	case *betweenExpr:
		return &betweenExpr{x: e.x, lo: e.lo, hi: e.hi, not: !e.not}, true
	case *inExpr:
		if !e.not {
			// NOT IN: true only when x differs from every element.
			var out Expr
			for _, it := range e.list {
				ne := &binaryExpr{op: "!=", l: e.x, r: it}
				if out == nil {
					out = ne
				} else {
					out = &binaryExpr{op: "AND", l: out, r: ne}
				}
			}
			return out, out != nil
		}
		return &inExpr{x: e.x, list: e.list}, true
	}
	return nil, false
}

// columnVsLiteral matches "column op literal" and "literal op column"
// (flipping op for the latter).
func columnVsLiteral(e *binaryExpr) (*columnRef, any, string, bool) {
	if c, ok := e.l.(*columnRef); ok {
		if l, ok := e.r.(*literal); ok {
			return c, l.v, e.op, true
		}
	}
	if c, ok := e.r.(*columnRef); ok {
		if l, ok := e.l.(*literal); ok {
			flip := map[string]string{"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
			return c, l.v, flip[e.op], true
		}
	}
	return nil, nil, "", false
}

// rangeMayMatch reports whether some value in [min, max] may satisfy
// "value op lit".
func rangeMayMatch(st colStats, op string, lit any) bool {
	if isAbsent(lit) {
		return false // comparisons with NULL are never true
	}
	if st.allNull {
		return false
	}
	if _, ok := st.min.(string); ok {
		// Strings compared with numbers are parsed as numbers, whose order
		// is not the order of the strings' statistics.
		if _, ok := lit.(string); !ok {
			return true
		}
	}
	cmin, ok1 := compare(st.min, lit)
	cmax, ok2 := compare(st.max, lit)
	if !ok1 || !ok2 {
		return true
	}
	switch op {
	case "=":
		return cmin <= 0 && cmax >= 0
	case "!=":
		return !(cmin == 0 && cmax == 0)
	case "<":
		return cmin < 0
	case "<=":
		return cmin <= 0
	case ">":
		return cmax > 0
	case ">=":
		return cmax >= 0
	}
	return true
}
