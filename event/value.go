package event

import (
	"errors"
	"fmt"
)

// ErrType is wrapped by the errors that say an argument or a payload has
// another type than the one asked for (ArgErr, KwargErr, ValueErr).
var ErrType = errors.New("wrong type")

// ErrMissing is wrapped by the errors that say an argument is not there
// (ArgErr, KwargErr, ValueErr).
var ErrMissing = errors.New("missing argument")

// Kw holds keyword arguments given as the last argument of a put
// (engine.Engine.Put, Send and their variants): e.Put(t, 187.5,
// event.Kw{"exchange": "XNAS"}) publishes one positional and one keyword
// argument. It is its own type so that a put can tell keywords from a
// map[string]any passed as a positional argument, which Put keeps
// positional and Send refuses.
type Kw map[string]any

// ArgErr is Arg for a handler that reports what it did not get: the error
// wraps ErrMissing or ErrType and names the message, the index and both
// types, as in `#5 Market.Data.AAPL: argument 0 is a int, want float64`.
// Return it from an error-returning handler (engine.Engine.SubscribeErr)
// and the engine logs and counts it.
func ArgErr[T any](m Message, i int) (T, error) {
	var zero T
	if i < 0 || i >= len(m.Args) {
		return zero, fmt.Errorf("%s: argument %d: %w (the message has %d)", m.short(), i, ErrMissing, len(m.Args))
	}
	v, ok := m.Args[i].(T)
	if !ok {
		return zero, fmt.Errorf("%s: argument %d is a %T: %w, want %T", m.short(), i, m.Args[i], ErrType, zero)
	}
	return v, nil
}

// KwargErr is Kwarg for a handler that reports what it did not get (see
// ArgErr).
func KwargErr[T any](m Message, key string) (T, error) {
	var zero T
	a, found := m.Kwargs[key]
	if !found {
		return zero, fmt.Errorf("%s: keyword argument %q: %w", m.short(), key, ErrMissing)
	}
	v, ok := a.(T)
	if !ok {
		return zero, fmt.Errorf("%s: keyword argument %q is a %T: %w, want %T", m.short(), key, a, ErrType, zero)
	}
	return v, nil
}

// Value returns the payload of a message that carries one value of type
// T: its only positional argument, if that is a T or a non-nil *T (a
// typed put, engine.PublishValue, delivers a *T to storage the engine
// reuses; Value copies it out). ok is false for anything else, never a
// panic.
func Value[T any](m Message) (v T, ok bool) {
	if len(m.Args) != 1 {
		return v, false
	}
	// Two assertions, each a comparison of type words: a type switch
	// with type-parameter cases costs about three times more.
	a := m.Args[0]
	if p, ok := a.(*T); ok && p != nil {
		return *p, true
	}
	v, ok = a.(T)
	return v, ok
}

// ValueErr is Value that says what the message carries instead (see
// ArgErr).
func ValueErr[T any](m Message) (T, error) {
	v, ok := Value[T](m)
	if ok {
		return v, nil
	}
	var zero T
	switch len(m.Args) {
	case 0:
		return zero, fmt.Errorf("%s: no payload: %w, want a %T", m.short(), ErrMissing, zero)
	case 1:
		return zero, fmt.Errorf("%s: payload is a %T: %w, want %T", m.short(), m.Args[0], ErrType, zero)
	}
	return zero, fmt.Errorf("%s: %d arguments: %w, want one %T", m.short(), len(m.Args), ErrType, zero)
}

// short names m in an error: its sequence id and topic.
func (m Message) short() string {
	return fmt.Sprintf("#%d %s", m.Seq, m.Topic.String())
}
