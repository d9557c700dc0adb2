package topic

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is the kind of a topic part.
type Kind uint8

// Part kinds.
const (
	KindInvalid Kind = iota // the zero Part
	KindExact               // a literal: AAPL
	KindAny                 // a named wildcard: {name} or +name
	KindRange               // one of several literals: (a|b|c)
	KindPattern             // a regular expression: /expr/
	KindStar                // an anonymous wildcard for one part: *
	KindRest                // the rest: > as the last part, one or more parts
)

// String returns "exact", "any", "range", "pattern", "star", "rest" or
// "invalid".
func (k Kind) String() string {
	switch k {
	case KindStar:
		return "star"
	case KindRest:
		return "rest"
	case KindExact:
		return "exact"
	case KindAny:
		return "any"
	case KindRange:
		return "range"
	case KindPattern:
		return "pattern"
	}
	return "invalid"
}

// Part is one part of a topic. The zero Part is invalid. Parts are immutable
// and safe to share.
type Part struct {
	kind Kind
	text string // exact: literal; any: name; pattern: source; range: canonical "(a|b)"; star: "*"; rest: ">"
	x    *extra // range and pattern
}

// extra holds what a range or a pattern part needs beyond its text; exact
// and wildcard parts (the common ones) do without it, which keeps Part and
// the parts stored in a topic small.
type extra struct {
	options []string       // range
	re      *regexp.Regexp // pattern, compiled once
}

// ExactPart returns an exact part, or an error if lit is not a valid
// literal.
func ExactPart(lit string) (Part, error) {
	if err := checkLiteral(lit); err != nil {
		return Part{}, err
	}
	return Part{kind: KindExact, text: lit}, nil
}

// AnyPart returns a named wildcard part.
func AnyPart(name string) (Part, error) {
	if err := checkName(name, 0); err != nil {
		err.Input = name
		return Part{}, err
	}
	return Part{kind: KindAny, text: name}, nil
}

// StarPart returns the anonymous one-part wildcard, written *. It accepts
// any literal, as {name} does, and binds nothing.
func StarPart() Part { return Part{kind: KindStar, text: "*"} }

// RestPart returns the rest wildcard, written >: as the last part of a
// topic it accepts one or more remaining parts (A.> matches A.b and A.b.c,
// not A). Building a topic with it anywhere else is an error
// (ErrRestNotLast).
func RestPart() Part { return Part{kind: KindRest, text: ">"} }

// RangePart returns a range part accepting any of options.
func RangePart(options ...string) (Part, error) {
	if len(options) == 0 {
		return Part{}, &Error{Input: "()", Offset: 1, Err: ErrEmptyRange}
	}
	canon := "(" + strings.Join(options, "|") + ")"
	off := 1
	for i, o := range options {
		if err := checkLiteral(o); err != nil {
			err.Input, err.Offset = canon, off+max(err.Offset, 0)
			if o == "" {
				err.Err = ErrEmptyRange
				err.Detail = "empty option"
			}
			return Part{}, err
		}
		if slices.Contains(options[:i], o) {
			return Part{}, &Error{Input: canon, Offset: off, Err: ErrDuplicate, Detail: "option " + quote(o)}
		}
		off += len(o) + 1
	}
	// The options are slices of canon, so the part owns its text and does
	// not keep the caller's strings (perhaps slices of a larger input).
	opts := make([]string, len(options))
	off = 1
	for i, o := range options {
		opts[i] = canon[off : off+len(o)]
		off += len(o) + 1
	}
	return Part{kind: KindRange, text: canon, x: &extra{options: opts}}, nil
}

// PatternPart returns a pattern part; expr is compiled once, here.
func PatternPart(expr string) (Part, error) {
	if expr == "" {
		return Part{}, &Error{Input: "//", Offset: 1, Err: ErrBadPattern, Detail: "empty pattern"}
	}
	if err := checkText(expr); err != nil {
		err.Input, err.Offset = "/"+expr+"/", err.Offset+1
		return Part{}, err
	}
	// The pattern ends at the first '/' followed by '.' or the end, so "/."
	// inside it would end it early and break the round trip.
	if i := strings.Index(expr, "/."); i >= 0 {
		return Part{}, &Error{Input: "/" + expr + "/", Offset: i + 1, Err: ErrReserved, Detail: `"/." inside a pattern`}
	}
	expr = strings.Clone(expr) // the Regexp keeps it: do not keep the caller's larger string
	re, err := regexp.Compile(expr)
	if err != nil {
		return Part{}, &Error{Input: "/" + expr + "/", Offset: 1, Err: ErrBadPattern, Detail: err.Error()}
	}
	return Part{kind: KindPattern, text: expr, x: &extra{re: re}}, nil
}

// Kind returns the kind of the part.
func (p Part) Kind() Kind { return p.kind }

// Literal returns the literal of an exact part ("" for other kinds).
func (p Part) Literal() string {
	if p.kind != KindExact {
		return ""
	}
	return p.text
}

// Name returns the name of a named wildcard ("" for other kinds).
func (p Part) Name() string {
	if p.kind != KindAny {
		return ""
	}
	return p.text
}

