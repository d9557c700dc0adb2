package topic

import (
	"regexp"
	"slices"
	"strings"
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
)

// String returns "exact", "any", "range", "pattern" or "invalid".
func (k Kind) String() string {
	switch k {
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
	kind    Kind
	text    string         // exact: literal; any: name; pattern: source; range: canonical "(a|b)"
	options []string       // range
	re      *regexp.Regexp // pattern
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
	return Part{kind: KindRange, text: canon, options: slices.Clone(options)}, nil
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
	re, err := regexp.Compile(expr)
	if err != nil {
		return Part{}, &Error{Input: "/" + expr + "/", Offset: 1, Err: ErrBadPattern, Detail: err.Error()}
	}
	return Part{kind: KindPattern, text: expr, re: re}, nil
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
func (p Part) Options() []string { return slices.Clone(p.options) }

// Pattern returns the source of a pattern part ("" for other kinds).
func (p Part) Pattern() string {
	if p.kind != KindPattern {
		return ""
	}
	return p.text
}

// Regexp returns the compiled regular expression of a pattern part (nil for
// other kinds).
func (p Part) Regexp() *regexp.Regexp { return p.re }

// IsExact reports whether p is an exact part.
func (p Part) IsExact() bool { return p.kind == KindExact }

// String returns the canonical text of the part: the literal, {name},
// (a|b) or /expr/.
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
// compares text, any accepts everything, a range accepts one of its
// options, a pattern accepts a literal in which its regexp finds a match.
func (p Part) Accepts(literal string) bool {
	switch p.kind {
	case KindExact:
		return p.text == literal
	case KindAny:
		return true
	case KindRange:
		for _, o := range p.options {
			if o == literal {
				return true
			}
		}
		return false
	case KindPattern:
		return p.re.MatchString(literal)
	}
	return false
}

// accepts is the matching rule between two parts at one position: one side
// must be exact and the other must accept its literal.
func accepts(a, b *Part) bool {
	if a.kind == KindExact {
		if b.kind == KindExact {
			return a.text == b.text
		}
		return b.Accepts(a.text)
	}
	if b.kind == KindExact {
		return a.Accepts(b.text)
	}
	return false
}

// checkLiteral checks that s is a valid exact part.
func checkLiteral(s string) *Error {
	if s == "" {
		return &Error{Input: s, Offset: 0, Err: ErrEmptyPart}
	}
	if s[0] == '/' || s[0] == '+' {
		return &Error{Input: s, Offset: 0, Err: ErrReserved, Detail: quote(s[:1]) + " at the start of a literal"}
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '.', '{', '}', '(', ')', '|':
			return &Error{Input: s, Offset: i, Err: ErrReserved, Detail: quote(string(c))}
		}
	}
	if err := checkText(s); err != nil {
		return err
	}
	return nil
}

// checkText refuses control characters and invalid UTF-8.
func checkText(s string) *Error {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return &Error{Input: s, Offset: i, Err: ErrReserved, Detail: "control character"}
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return &Error{Input: s, Offset: i, Err: ErrReserved, Detail: "invalid UTF-8"}
		}
		i += n
	}
	return nil
}

// checkName checks a wildcard name; off is its offset for the error.
func checkName(name string, off int) *Error {
	if name == "" {
		return &Error{Input: name, Offset: off, Err: ErrEmptyWildcard}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return &Error{Input: name, Offset: off + i, Err: ErrReserved, Detail: quote(string(c)) + " in a wildcard name (letters, digits, _ and - only)"}
		}
	}
	return nil
}
