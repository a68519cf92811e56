package s3select

// Query is a parsed S3 Select SQL statement.
type Query struct {
	// Star is true for SELECT *.
	Star  bool
	Items []SelectItem
	// FromPath is the path after S3Object (S3Object[*].a.b), if any.
	FromPath []pathElem
	Alias    string
	Where    Expr
	Limit    int64 // -1 when there is no LIMIT

	// aggs are the aggregate calls of the SELECT list, in order.
	aggs []*callExpr
	// positional lists the _N column references (CSV only).
	positional []string
	// columns are the top-level column names the query references
	// (lower-cased when unquoted); allColumns is set when the whole record
	// is needed (SELECT *, or a reference to the record itself).
	columns    map[string]bool
	allColumns bool
}

// Aggregate reports whether the query computes aggregates (one result record).
func (q *Query) Aggregate() bool { return len(q.aggs) > 0 }

// SelectItem is one expression of the SELECT list.
type SelectItem struct {
	Expr  Expr
	Alias string
}

// Expr is an SQL expression.
type Expr interface{ isExpr() }

type pathKind int

const (
	pathName pathKind = iota
	pathIndex
	pathWildcard
)

type pathElem struct {
	kind   pathKind
	name   string
	quoted bool
	index  int
}

type (
	literal   struct{ v any }
	columnRef struct{ path []pathElem } // empty path: the whole record
	unaryExpr struct {
		op string // "-" or "NOT"
		x  Expr
	}
	binaryExpr struct {
		op   string // AND OR = != < <= > >= + - * / % ||
		l, r Expr
	}
	betweenExpr struct {
		x, lo, hi Expr
		not       bool
	}
	inExpr struct {
		x    Expr
		list []Expr
		not  bool
	}
	likeExpr struct {
		x, pattern, escape Expr // escape may be nil
		not                bool
		m                  *likeMatcher // compiled when pattern and escape are literals
	}
	isExpr struct {
		x    Expr
		what string // NULL, MISSING, TRUE, FALSE
		not  bool
	}
	callExpr struct {
		name string // upper case
		args []Expr
		star bool // COUNT(*)
		agg  int  // index into Query.aggs, -1 for scalar functions
	}
	castExpr struct {
		x   Expr
		typ string // INT, FLOAT, DECIMAL, STRING, BOOL, TIMESTAMP
	}
	caseExpr struct {
		operand Expr // CASE x WHEN ...; nil for searched CASE
		whens   []whenClause
		els     Expr
	}
	whenClause struct{ cond, then Expr }
)

func (*literal) isExpr()     {}
func (*columnRef) isExpr()   {}
func (*unaryExpr) isExpr()   {}
func (*binaryExpr) isExpr()  {}
func (*betweenExpr) isExpr() {}
func (*inExpr) isExpr()      {}
func (*likeExpr) isExpr()    {}
func (*isExpr) isExpr()      {}
func (*callExpr) isExpr()    {}
func (*castExpr) isExpr()    {}
func (*caseExpr) isExpr()    {}

// children returns the direct subexpressions of e.
func children(e Expr) []Expr {
	switch e := e.(type) {
	case *unaryExpr:
		return []Expr{e.x}
	case *binaryExpr:
		return []Expr{e.l, e.r}
	case *betweenExpr:
		return []Expr{e.x, e.lo, e.hi}
	case *inExpr:
		return append([]Expr{e.x}, e.list...)
	case *likeExpr:
		return []Expr{e.x, e.pattern, e.escape}
	case *isExpr:
		return []Expr{e.x}
	case *callExpr:
		return e.args
	case *castExpr:
		return []Expr{e.x}
	case *caseExpr:
		out := []Expr{e.operand}
		for _, w := range e.whens {
			out = append(out, w.cond, w.then)
		}
		return append(out, e.els)
	}
	return nil
}

// walk calls fn on e and every expression below it.
func walk(e Expr, fn func(Expr)) {
	if e == nil {
		return
	}
	fn(e)
	for _, c := range children(e) {
		walk(c, fn)
	}
}
