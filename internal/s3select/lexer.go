package s3select

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokenKind int

const (
	tEOF    tokenKind = iota
	tIdent            // unquoted identifier or keyword
	tQIdent           // "double quoted" identifier
	tString           // 'string literal'
	tNumber
	tOp // punctuation and operators
)

type token struct {
	kind tokenKind
	text string // for tIdent the original spelling; for strings the unescaped value
	pos  int
}

// is reports whether t is the keyword or operator s (keywords are
// case-insensitive).
func (t token) is(s string) bool {
	switch t.kind {
	case tIdent:
		return strings.EqualFold(t.text, s)
	case tOp:
		return t.text == s
	}
	return false
}

// lex splits a SQL expression into tokens.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-': // comment to end of line
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(src) {
				if src[j] == c {
					if j+1 < len(src) && src[j+1] == c { // doubled quote escapes itself
						b.WriteByte(c)
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				b.WriteByte(src[j])
				j++
			}
			if !closed {
				return nil, ErrLexerInvalidLiteral.WithMessage("Unterminated quoted text at position %d.", i)
			}
			kind := tString
			if c == '"' {
				kind = tQIdent
			}
			toks = append(toks, token{kind: kind, text: b.String(), pos: i})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			if j < len(src) && src[j] == '.' {
				j++
				for j < len(src) && src[j] >= '0' && src[j] <= '9' {
					j++
				}
			}
			if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
				k := j + 1
				if k < len(src) && (src[k] == '+' || src[k] == '-') {
					k++
				}
				if k < len(src) && src[k] >= '0' && src[k] <= '9' {
					for k < len(src) && src[k] >= '0' && src[k] <= '9' {
						k++
					}
					j = k
				}
			}
			toks = append(toks, token{kind: tNumber, text: src[i:j], pos: i})
			i = j
		case c == '_' || c < utf8.RuneSelf && unicode.IsLetter(rune(c)) || c >= utf8.RuneSelf:
			j := i
			for j < len(src) {
				r, n := utf8.DecodeRuneInString(src[j:])
				if r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || r == '$' {
					j += n
					continue
				}
				break
			}
			if j == i {
				return nil, ErrLexerInvalidChar.WithMessage("Invalid character at position %d.", i)
			}
			toks = append(toks, token{kind: tIdent, text: src[i:j], pos: i})
			i = j
		default:
			op := ""
			for _, o := range []string{"<=", ">=", "<>", "!=", "||"} {
				if strings.HasPrefix(src[i:], o) {
					op = o
					break
				}
			}
			if op == "" && strings.IndexByte("=<>+-*/%(),.[];", c) >= 0 {
				op = string(c)
			}
			if op == "" {
				return nil, ErrLexerInvalidChar.WithMessage("Invalid character %q at position %d.", c, i)
			}
			toks = append(toks, token{kind: tOp, text: op, pos: i})
			i += len(op)
		}
	}
	return append(toks, token{kind: tEOF, pos: len(src)}), nil
}
