package wire

import (
	"errors"
	"strconv"
)

// Sentinel errors of the subject mapping; every error a [Mapper] returns is
// a *[SubjectError] wrapping one of them, so errors.Is works.
var (
	// ErrBadPrefix: the Mapper's Prefix is not a valid literal subject
	// (empty token, whitespace or control byte, '*' or '>', non-ASCII
	// without AllowNonASCII).
	ErrBadPrefix = errors.New("invalid subject prefix")
	// ErrNotExact: Subject was given a topic with a non-exact part (or the
	// zero topic); only exact topics are published.
	ErrNotExact = errors.New("topic is not exact")
	// ErrZeroTopic: the zero topic.Topic was given.
	ErrZeroTopic = errors.New("zero topic")
	// ErrSubjectTooLong: the subject or filter would be longer than the
	// Mapper's limit (see [DefaultMaxSubject]).
	ErrSubjectTooLong = errors.New("subject too long")
	// ErrNotUnderPrefix: Topic was given a subject that is not the prefix
	// followed by at least one token.
	ErrNotUnderPrefix = errors.New("subject not under prefix")
	// ErrBadEscape: a token holds a malformed escape ('%' not followed by
	// two upper-case hex digits), an escape of a byte that needs none, or a
	// byte that should have been escaped, so it is not what Subject makes.
	ErrBadEscape = errors.New("malformed escape")
	// ErrBadToken: a token is empty or decodes to text that is not an exact
	// topic part (such as "{x}" or a leading '/').
	ErrBadToken = errors.New("invalid token")
	// ErrBareWildcard: Filter would subscribe to everything (">" with an
	// empty prefix).
	ErrBareWildcard = errors.New("filter would be a bare \">\"")
	// ErrUnsupportedPart: Filter met a part kind it does not know.
	ErrUnsupportedPart = errors.New("unsupported part kind")
)

// SubjectError describes a topic, pattern or subject the mapping refused:
// which input, what is wrong and where.
type SubjectError struct {
	Input  string // the topic text, the subject or the prefix
	Offset int    // byte offset in Input of the problem, -1 if none
	Err    error  // one of the sentinel errors
	Detail string // optional detail
}

// Error returns a message such as
// `wire: subject "ee.a.%zz": malformed escape at offset 5`.
func (e *SubjectError) Error() string {
	s := "wire: " + strconv.Quote(shorten(e.Input)) + ": " + e.Err.Error()
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	if e.Offset >= 0 {
		s += " at offset " + strconv.Itoa(e.Offset)
	}
	return s
}

// Unwrap returns the sentinel error.
func (e *SubjectError) Unwrap() error { return e.Err }

// shorten keeps error messages readable for very long inputs.
func shorten(s string) string {
	const limit = 120
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}
