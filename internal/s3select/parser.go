package s3select

import (
	"strconv"
	"strings"

	"github.com/anode/anode/internal/s3err"
)

// maxDepth bounds expression nesting so that hostile input cannot exhaust
// the stack.
const maxDepth = 100

// reserved are the keywords that cannot be used as unquoted column names
// or implicit aliases.
var reserved = map[string]bool{
	"SELECT": true, "FROM": true, "WHERE": true, "LIMIT": true, "AND": true, "OR": true,
	"NOT": true, "IN": true, "BETWEEN": true, "LIKE": true, "IS": true, "NULL": true,
	"MISSING": true, "TRUE": true, "FALSE": true, "AS": true, "CAST": true, "CASE": true,
	"WHEN": true, "THEN": true, "ELSE": true, "END": true, "ESCAPE": true,
}

var aggregates = map[string]bool{"COUNT": true, "SUM": true, "MIN": true, "MAX": true, "AVG": true}

// scalarArity gives the allowed argument counts of scalar functions.
var scalarArity = map[string][2]int{
	"LOWER": {1, 1}, "UPPER": {1, 1}, "CHAR_LENGTH": {1, 1}, "CHARACTER_LENGTH": {1, 1},
	"COALESCE": {1, 1 << 30}, "NULLIF": {2, 2}, "UTCNOW": {0, 0}, "TO_TIMESTAMP": {1, 1},
	"TO_STRING": {2, 2}, "DATE_ADD": {3, 3}, "DATE_DIFF": {3, 3}, "EXTRACT": {2, 2},
	"SUBSTRING": {2, 3}, "TRIM": {3, 3}, "ABS": {1, 1},
}

var castTypes = map[string]string{
	"INT": "INT", "INTEGER": "INT", "BIGINT": "INT", "SMALLINT": "INT",
	"FLOAT": "FLOAT", "REAL": "FLOAT", "DOUBLE": "FLOAT",
	"DECIMAL": "DECIMAL", "NUMERIC": "DECIMAL",
	"STRING": "STRING", "VARCHAR": "STRING", "CHAR": "STRING",
	"BOOL": "BOOL", "BOOLEAN": "BOOL", "TIMESTAMP": "TIMESTAMP",
}

var dateParts = map[string]bool{
	"YEAR": true, "MONTH": true, "DAY": true, "HOUR": true, "MINUTE": true, "SECOND": true,
	"TIMEZONE_HOUR": true, "TIMEZONE_MINUTE": true,
}

type parser struct {
	toks  []token
	i     int
	depth int
	q     *Query
}

// ParseSQL parses an S3 Select SQL expression. Errors are *s3err.Error
// values with the S3 Select error codes. It never panics.
func ParseSQL(sql string) (q *Query, err error) {
	defer func() {
		// A parser bug must not take the server down; report it as a
		// syntax error instead.
		if r := recover(); r != nil {
			q, err = nil, ErrUnsupportedSyntax.WithMessage("Unsupported SQL syntax.")
		}
	}()
	if len(sql) > maxExpressionSize {
		return nil, ErrExpressionTooLong
	}
	toks, err := lex(sql)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, q: &Query{Limit: -1, columns: map[string]bool{}}}
	if err := p.parseQuery(); err != nil {
		return nil, err
	}
	if err := p.q.check(); err != nil {
		return nil, err
	}
	return p.q, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) accept(s string) bool {
	if p.peek().is(s) {
		p.i++
		return true
	}
	return false
}

func (p *parser) unexpected() error {
	t := p.peek()
	if t.kind == tEOF {
		return ErrParseExpectedExpression.WithMessage("Unexpected end of SQL expression.")
	}
	return ErrParseUnexpectedToken.WithMessage("Unexpected token %q at position %d.", t.text, t.pos)
}

func (p *parser) expect(s string) error {
	if p.accept(s) {
		return nil
	}
	if p.peek().kind == tEOF || p.peek().kind == tIdent {
		return ErrParseExpectedKeyword.WithMessage("Expected %q at position %d.", s, p.peek().pos)
	}
	return ErrParseUnexpectedToken.WithMessage("Expected %q but found %q at position %d.", s, p.peek().text, p.peek().pos)
}

