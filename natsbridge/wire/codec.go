package wire

import (
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Codec encodes the positional and keyword arguments of a message into a
// payload and back. Implementations are safe for concurrent use.
type Codec interface {
	// AppendEncode appends the encoding of args and kwargs to dst and
	// returns the extended buffer. On error it returns dst unchanged and an
	// *EncodeError naming the argument (index or key) and the type it
	// cannot encode.
	AppendEncode(dst []byte, args []any, kwargs map[string]any) ([]byte, error)
	// Decode decodes a payload made by AppendEncode. args and kwargs are
	// nil when there are none. Malformed data gets a *DecodeError, never a
	// panic. The results do not refer to data.
	Decode(data []byte) (args []any, kwargs map[string]any, err error)
	// ContentType names the encoding, for a message header.
	ContentType() string
}

// Binary is the default codec: compact, typed and fast (see [BinaryCodec]).
var Binary Codec = BinaryCodec{}

// JSON is the readable codec, for interoperation with other languages and
// tools (see [JSONCodec] for which types survive a round trip).
var JSON Codec = JSONCodec{}

// ForContentType returns the codec whose ContentType is ct (Binary's or
// JSON's), with fb as its Fallback, so that an importer can decode what
// each publisher says it sent; false for other content types.
func ForContentType(ct string, fb Fallback) (Codec, bool) {
	switch ct {
	case BinaryCodec{}.ContentType():
		return BinaryCodec{Fallback: fb}, true
	case JSONCodec{}.ContentType():
		return JSONCodec{Fallback: fb}, true
	}
	return nil, false
}

// Sentinel errors of the codecs; an *EncodeError or *DecodeError wraps one
// of them, so errors.Is works.
var (
	// ErrUnsupportedType: a value of a type the codec does not know and no
	// Fallback takes. A Fallback returns it (wrapped) for types it does
	// not handle.
	ErrUnsupportedType = errors.New("unsupported type")
	// ErrUnsupportedValue: a value of a known type that the encoding cannot
	// represent (JSON: NaN and infinities, strings that are not UTF-8,
	// years outside 0-9999).
	ErrUnsupportedValue = errors.New("unsupported value")
	// ErrTooDeep: nested lists and maps deeper than MaxDepth (also what a
	// list that contains itself gives).
	ErrTooDeep = errors.New("nested too deep")
	// ErrTruncated: the payload ends inside a value.
	ErrTruncated = errors.New("truncated payload")
	// ErrMalformed: the payload is not a valid encoding.
	ErrMalformed = errors.New("malformed payload")
)

// MaxDepth is the deepest nesting of lists ([]any) and maps
// (map[string]any) the codecs encode and decode: deeper values get
// ErrTooDeep, so a cyclic value or a hostile payload cannot exhaust the
// stack.
const MaxDepth = 64

// EncodeError describes an argument a codec could not encode.
type EncodeError struct {
	Arg  int    // index of the positional argument, -1 for a keyword argument
	Key  string // the keyword argument's name
	Path string // where inside the argument, such as "[2]" or `["a"]`; "" for the argument itself
	Type string // the Go type of the value, as fmt's %T prints it
	Err  error  // ErrUnsupportedType, ErrUnsupportedValue, ErrTooDeep, or the Fallback's error
}

// Error returns a message such as
// `wire: argument 2: cannot encode main.Price: unsupported type`.
func (e *EncodeError) Error() string {
	var where string
	if e.Arg >= 0 {
		where = "argument " + strconv.Itoa(e.Arg)
	} else {
		where = "keyword argument " + strconv.Quote(e.Key)
	}
	return "wire: " + where + e.Path + ": cannot encode " + e.Type + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *EncodeError) Unwrap() error { return e.Err }

// DecodeError describes a payload a codec could not decode.
type DecodeError struct {
	Offset int    // byte offset in the payload
	Err    error  // ErrTruncated, ErrMalformed, ErrTooDeep, or the Fallback's error
	Detail string // what was expected or found
}

// Error returns a message such as
// `wire: malformed payload (unknown tag 127) at offset 9`.
func (e *DecodeError) Error() string {
	s := "wire: " + e.Err.Error()
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s + " at offset " + strconv.Itoa(e.Offset)
}

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// Fallback encodes and decodes the values of types a codec does not know.
// The same Fallback serves both codecs: its encoding is opaque bytes
// (JSONCodec embeds them as they are when they are JSON it reads back
// unchanged, else as base64). See [Registry] for a ready-made one.
type Fallback interface {
	// AppendValue appends an encoding of v to dst and returns it with a
	// name for the encoding, which DecodeValue gets back. For a type it
	// does not handle it returns an error wrapping ErrUnsupportedType.
	AppendValue(dst []byte, v any) (name string, out []byte, err error)
	// DecodeValue returns the value AppendValue encoded as data under
	// name. data is valid only during the call.
	DecodeValue(name string, data []byte) (any, error)
}

// valueError makes the error for value v, whose path inside its argument
// is filled in as the error travels up (see wrapPath).
func valueError(v any, err error) *EncodeError {
	return &EncodeError{Arg: -1, Type: typeName(v), Err: err}
}

// wrapPath prepends elem to the path of an *EncodeError.
func wrapPath(err error, elem string) error {
	var e *EncodeError
	if errors.As(err, &e) {
		e.Path = elem + e.Path
	}
	return err
}

// argError fills in which argument an *EncodeError is about.
func argError(err error, i int, key string) error {
	var e *EncodeError
	if !errors.As(err, &e) {
		e = &EncodeError{Type: "?", Err: err}
	}
	e.Arg, e.Key = i, key
	if i >= 0 {
		e.Key = ""
	}
	return e
}

// pair is a keyword argument.
type pair struct {
	k string
	v any
}

// sortedPairs returns the entries of m in key order, in buf when it has
// room, so that encodings are deterministic (the same arguments give the
// same bytes). Iterating once and sorting the pairs saves a map lookup per
// key over sorting the keys (BenchmarkEncode); insertion sort is the
// fastest for the few keys messages have.
func sortedPairs(m map[string]any, buf []pair) []pair {
	ps := buf[:0]
	for k, v := range m {
		ps = append(ps, pair{k, v})
	}
	if len(ps) > 12 {
		slices.SortFunc(ps, func(a, b pair) int { return strings.Compare(a.k, b.k) })
		return ps
	}
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].k < ps[j-1].k; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
	return ps
}

// typeName returns the name of v's type, for errors.
func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	return reflect.TypeOf(v).String()
}

// appendFallback has fb append the data of v, a value of a type the codec
// does not know, to dst, and checks what it did (both codecs' appendExt).
func appendFallback(fb Fallback, dst []byte, v any) (name string, out []byte, err error) {
	if fb == nil {
		return "", dst, valueError(v, ErrUnsupportedType)
	}
	name, out, err = fb.AppendValue(dst, v)
	if err != nil {
		return "", dst, valueError(v, err)
	}
	if len(out) < len(dst) {
		return "", dst, valueError(v, errFallbackShrank)
	}
	return name, out, nil
}
