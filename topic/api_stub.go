// API CONTRACT (stub). The implementer replaces this file with the real
// implementation spread over topic.go, part.go, parse.go, match.go,
// intern.go, errors.go. Names and signatures below are fixed: other packages
// (index, engine, event, cmd) compile against them.

// Package topic implements the topic language of eventengine: dot-separated
// topics whose parts are exact literals, named wildcards ({name} or +name),
// ranges ((a|b)) and regular expressions (/re/).
package topic

import (
	"errors"
	"iter"
	"regexp"
)

// Limits of the topic language.
const (
	// MaxLen is the longest topic text accepted, in bytes.
	MaxLen = 4096
	// MaxParts is the largest number of parts a topic may have.
	MaxParts = 256
)

// Sentinel errors; every error returned by this package wraps one of them
// (inside an *Error that names the input and the byte offset).
var (
	ErrEmpty          = errors.New("empty topic")
	ErrEmptyPart      = errors.New("empty part")
	ErrUnclosed       = errors.New("unclosed delimiter")
	ErrEmptyWildcard  = errors.New("wildcard without a name")
	ErrEmptyRange     = errors.New("empty range")
	ErrBadPattern     = errors.New("invalid regular expression")
	ErrReserved       = errors.New("reserved character")
	ErrTooLong        = errors.New("topic too long")
	ErrTooManyParts   = errors.New("too many parts")
	ErrMissingValue   = errors.New("no value for wildcard")
	ErrNotFormattable = errors.New("part cannot be formatted")
	ErrBadValue       = errors.New("invalid value")
	ErrZeroPart       = errors.New("zero Part")
)

// Error describes a malformed topic, part or value.
type Error struct {
	Input  string // the text that was refused
	Offset int    // byte offset in Input where the problem is (-1 if none)
	Err    error  // one of the sentinel errors above
	Detail string // optional extra detail, e.g. the regexp error
}

func (e *Error) Error() string { return "" }
func (e *Error) Unwrap() error { return e.Err }

// Kind is the kind of a topic part.
type Kind uint8

// Part kinds.
const (
	KindInvalid Kind = iota // the zero Part
	KindExact               // a literal
	KindAny                 // a named wildcard {name} / +name
	KindRange               // (a|b|c)
	KindPattern             // /regexp/
)

func (k Kind) String() string { return "" }

// Part is one part of a topic. The zero Part is invalid. Parts are immutable.
type Part struct{ _ [0]func() }

// ExactPart returns an exact part, or an error if lit is not a valid literal.
func ExactPart(lit string) (Part, error) { return Part{}, nil }

// AnyPart returns a named wildcard part.
func AnyPart(name string) (Part, error) { return Part{}, nil }

// RangePart returns a range part accepting any of options.
func RangePart(options ...string) (Part, error) { return Part{}, nil }

// PatternPart returns a pattern part; expr is compiled once, here.
func PatternPart(expr string) (Part, error) { return Part{}, nil }

func (p Part) Kind() Kind                  { return 0 }
func (p Part) Literal() string             { return "" }    // exact: the literal
func (p Part) Name() string                { return "" }    // any: the name
func (p Part) Options() []string           { return nil }   // range: a copy of the options
func (p Part) Pattern() string             { return "" }    // pattern: the source
func (p Part) Regexp() *regexp.Regexp      { return nil }   // pattern: the compiled regexp
func (p Part) String() string              { return "" }    // canonical text of the part
func (p Part) Accepts(literal string) bool { return false } // exact/any/range/pattern rule against one literal

// Topic is an immutable, interned topic. Topics parsed from the same text are
// == and can be used as map keys. The zero Topic is invalid (IsZero).
type Topic struct{ d *data }

type data struct{}

// Parse parses text. An already-seen topic is returned from the intern table
// without allocation.
func Parse(text string) (Topic, error) { return Topic{}, nil }

// MustParse is like Parse but panics on error; for constants in tests and
// examples.
func MustParse(text string) Topic { return Topic{} }

// Join builds an exact topic from literals.
func Join(literals ...string) (Topic, error) { return Topic{}, nil }

// FromParts builds a topic from parts.
func FromParts(parts ...Part) (Topic, error) { return Topic{}, nil }

// Lookup returns the interned topic with canonical text text, if one is alive.
func Lookup(text string) (Topic, bool) { return Topic{}, false }

// Interned iterates the topics currently alive in the intern table.
func Interned() iter.Seq[Topic] { return func(func(Topic) bool) {} }

func (t Topic) String() string                                 { return "" }
func (t Topic) IsZero() bool                                   { return t.d == nil }
func (t Topic) IsExact() bool                                  { return false }
func (t Topic) Len() int                                       { return 0 }
func (t Topic) Part(i int) Part                                { return Part{} }
func (t Topic) Parts() iter.Seq2[int, Part]                    { return func(func(int, Part) bool) {} }
func (t Topic) Hash() uint64                                   { return 0 }
func (t Topic) Matches(other Topic) bool                       { return false }
func (t Topic) Match(other Topic) MatchResult                  { return MatchResult{} }
func (t Topic) Format(values map[string]string) (Topic, error) { return Topic{}, nil }
func (t Topic) Append(p Part) (Topic, error)                   { return Topic{}, nil }
func (t Topic) MarshalText() ([]byte, error)                   { return nil, nil }
func (t *Topic) UnmarshalText(b []byte) error                  { return nil }

// MatchResult is the outcome of Match.
type MatchResult struct {
	Matched bool
	Nodes   []MatchNode
}

// MatchNode reports one position of a match.
type MatchNode struct {
	Matched bool
	A, B    Part
	Literal string
}

// Values returns the literals bound by named wildcards (empty, non-nil map
// when nothing matched or nothing was bound).
func (r MatchResult) Values() map[string]string { return map[string]string{} }