func (p *parser) parseQuery() error {
	if !p.accept("SELECT") {
		return ErrParseUnexpectedToken.WithMessage("The SQL expression must start with SELECT.")
	}
	if p.accept("*") {
		p.q.Star = true
		p.q.allColumns = true
		if p.peek().is(",") {
			return ErrParseAsteriskIsNotAlone
		}
	} else {
		if p.peek().is("FROM") {
			return ErrParseEmptySelect
		}
		for {
			e, err := p.parseExpr()
			if err != nil {
				return err
			}
			item := SelectItem{Expr: e}
			if p.accept("AS") {
				t := p.next()
				if t.kind != tIdent && t.kind != tQIdent {
					return ErrParseUnexpectedToken.WithMessage("Expected an alias after AS at position %d.", t.pos)
				}
				item.Alias = t.text
			} else if t := p.peek(); t.kind == tQIdent || t.kind == tIdent && !reserved[strings.ToUpper(t.text)] {
				item.Alias = p.next().text
			}
			p.q.Items = append(p.q.Items, item)
			if !p.accept(",") {
				break
			}
			if p.peek().is("*") {
				return ErrParseAsteriskIsNotAlone
			}
		}
	}
	if !p.accept("FROM") {
		if p.peek().kind == tEOF {
			return ErrParseSelectMissingFrom
		}
		return p.unexpected()
	}
	if err := p.parseFrom(); err != nil {
		return err
	}
	if p.accept("WHERE") {
		e, err := p.parseExpr()
		if err != nil {
			return err
		}
		p.q.Where = e
	}
	if p.accept("LIMIT") {
		neg := p.accept("-")
		t := p.next()
		if t.kind != tNumber {
			return ErrParseExpectedNumber.WithMessage("Expected a number after LIMIT at position %d.", t.pos)
		}
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return ErrParseExpectedNumber.WithMessage("Invalid LIMIT %q.", t.text)
		}
		if neg {
			return ErrEvaluatorNegativeLimit
		}
		p.q.Limit = n
	}
	p.accept(";")
	if p.peek().kind != tEOF {
		return p.unexpected()
	}
	// Column references were parsed before the alias was known: resolve
	// them now.
	var err error
	resolve := func(e Expr) {
		if c, ok := e.(*columnRef); ok && err == nil {
			err = p.resolveColumn(c)
		}
	}
	for _, it := range p.q.Items {
		walk(it.Expr, resolve)
	}
	walk(p.q.Where, resolve)
	return err
}

func (p *parser) parseFrom() error {
	t := p.next()
	if !t.is("S3Object") {
		return ErrParseUnexpectedToken.WithMessage("Expected S3Object after FROM, found %q.", t.text)
	}
	for {
		switch {
		case p.accept("["):
			if p.accept("*") {
				p.q.FromPath = append(p.q.FromPath, pathElem{kind: pathWildcard})
			} else if t := p.next(); t.kind == tNumber {
				n, err := strconv.Atoi(t.text)
				if err != nil {
					return ErrParseExpectedNumber
				}
				p.q.FromPath = append(p.q.FromPath, pathElem{kind: pathIndex, index: n})
			} else if t.kind == tString || t.kind == tQIdent {
				p.q.FromPath = append(p.q.FromPath, pathElem{kind: pathName, name: t.text, quoted: true})
			} else {
				return ErrParseUnexpectedToken.WithMessage("Unexpected %q in the FROM path.", t.text)
			}
			if err := p.expect("]"); err != nil {
				return err
			}
		case p.accept("."):
			t := p.next()
			if t.kind != tIdent && t.kind != tQIdent {
				return ErrParseUnexpectedToken.WithMessage("Unexpected %q in the FROM path.", t.text)
			}
			p.q.FromPath = append(p.q.FromPath, pathElem{kind: pathName, name: t.text, quoted: t.kind == tQIdent})
		default:
			goto alias
		}
	}
alias:
	if p.accept("AS") {
		t := p.next()
		if t.kind != tIdent && t.kind != tQIdent {
			return ErrInvalidTableAlias
		}
		p.q.Alias = t.text
	} else if t := p.peek(); t.kind == tQIdent || t.kind == tIdent && !reserved[strings.ToUpper(t.text)] {
		p.q.Alias = p.next().text
	}
	if len(p.q.FromPath) > 0 {
		// Records are values inside the document: their columns are not
		// top-level fields of the object.
		p.q.allColumns = true
	}
	return nil
}

