package topic

import (
	"errors"
	"strconv"
)

// Sentinel errors; every error this package returns is an *Error wrapping
// one of them, so errors.Is works.
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
	ErrDuplicate      = errors.New("duplicate")
	ErrTrailing       = errors.New("text after closing delimiter")
	ErrRestNotLast    = errors.New(`">" not the last part`)
)

// Error describes a malformed topic, part or value: which input, what is
// wrong and where.
type Error struct {
	Input  string // the text that was refused
	Offset int    // byte offset in Input where the problem is (-1 if none)
	Err    error  // one of the sentinel errors
	Detail string // optional detail, such as the regexp compiler's message
}

// Error returns a message such as `topic "a..b": empty part at offset 2`.
func (e *Error) Error() string {
	s := "topic " + quote(e.Input) + ": " + e.Err.Error()
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	if e.Offset >= 0 {
		s += " at offset " + strconv.Itoa(e.Offset)
	}
	return s
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }

// quote quotes s, shortening very long inputs so that messages stay
// readable.
func quote(s string) string {
	const limit = 120
	if len(s) > limit {
		return strconv.Quote(s[:limit]) + "…"
	}
	return strconv.Quote(s)
}