// Options returns a copy of the options of a range (nil for other kinds).
func (p Part) Options() []string {
	if p.kind != KindRange {
		return nil
	}
	return slices.Clone(p.x.options)
}

// Pattern returns the source of a pattern part ("" for other kinds).
func (p Part) Pattern() string {
	if p.kind != KindPattern {
		return ""
	}
	return p.text
}

// Regexp returns the compiled regular expression of a pattern part (nil for
// other kinds).
func (p Part) Regexp() *regexp.Regexp {
	if p.kind != KindPattern {
		return nil
	}
	return p.x.re
}

// IsExact reports whether p is an exact part.
func (p Part) IsExact() bool { return p.kind == KindExact }

// String returns the canonical text of the part: the literal, {name},
// (a|b), /expr/, * or >.
func (p Part) String() string {
	switch p.kind {
	case KindAny:
		return "{" + p.text + "}"
	case KindPattern:
		return "/" + p.text + "/"
	}
	return p.text
}

// Accepts reports whether p accepts the literal of an exact part: exact
// compares text, any and star accept everything, a range accepts one of
// its options, a pattern accepts a literal in which its regexp finds a
// match. Rest accepts everything too (it accepts each of the parts it
// covers).
func (p Part) Accepts(literal string) bool {
	switch p.kind {
	case KindExact:
		return p.text == literal
	case KindAny, KindStar, KindRest:
		return true
	case KindRange, KindPattern:
		return p.x.accepts(p.kind, literal)
	}
	return false
}

// accepts reports whether a range or pattern part accepts literal.
func (x *extra) accepts(k Kind, literal string) bool {
	if k == KindPattern {
		return x.re.MatchString(literal)
	}
	for _, o := range x.options {
		if o == literal {
			return true
		}
	}
	return false
}

// byteClass classifies the bytes of a literal: 0 for the ordinary ASCII
// bytes, clsReserved for the delimiters, clsControl for control characters
// and clsHigh for the bytes of multi-byte UTF-8 sequences.
var byteClass = func() (c [256]uint8) {
	for i := range 0x20 {
		c[i] = clsControl
	}
	c[0x7f] = clsControl
	for _, r := range ".{}()|" {
		c[r] = clsReserved
	}
	for i := 0x80; i < 0x100; i++ {
		c[i] = clsHigh
	}
	return c
}()

const (
	clsReserved = 1 + iota
	clsControl
	clsHigh
)

// checkLiteral checks that s is a valid exact part, in one pass over its
// bytes.
func checkLiteral(s string) *Error {
	if s == "" {
		return &Error{Input: s, Offset: 0, Err: ErrEmptyPart}
	}
	if s[0] == '/' || s[0] == '+' {
		return &Error{Input: s, Offset: 0, Err: ErrReserved, Detail: quote(s[:1]) + " at the start of a literal"}
	}
	if len(s) == 1 && (s[0] == '*' || s[0] == '>') {
		return &Error{Input: s, Offset: 0, Err: ErrReserved, Detail: quote(s) + " alone is a wildcard, not a literal"}
	}
	for i := 0; i < len(s); {
		switch byteClass[s[i]] {
		case 0:
			i++
		case clsReserved:
			return &Error{Input: s, Offset: i, Err: ErrReserved, Detail: quote(s[i : i+1])}
		case clsControl:
			return &Error{Input: s, Offset: i, Err: ErrReserved, Detail: "control character"}
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return &Error{Input: s, Offset: i, Err: ErrReserved, Detail: "invalid UTF-8"}
			}
			i += n
		}
	}
	return nil
}

// checkText refuses control characters and invalid UTF-8.
func checkText(s string) *Error {
	for i := 0; i < len(s); {
		switch byteClass[s[i]] {
		case clsControl:
			return &Error{Input: s, Offset: i, Err: ErrReserved, Detail: "control character"}
		case clsHigh:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return &Error{Input: s, Offset: i, Err: ErrReserved, Detail: "invalid UTF-8"}
			}
			i += n
		default:
			i++
		}
	}
	return nil
}

// checkName checks a wildcard name: letters and digits (Unicode: the
// reference accepts +操作), '_' and '-'; off is its offset for the error,
// which quotes the whole character.
func checkName(name string, off int) *Error {
	if name == "" {
		return &Error{Input: name, Offset: off, Err: ErrEmptyWildcard}
	}
	for i := 0; i < len(name); {
		c := name[i]
		if c < utf8.RuneSelf {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return &Error{Input: name, Offset: off + i, Err: ErrReserved, Detail: quote(string(c)) + " in a wildcard name (letters, digits, _ and - only)"}
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(name[i:])
		if r == utf8.RuneError && n == 1 {
			return &Error{Input: name, Offset: off + i, Err: ErrReserved, Detail: "invalid UTF-8 in a wildcard name"}
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return &Error{Input: name, Offset: off + i, Err: ErrReserved, Detail: quote(name[i:i+n]) + " in a wildcard name (letters, digits, _ and - only)"}
		}
		i += n
	}
	return nil
}