// resolveColumn strips the table alias (or S3Object) from a column path
// and records which columns the query needs.
func (p *parser) resolveColumn(c *columnRef) error {
	if len(c.path) > 0 && c.path[0].kind == pathName {
		first := c.path[0].name
		if p.q.Alias != "" && strings.EqualFold(first, p.q.Alias) || strings.EqualFold(first, "S3Object") && !c.path[0].quoted {
			c.path = c.path[1:]
		}
	}
	if len(c.path) == 0 || c.path[0].kind != pathName {
		p.q.allColumns = true
		return nil
	}
	name := c.path[0].name
	if !c.path[0].quoted {
		if n, ok := positionalIndex(name); ok {
			if n < 1 {
				return ErrInvalidColumnIndex.WithMessage("Invalid column index %s: positions start at _1.", name)
			}
			p.q.positional = append(p.q.positional, name)
		}
		name = strings.ToLower(name)
	}
	p.q.columns[name] = true
	return nil
}

// positionalIndex parses a CSV positional column name like _3.
func positionalIndex(name string) (int, bool) {
	if len(name) < 2 || name[0] != '_' {
		return 0, false
	}
	n, err := strconv.Atoi(name[1:])
	if err != nil || name[1] == '+' || name[1] == '-' {
		return 0, false
	}
	return n, true
}

func (p *parser) parseExpr() (Expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, ErrUnsupportedSyntax.WithMessage("The SQL expression is nested too deeply.")
	}
	return p.parseOr()
}

func (p *parser) parseOr() (Expr, error) {
	l, err := p.parseAnd()
	for err == nil && p.accept("OR") {
		var r Expr
		if r, err = p.parseAnd(); err == nil {
			l = &binaryExpr{op: "OR", l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) parseAnd() (Expr, error) {
	l, err := p.parseNot()
	for err == nil && p.accept("AND") {
		var r Expr
		if r, err = p.parseNot(); err == nil {
			l = &binaryExpr{op: "AND", l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) parseNot() (Expr, error) {
	if p.accept("NOT") {
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, ErrUnsupportedSyntax.WithMessage("The SQL expression is nested too deeply.")
		}
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{op: "NOT", x: x}, nil
	}
	return p.parseComparison()
}

func (p *parser) parseComparison() (Expr, error) {
	l, err := p.parseConcat()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case t.kind == tOp && (t.text == "=" || t.text == "!=" || t.text == "<>" || t.text == "<" || t.text == "<=" || t.text == ">" || t.text == ">="):
		p.next()
		r, err := p.parseConcat()
		if err != nil {
			return nil, err
		}
		op := t.text
		if op == "<>" {
			op = "!="
		}
		return &binaryExpr{op: op, l: l, r: r}, nil
	case t.is("IS"):
		p.next()
		not := p.accept("NOT")
		w := p.next()
		what := strings.ToUpper(w.text)
		if w.kind != tIdent || (what != "NULL" && what != "MISSING" && what != "TRUE" && what != "FALSE") {
			return nil, ErrParseUnexpectedToken.WithMessage("Expected NULL or MISSING after IS at position %d.", w.pos)
		}
		return &isExpr{x: l, what: what, not: not}, nil
	}
	not := false
	if t.is("NOT") && (p.toks[p.i+1].is("IN") || p.toks[p.i+1].is("BETWEEN") || p.toks[p.i+1].is("LIKE")) {
		p.next()
		not = true
	}
	switch {
	case p.accept("IN"):
		if err := p.expect("("); err != nil {
			return nil, err
		}
		in := &inExpr{x: l, not: not}
		for {
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			in.list = append(in.list, e)
			if !p.accept(",") {
				break
			}
		}
		return in, p.expect(")")
	case p.accept("BETWEEN"):
		lo, err := p.parseConcat()
		if err != nil {
			return nil, err
		}
		if err := p.expect("AND"); err != nil {
			return nil, err
		}
		hi, err := p.parseConcat()
		if err != nil {
			return nil, err
		}
		return &betweenExpr{x: l, lo: lo, hi: hi, not: not}, nil
	case p.accept("LIKE"):
		pat, err := p.parseConcat()
		if err != nil {
			return nil, err
		}
		lk := &likeExpr{x: l, pattern: pat, not: not}
		if p.accept("ESCAPE") {
			if lk.escape, err = p.parseConcat(); err != nil {
				return nil, err
			}
		}
		if err := lk.compile(); err != nil {
			return nil, err
		}
		return lk, nil
	}
	return l, nil
}

func (p *parser) parseConcat() (Expr, error) {
	l, err := p.parseAdditive()
	for err == nil && p.accept("||") {
		var r Expr
		if r, err = p.parseAdditive(); err == nil {
			l = &binaryExpr{op: "||", l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) parseAdditive() (Expr, error) {
	l, err := p.parseMultiplicative()
	for err == nil && (p.peek().is("+") || p.peek().is("-")) {
		op := p.next().text
		var r Expr
		if r, err = p.parseMultiplicative(); err == nil {
			l = &binaryExpr{op: op, l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) parseMultiplicative() (Expr, error) {
	l, err := p.parseUnary()
	for err == nil && (p.peek().is("*") || p.peek().is("/") || p.peek().is("%")) {
		op := p.next().text
		var r Expr
		if r, err = p.parseUnary(); err == nil {
			l = &binaryExpr{op: op, l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) parseUnary() (Expr, error) {
	if p.peek().is("-") || p.peek().is("+") {
		op := p.next().text
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, ErrUnsupportedSyntax.WithMessage("The SQL expression is nested too deeply.")
		}
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		if lit, ok := x.(*literal); ok && op == "-" {
			switch v := lit.v.(type) {
			case int64:
				return &literal{v: -v}, nil
			case float64:
				return &literal{v: -v}, nil
			}
		}
		if op == "+" {
			return x, nil
		}
		return &unaryExpr{op: "-", x: x}, nil
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() (Expr, error) {
	t := p.next()
	switch t.kind {
	case tNumber:
		if !strings.ContainsAny(t.text, ".eE") {
			if n, err := strconv.ParseInt(t.text, 10, 64); err == nil {
				return &literal{v: n}, nil
			}
		}
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, ErrLexerInvalidLiteral.WithMessage("Invalid number %q.", t.text)
		}
		return &literal{v: f}, nil
	case tString:
		return &literal{v: t.text}, nil
	case tQIdent:
		return p.parsePath(pathElem{kind: pathName, name: t.text, quoted: true})
	case tOp:
		if t.text == "(" {
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			return e, p.expect(")")
		}
		p.i--
		return nil, p.unexpected()
	case tEOF: // next does not move past the end
		return nil, p.unexpected()
	}
	// tIdent
	kw := strings.ToUpper(t.text)
	switch kw {
	case "NULL":
		return &literal{v: nil}, nil
	case "MISSING":
		return &literal{v: missing}, nil
	case "TRUE":
		return &literal{v: true}, nil
	case "FALSE":
		return &literal{v: false}, nil
	case "CAST":
		return p.parseCast()
	case "CASE":
		return p.parseCase()
	case "TIMESTAMP":
		if p.peek().kind == tString {
			s := p.next().text
			ts, err := parseTimestamp(s)
			if err != nil {
				return nil, ErrLexerInvalidLiteral.WithMessage("Invalid timestamp %q.", s)
			}
			return &literal{v: ts}, nil
		}
	}
	if reserved[kw] {
		p.i--
		return nil, p.unexpected()
	}
	if p.peek().is("(") {
		return p.parseCall(kw, t)
	}
	return p.parsePath(pathElem{kind: pathName, name: t.text})
}

// parsePath parses the rest of a column path: .name, [n], ['name'], [*].
func (p *parser) parsePath(first pathElem) (Expr, error) {
	c := &columnRef{path: []pathElem{first}}
	for {
		switch {
		case p.peek().is(".") && (p.toks[p.i+1].kind == tIdent || p.toks[p.i+1].kind == tQIdent || p.toks[p.i+1].is("*")):
			p.next()
			t := p.next()
			if t.is("*") {
				return nil, ErrUnsupportedSyntax.WithMessage("Wildcards in column paths are not supported.")
			}
			c.path = append(c.path, pathElem{kind: pathName, name: t.text, quoted: t.kind == tQIdent})
		case p.accept("["):
			t := p.next()
			switch {
			case t.kind == tNumber:
				n, err := strconv.Atoi(t.text)
				if err != nil || n < 0 {
					return nil, ErrParseExpectedNumber.WithMessage("Invalid index %q.", t.text)
				}
				c.path = append(c.path, pathElem{kind: pathIndex, index: n})
			case t.kind == tString || t.kind == tQIdent:
				c.path = append(c.path, pathElem{kind: pathName, name: t.text, quoted: true})
			case t.is("*"):
				return nil, ErrUnsupportedSyntax.WithMessage("Wildcards in column paths are not supported.")
			default:
				return nil, ErrParseUnexpectedToken.WithMessage("Unexpected %q in a column path.", t.text)
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
		default:
			return c, nil
		}
	}
}

func (p *parser) parseCast() (Expr, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	x, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if err := p.expect("AS"); err != nil {
		return nil, err
	}
	t := p.next()
	typ, ok := castTypes[strings.ToUpper(t.text)]
	if t.kind != tIdent || !ok {
		return nil, ErrParseExpectedTypeName.WithMessage("Unknown type %q in CAST.", t.text)
	}
	if p.accept("(") { // DECIMAL(p, s), VARCHAR(n): precision is ignored
		for !p.accept(")") {
			if t := p.next(); t.kind == tEOF {
				return nil, ErrParseExpectedKeyword.WithMessage("Expected ) in CAST type.")
			}
		}
	}
	return &castExpr{x: x, typ: typ}, p.expect(")")
}

func (p *parser) parseCase() (Expr, error) {
	c := &caseExpr{}
	if !p.peek().is("WHEN") {
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		c.operand = x
	}
	for p.accept("WHEN") {
		cond, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := p.expect("THEN"); err != nil {
			return nil, err
		}
		then, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		c.whens = append(c.whens, whenClause{cond: cond, then: then})
	}
	if len(c.whens) == 0 {
		return nil, ErrParseExpectedKeyword.WithMessage("Expected WHEN in CASE.")
	}
	if p.accept("ELSE") {
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		c.els = e
	}
	return c, p.expect("END")
}

// parseCall parses a function call; the name has been read and the next
// token is "(".
func (p *parser) parseCall(name string, nameTok token) (Expr, error) {
	p.next() // (
	call := &callExpr{name: name, agg: -1}
	switch {
	case aggregates[name]:
		if p.accept("*") {
			if name != "COUNT" {
				return nil, ErrParseUnsupportedCallWithStar
			}
			call.star = true
			return call, p.expect(")")
		}
	case name == "EXTRACT":
		part, err := p.parseDatePart()
		if err != nil {
			return nil, err
		}
		if err := p.expect("FROM"); err != nil {
			return nil, err
		}
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		call.args = []Expr{part, x}
		return call, p.expect(")")
	case name == "DATE_ADD" || name == "DATE_DIFF":
		part, err := p.parseDatePart()
		if err != nil {
			return nil, err
		}
		call.args = append(call.args, part)
		if err := p.expect(","); err != nil {
			return nil, err
		}
	case name == "SUBSTRING":
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		call.args = append(call.args, x)
		if p.accept("FROM") {
			from, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			call.args = append(call.args, from)
			if p.accept("FOR") {
				n, err := p.parseExpr()
				if err != nil {
					return nil, err
				}
				call.args = append(call.args, n)
			}
			return call, p.expect(")")
		}
		if p.peek().is(")") {
			return nil, ErrEvaluatorInvalidArguments.WithMessage("SUBSTRING needs a start position.")
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	case name == "TRIM":
		return p.parseTrim(call)
	}
	if !p.accept(")") {
		for {
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			call.args = append(call.args, e)
			if !p.accept(",") {
				break
			}
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
	}
	if aggregates[name] {
		if len(call.args) != 1 {
			return nil, ErrParseNonUnaryAggregate
		}
		return call, nil
	}
	ar, ok := scalarArity[name]
	if !ok {
		return nil, ErrUnsupportedFunction.WithMessage("Unsupported function %s at position %d.", nameTok.text, nameTok.pos)
	}
	if len(call.args) < ar[0] || len(call.args) > ar[1] {
		return nil, ErrEvaluatorInvalidArguments.WithMessage("Incorrect number of arguments to %s.", name)
	}
	return call, nil
}

func (p *parser) parseDatePart() (Expr, error) {
	t := p.next()
	part := strings.ToUpper(t.text)
	if t.kind != tIdent || !dateParts[part] {
		return nil, ErrParseExpectedDatePart.WithMessage("Expected a date part, found %q.", t.text)
	}
	return &literal{v: part}, nil
}

// parseTrim parses TRIM([[LEADING|TRAILING|BOTH] [chars] FROM] x) into
// TRIM(mode, chars, x).
func (p *parser) parseTrim(call *callExpr) (Expr, error) {
	mode := "BOTH"
	if t := p.peek(); t.is("LEADING") || t.is("TRAILING") || t.is("BOTH") {
		mode = strings.ToUpper(p.next().text)
	}
	var chars Expr = &literal{v: nil}
	if !p.accept("FROM") {
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if !p.accept("FROM") {
			call.args = []Expr{&literal{v: mode}, chars, x}
			return call, p.expect(")")
		}
		chars = x
	}
	x, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	call.args = []Expr{&literal{v: mode}, chars, x}
	return call, p.expect(")")
}

// check validates the parsed query as a whole: where aggregates may
// appear, and which columns are referenced.
func (q *Query) check() error {
	var err error
	fail := func(e *s3err.Error) {
		if err == nil {
			err = e
		}
	}
	for _, it := range q.Items {
		walk(it.Expr, func(e Expr) {
			c, ok := e.(*callExpr)
			if !ok || !aggregates[c.name] {
				return
			}
			for _, a := range c.args {
				walk(a, func(e Expr) {
					if c2, ok := e.(*callExpr); ok && aggregates[c2.name] {
						fail(ErrUnsupportedSQLStructure.WithMessage("Aggregate functions cannot be nested."))
					}
				})
			}
			c.agg = len(q.aggs)
			q.aggs = append(q.aggs, c)
		})
	}
	if q.Where != nil {
		walk(q.Where, func(e Expr) {
			if c, ok := e.(*callExpr); ok && aggregates[c.name] {
				fail(ErrUnsupportedSQLOperation.WithMessage("Aggregate functions are not allowed in WHERE."))
			}
		})
	}
	if len(q.aggs) > 0 {
		// Every column reference of the SELECT list must be inside an
		// aggregate: there is no GROUP BY.
		for _, it := range q.Items {
			if bare(it.Expr) {
				fail(ErrUnsupportedSQLStructure.WithMessage("Columns outside aggregate functions are not allowed in an aggregate query."))
			}
		}
	}
	return err
}

// bare reports whether e references a column outside any aggregate call.
func bare(e Expr) bool {
	found := false
	var visit func(Expr)
	visit = func(e Expr) {
		if found || e == nil {
			return
		}
		switch x := e.(type) {
		case *columnRef:
			found = true
			return
		case *callExpr:
			if aggregates[x.name] {
				return
			}
		}
		for _, c := range children(e) {
			visit(c)
		}
	}
	visit(e)
	return found
}
