package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// point is a custom type whose Fallback encoding is JSON (JSONCodec embeds
// it as it is); blob's is binary (JSONCodec writes base64).
type point struct{ X, Y int32 }

type blob [3]byte

// price is a named type nobody registers.
type price float64

var testRegistry = func() *Registry {
	r := new(Registry)
	err := Register(r, "point", func(dst []byte, p point) ([]byte, error) {
		return fmt.Appendf(dst, `{"x":%d,"y":%d}`, p.X, p.Y), nil
	}, func(data []byte) (point, error) {
		var v struct{ X, Y int32 }
		err := json.Unmarshal(data, &v)
		return point{v.X, v.Y}, err
	})
	if err != nil {
		panic(err)
	}
	err = Register(r, "blob", func(dst []byte, b blob) ([]byte, error) {
		return append(dst, b[:]...), nil
	}, func(data []byte) (blob, error) {
		var b blob
		if len(data) != len(b) {
			return b, errors.New("blob: want 3 bytes")
		}
		copy(b[:], data)
		return b, nil
	})
	if err != nil {
		panic(err)
	}
	return r
}()

var zoneCET = time.FixedZone("CET", 3600)

// sample holds one value of every common type.
var sample = []any{
	nil, false, true,
	int(-1 << 40), int8(-128), int16(-32768), int32(math.MinInt32), int64(math.MinInt64),
	uint(1 << 40), uint8(255), uint16(65535), uint32(math.MaxUint32), uint64(math.MaxUint64), uintptr(0xdeadbeef),
	float32(1.5), float64(-0.1), math.Copysign(0, -1), float32(math.Inf(1)), math.NaN(),
	"", "AAPL", "a\x00b\xff", // strings of any bytes
	[]byte(nil), []byte{}, []byte{0, 1, 2},
	time.Time{}, time.Unix(1700000000, 123456789).UTC(), time.Unix(-1e10, 1).In(zoneCET),
	time.Duration(0), -time.Hour, time.Duration(math.MaxInt64),
	[]any(nil), []any{}, []any{1, "a", []any{nil}},
	map[string]any(nil), map[string]any{}, map[string]any{"b": 2, "a": []any{1.5}},
}

func TestBinaryRoundTripExact(t *testing.T) {
	kwargs := map[string]any{"x": 1, "": "empty key", "z\xff": []byte("k"), "t": time.Unix(5, 0).UTC()}
	b, err := Binary.AppendEncode(nil, sample, kwargs)
	if err != nil {
		t.Fatal(err)
	}
	args, kw, err := Binary.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !equalValue(args, sample) || !equalValue(kw, kwargs) {
		t.Errorf("round trip:\n got %#v %#v\nwant %#v %#v", args, kw, sample, kwargs)
	}
	// A time without a monotonic reading in UTC comes back ==.
	if tm := args[26].(time.Time); tm != sample[26] {
		t.Errorf("UTC time: %v != %v", tm, sample[26])
	}
	// The monotonic reading is dropped.
	now := time.Now()
	b, _ = Binary.AppendEncode(nil, []any{now}, nil)
	args, _, _ = Binary.Decode(b)
	const layout = time.RFC3339Nano + " MST"
	if got := args[0].(time.Time); !got.Equal(now) || got.Format(layout) != now.Format(layout) {
		t.Errorf("local time %v came back as %v", now, got)
	}
}

func TestBinaryEmpty(t *testing.T) {
	b, err := Binary.AppendEncode(nil, nil, nil)
	if err != nil || !bytes.Equal(b, []byte{binaryVersion, 0, 0}) {
		t.Fatalf("empty encoding = %x, %v", b, err)
	}
	args, kw, err := Binary.Decode(b)
	if args != nil || kw != nil || err != nil {
		t.Errorf("Decode(empty) = %v, %v, %v; want nil, nil, nil", args, kw, err)
	}
}

// TestJSONConversions checks the type table of JSONCodec's documentation.
func TestJSONConversions(t *testing.T) {
	tm := time.Date(2026, 1, 2, 15, 4, 5, 500000000, zoneCET)
	for _, tc := range []struct {
		in   any
		text string
		out  any
	}{
		{nil, "null", nil},
		{true, "true", true},
		{42, "42", 42},
		{int8(-8), "-8", -8},
		{int64(math.MinInt64), "-9223372036854775808", math.MinInt64},
		{uint8(200), "200", 200},
		{uint64(math.MaxUint64), "18446744073709551615", uint64(math.MaxUint64)},
		{uintptr(7), "7", 7},
		{3.0, "3.0", 3.0},
		{-0.0 * -1, "0.0", 0.0},
		{math.Copysign(0, -1), "-0.0", math.Copysign(0, -1)},
		{1e21, "1e+21", 1e21},
		{1e-7, "1e-7", 1e-7},
		{123456.789, "123456.789", 123456.789},
		{float32(0.1), "0.1", 0.1},
		{"a\"\\\n\t\x01é", `"a\"\\\n\t\u0001é"`, "a\"\\\n\t\x01é"},
		{[]byte("hi"), `"aGk="`, "aGk="},
		{[]byte(nil), "null", nil},
		{tm, `"2026-01-02T15:04:05.5+01:00"`, "2026-01-02T15:04:05.5+01:00"},
		{1500 * time.Millisecond, "1500000000", 1500000000},
		{[]any{1, "a"}, `[1,"a"]`, []any{1, "a"}},
		{[]any(nil), "null", nil},
		{map[string]any{"b": 1, "a": nil}, `{"a":null,"b":1}`, map[string]any{"a": nil, "b": 1}},
		{point{1, 2}, `{"$type":"point","$value":{"x":1,"y":2}}`, point{1, 2}},
		{blob{1, 2, 3}, `{"$type":"blob","$base64":"AQID"}`, blob{1, 2, 3}},
		// a map of a Fallback's shape is wrapped so that it reads back as a map
		{map[string]any{"$type": "point", "$value": 1}, `{"$type":"$map","$value":{"$type":"point","$value":1}}`, map[string]any{"$type": "point", "$value": 1}},
		{map[string]any{"$type": "x", "$base64": "AQID"}, `{"$type":"$map","$value":{"$base64":"AQID","$type":"x"}}`, map[string]any{"$type": "x", "$base64": "AQID"}},
		{map[string]any{"$type": 1, "$value": 1}, `{"$type":1,"$value":1}`, map[string]any{"$type": 1, "$value": 1}},
	} {
		c := JSONCodec{Fallback: testRegistry}
		b, err := c.AppendEncode(nil, []any{tc.in}, nil)
		if err != nil {
			t.Errorf("encode %#v: %v", tc.in, err)
			continue
		}
		if want := `{"args":[` + tc.text + `]}`; string(b) != want {
			t.Errorf("encode %#v = %s, want %s", tc.in, b, want)
		}
		args, _, err := c.Decode(b)
		if err != nil || len(args) != 1 || !equalValue(args[0], tc.out) {
			t.Errorf("decode %s = %#v, %v; want %#v", b, args, err, tc.out)
		}
		if !json.Valid(b) {
			t.Errorf("encoding/json refuses %s", b)
		}
	}
	if _, err := time.Parse(time.RFC3339Nano, "2026-01-02T15:04:05.5+01:00"); err != nil {
		t.Error(err)
	}
}

func TestJSONLayout(t *testing.T) {
	for _, tc := range []struct {
		args   []any
		kwargs map[string]any
		text   string
	}{
		{nil, nil, `{}`},
		{[]any{1}, nil, `{"args":[1]}`},
		{nil, map[string]any{"b": 1, "a": "x"}, `{"kwargs":{"a":"x","b":1}}`},
		{[]any{1, 2}, map[string]any{"k": true}, `{"args":[1,2],"kwargs":{"k":true}}`},
	} {
		b, err := JSON.AppendEncode(nil, tc.args, tc.kwargs)
		if err != nil || string(b) != tc.text {
			t.Errorf("AppendEncode(%v, %v) = %s, %v; want %s", tc.args, tc.kwargs, b, err, tc.text)
		}
	}
	// Decode also takes white space, nulls and escapes from other producers.
	args, kw, err := JSON.Decode([]byte(" {\n \"kwargs\" : { \"a\\u00e9\\ud83d\\ude00\" : [ ] } , \"args\" : null }\t"))
	if err != nil || args != nil || !equalValue(kw, map[string]any{"aé😀": []any{}}) {
		t.Errorf("Decode = %#v, %#v, %v", args, kw, err)
	}
}

func TestEncodeErrors(t *testing.T) {
	cyclic := []any{nil}
	cyclic[0] = cyclic
	cyclicMap := map[string]any{}
	cyclicMap["m"] = cyclicMap
	deep := any(1)
	for range MaxDepth + 1 {
		deep = []any{deep}
	}
	fbErr := errors.New("refused by the fallback")
	badFallback := fallbackFunc(func(dst []byte, v any) (string, []byte, error) { return "", dst, fbErr })
	for _, tc := range []struct {
		name   string
		codecs []Codec
		args   []any
		kwargs map[string]any
		want   error
		msg    string
	}{
		{"named type", []Codec{Binary, JSON}, []any{1, 2, price(1.5)}, nil, ErrUnsupportedType, "wire: argument 2: cannot encode wire.price: unsupported type"},
		{"keyword", []Codec{Binary, JSON}, nil, map[string]any{"a": 1, "px": price(1)}, ErrUnsupportedType, `wire: keyword argument "px": cannot encode wire.price: unsupported type`},
		{"nested", []Codec{Binary, JSON}, []any{[]any{1, map[string]any{"k": struct{}{}}}}, nil, ErrUnsupportedType, `wire: argument 0[1]["k"]: cannot encode struct {}: unsupported type`},
		{"pointer", []Codec{Binary, JSON}, []any{new(int)}, nil, ErrUnsupportedType, "wire: argument 0: cannot encode *int: unsupported type"},
		{"not registered", []Codec{BinaryCodec{testRegistry}, JSONCodec{testRegistry}}, []any{price(1)}, nil, ErrUnsupportedType, "wire: argument 0: cannot encode wire.price: unsupported type"},
		{"fallback error", []Codec{BinaryCodec{badFallback}, JSONCodec{badFallback}}, []any{price(1)}, nil, fbErr, "wire: argument 0: cannot encode wire.price: refused by the fallback"},
		{"reserved fallback name", []Codec{JSONCodec{fallbackFunc(func(dst []byte, v any) (string, []byte, error) { return "$map", dst, nil })}}, []any{price(1)}, nil, ErrUnsupportedType, ""},
		{"cyclic list", []Codec{Binary, JSON}, []any{cyclic}, nil, ErrTooDeep, ""},
		{"cyclic map", []Codec{Binary, JSON}, nil, map[string]any{"m": cyclicMap}, ErrTooDeep, ""},
		{"too deep", []Codec{Binary, JSON}, []any{deep}, nil, ErrTooDeep, ""},
		{"NaN", []Codec{JSON}, []any{math.NaN()}, nil, ErrUnsupportedValue, "wire: argument 0: cannot encode float64: unsupported value"},
		{"Inf32", []Codec{JSON}, []any{float32(math.Inf(-1))}, nil, ErrUnsupportedValue, ""},
		{"invalid UTF-8", []Codec{JSON}, []any{"a\xffb"}, nil, ErrUnsupportedValue, ""},
		{"invalid UTF-8 key", []Codec{JSON}, nil, map[string]any{"\xff": 1}, ErrUnsupportedValue, `wire: keyword argument "\xff": cannot encode string: unsupported value`},
		{"invalid UTF-8 nested key", []Codec{JSON}, []any{map[string]any{"\xff": 1}}, nil, ErrUnsupportedValue, ""},
		{"year 10000", []Codec{JSON}, []any{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, nil, ErrUnsupportedValue, ""},
		{"year -1", []Codec{JSON}, []any{time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}, nil, ErrUnsupportedValue, ""},
	} {
		for _, c := range tc.codecs {
			dst := []byte("keep")
			out, err := c.AppendEncode(dst, tc.args, tc.kwargs)
			if !errors.Is(err, tc.want) {
				t.Errorf("%s, %T: err = %v, want %v", tc.name, c, err, tc.want)
				continue
			}
			var ee *EncodeError
			if !errors.As(err, &ee) {
				t.Errorf("%s, %T: %v is not an *EncodeError", tc.name, c, err)
			}
			if tc.msg != "" && err.Error() != tc.msg {
				t.Errorf("%s, %T: message %q, want %q", tc.name, c, err.Error(), tc.msg)
			}
			if string(out) != "keep" {
				t.Errorf("%s, %T: dst changed to %q on error", tc.name, c, out)
			}
		}
	}
}

type fallbackFunc func(dst []byte, v any) (string, []byte, error)

func (f fallbackFunc) AppendValue(dst []byte, v any) (string, []byte, error) { return f(dst, v) }
func (f fallbackFunc) DecodeValue(string, []byte) (any, error)               { return nil, ErrUnsupportedType }

func TestRegistry(t *testing.T) {
	for _, c := range []Codec{BinaryCodec{testRegistry}, JSONCodec{testRegistry}} {
		in := []any{point{-1, 2}, blob{9, 8, 7}, []any{point{3, 4}}}
		kw := map[string]any{"p": point{5, 6}}
		b, err := c.AppendEncode([]byte("prefix"), in, kw)
		if err != nil {
			t.Fatalf("%T: %v", c, err)
		}
		args, k, err := c.Decode(b[len("prefix"):])
		if err != nil || !equalValue(args, in) || !equalValue(k, kw) {
			t.Errorf("%T: round trip = %#v, %#v, %v", c, args, k, err)
		}
		// Without the Fallback, decoding says what is missing.
		var plain Codec = Binary
		if _, ok := c.(JSONCodec); ok {
			plain = JSON
		}
		if _, _, err := plain.Decode(b[len("prefix"):]); !errors.Is(err, ErrUnsupportedType) || !strings.Contains(err.Error(), `"point"`) {
			t.Errorf("%T without a Fallback: %v", c, err)
		}
	}
	r := new(Registry)
	enc := func(dst []byte, v price) ([]byte, error) { return dst, nil }
	dec := func([]byte) (price, error) { return 0, nil }
	if err := Register(r, "", enc, dec); err == nil {
		t.Error("empty name accepted")
	}
	if err := Register(r, "$price", enc, dec); err == nil {
		t.Error("name starting with '$' accepted")
	}
	if err := Register(r, "price", enc, dec); err != nil {
		t.Error(err)
	}
	if err := Register(r, "price", func(dst []byte, v point) ([]byte, error) { return dst, nil }, func([]byte) (point, error) { return point{}, nil }); err == nil {
		t.Error("name registered twice")
	}
	if err := Register(r, "price2", enc, dec); err == nil {
		t.Error("type registered twice")
	}
	if _, err := r.DecodeValue("nope", nil); !errors.Is(err, ErrUnsupportedType) {
		t.Errorf("DecodeValue(unknown) = %v", err)
	}
	var zero Registry
	if _, _, err := zero.AppendValue(nil, 1); !errors.Is(err, ErrUnsupportedType) {
		t.Errorf("zero Registry: %v", err)
	}
	// A decoder's error is reported with the name.
	b := []byte{binaryVersion, 1, tagExt, 4, 'b', 'l', 'o', 'b', 2, 1, 2, 0} // a blob of 2 bytes
	if _, _, err := (BinaryCodec{testRegistry}).Decode(b); err == nil || !strings.Contains(err.Error(), "want 3 bytes") {
		t.Errorf("bad blob: %v", err)
	}
}

func TestBinaryDecodeErrors(t *testing.T) {
	enc := func(args []any, kw map[string]any) []byte {
		b, err := Binary.AppendEncode(nil, args, kw)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	valid := enc([]any{1, "ab", 2.5}, map[string]any{"k": 1})
	v := func(b ...byte) []byte { return b }
	uv := func(pre []byte, x uint64) []byte { return binary.AppendUvarint(pre, x) }
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"version", v(2, 0, 0), ErrMalformed},
		{"no kwargs count", v(1, 0), ErrTruncated},
		{"trailing", append(enc(nil, nil), 0), ErrMalformed},
		{"each truncation", nil, nil}, // below
		{"unknown tag", v(1, 1, numTags, 0), ErrMalformed},
		{"huge count", uv(v(1), 1<<62), ErrTruncated},
		{"huge kwargs count", uv(v(1, 0), 1<<40), ErrTruncated},
		{"varint overflow", v(1, 1, tagInt64, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0), ErrMalformed},
		{"int16 range", append(appendZigzag(v(1, 1, tagInt16), 1<<15), 0), ErrMalformed},
		{"int32 range", append(appendZigzag(v(1, 1, tagInt32), -1<<31-1), 0), ErrMalformed},
		{"uint16 range", append(uv(v(1, 1, tagUint16), 1<<16), 0), ErrMalformed},
		{"uint32 range", append(uv(v(1, 1, tagUint32), 1<<32), 0), ErrMalformed},
		{"string length", append(uv(v(1, 1, tagString), 100), 'a'), ErrTruncated},
		{"bytes length", append(uv(v(1, 1, tagBytes), 100), 'a'), ErrTruncated},
		{"list length", append(uv(v(1, 1, tagList), 100), tagNil), ErrTruncated},
		{"map length", append(uv(v(1, 1, tagMap), 100), 0, tagNil), ErrTruncated},
		{"nanoseconds", append(uv(appendZigzag(v(1, 1, tagTimeUTC), 0), 1e9), 0), ErrMalformed},
		{"zone offset", append(appendZigzag(uv(appendZigzag(v(1, 1, tagTimeZone), 0), 0), 1<<40), 0, 0), ErrMalformed},
		{"kwargs out of order", v(1, 0, 2, 1, 'b', tagNil, 1, 'a', tagNil), ErrMalformed},
		{"kwargs repeated", v(1, 0, 2, 1, 'a', tagNil, 1, 'a', tagNil), ErrMalformed},
		{"map keys repeated", v(1, 1, tagMap, 3, 1, 'a', tagNil, 1, 'a', tagNil, 0), ErrMalformed},
		{"too deep", append(append(v(1, 1), bytes.Repeat(v(tagList, 2), MaxDepth+1)...), tagNil, 0), ErrTooDeep},
		{"ext without fallback", append(v(1, 1, tagExt, 1, 'x', 0), 0), ErrUnsupportedType},
	} {
		if tc.data == nil && tc.want == nil {
			// Every proper prefix of a valid payload is an error.
			for n := range len(valid) {
				if _, _, err := Binary.Decode(valid[:n]); err == nil {
					t.Errorf("Decode(%x), a prefix of %x: no error", valid[:n], valid)
				}
			}
			continue
		}
		args, kw, err := Binary.Decode(tc.data)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Decode(%x) = %v, %v, %v; want %v", tc.name, tc.data, args, kw, err, tc.want)
			continue
		}
		var de *DecodeError
		if !errors.As(err, &de) || de.Offset < 0 || de.Offset > len(tc.data) {
			t.Errorf("%s: %v is not a *DecodeError with an offset in the payload", tc.name, err)
		}
	}
	// Deep but allowed nesting decodes.
	deep := any(nil)
	for range MaxDepth {
		deep = []any{deep}
	}
	if _, _, err := Binary.Decode(enc([]any{deep}, nil)); err != nil {
		t.Errorf("nesting of MaxDepth: %v", err)
	}
}

func TestJSONDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		text string
		want error
	}{
		{``, ErrTruncated},
		{`[]`, ErrMalformed},
		{`{`, ErrTruncated},
		{`{"args":[1]`, ErrTruncated},
		{`{"args":[1]}x`, ErrMalformed},
		{`{"args":[1]}{}`, ErrMalformed},
		{`{"args":1}`, ErrMalformed},
		{`{"kwargs":[]}`, ErrMalformed},
		{`{"other":1}`, ErrMalformed},
		{`{"args":[],"args":[]}`, ErrMalformed},
		{`{"kwargs":{"a":1,"a":2}}`, ErrMalformed},
		{`{"args":[{"a":1,"a":2}]}`, ErrMalformed},
		{`{"args":[01]}`, ErrMalformed},
		{`{"args":[1.]}`, ErrMalformed},
		{`{"args":[.5]}`, ErrMalformed},
		{`{"args":[1e]}`, ErrMalformed},
		{`{"args":[-]}`, ErrMalformed},
		{`{"args":[+1]}`, ErrMalformed},
		{`{"args":[1e400]}`, ErrMalformed},
		{`{"args":[NaN]}`, ErrMalformed},
		{`{"args":[tru`, ErrTruncated},
		{`{"args":[tru]}`, ErrMalformed},
		{`{"args":[nul]}`, ErrMalformed},
		{`{"args":[nulx]}`, ErrMalformed},
		{`{"args":["a]}`, ErrTruncated},
		{"{\"args\":[\"a\nb\"]}", ErrMalformed},
		{"{\"args\":[\"a\xffb\"]}", ErrMalformed},
		{"{\"args\":[\"\\u00e9\xff\"]}", ErrMalformed},
		{`{"args":["\x"]}`, ErrMalformed},
		{`{"args":["\u12"]}`, ErrMalformed},
		{`{"args":["\u12`, ErrTruncated},
		{`{"args":["\ud800"]}`, ErrMalformed},
		{`{"args":["\udc00"]}`, ErrMalformed},
		{`{"args":["\ud800\u0041"]}`, ErrMalformed},
		{`{"args":[1,]}`, ErrMalformed},
		{`{"args":[1 2]}`, ErrMalformed},
		{`{"args":[{"a"}]}`, ErrMalformed},
		{`{"args":[{1:2}]}`, ErrMalformed},
		{`{"args":[{"$type":"point","$value":1}]}`, ErrUnsupportedType},
		{`{"args":[{"$type":"x","$base64":"!!"}]}`, ErrMalformed},
		{`{"args":[{"$type":"$map","$value":1}]}`, ErrMalformed},
		{`{"args":[` + strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1) + `]}`, ErrTooDeep},
		{`{"args":[` + strings.Repeat(`{"a":`, MaxDepth+1) + `1` + strings.Repeat("}", MaxDepth+1) + `]}`, ErrTooDeep},
		{`{"kwargs":{"a":` + strings.Repeat(`{"a":`, MaxDepth+1) + `1` + strings.Repeat("}", MaxDepth+1) + `}}`, ErrTooDeep},
	} {
		args, kw, err := JSON.Decode([]byte(tc.text))
		if !errors.Is(err, tc.want) {
			t.Errorf("Decode(%q) = %v, %v, %v; want %v", tc.text, args, kw, err, tc.want)
			continue
		}
		var de *DecodeError
		if !errors.As(err, &de) || de.Offset < 0 || de.Offset > len(tc.text) {
			t.Errorf("Decode(%q): %v is not a *DecodeError with an offset in the payload", tc.text, err)
		}
	}
	// A "$type" object that is not exactly a Fallback's stays a map.
	args, _, err := JSON.Decode([]byte(`{"args":[{"$type":"x","$value":1,"y":2},{"$type":1,"$value":2}]}`))
	want := []any{map[string]any{"$type": "x", "$value": 1, "y": 2}, map[string]any{"$type": 1, "$value": 2}}
	if err != nil || !equalValue(args, want) {
		t.Errorf("$type maps: %#v, %v", args, err)
	}
}

// TestEncodeAllocs: encoding the common types into a reused buffer makes
// no allocation, in both codecs.
func TestEncodeAllocs(t *testing.T) {
	args := []any{"AAPL", 187.25, 300, time.Unix(1700000000, 5).UTC(), int64(1 << 40), uint16(9), float32(2.5), true, nil, []byte("raw"), time.Second, []any{1, "x"}}
	kwargs := map[string]any{"side": "buy", "venue": "XNAS", "qty": 100, "at": time.Unix(1, 0).In(zoneCET)}
	for _, c := range []Codec{Binary, JSON} {
		buf := make([]byte, 0, 1024)
		if n := testing.AllocsPerRun(100, func() {
			var err error
			if buf, err = c.AppendEncode(buf[:0], args, kwargs); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%T.AppendEncode: %v allocations, want 0", c, n)
		}
	}
}

// TestDecodeAllocs pins the documented allocations of Decode.
func TestDecodeAllocs(t *testing.T) {
	for _, tc := range []struct {
		codec  Codec
		args   []any
		kwargs map[string]any
		want   float64
	}{
		// args, payload copy, string chunk, map (2)
		{Binary, []any{"AAPL", "MSFT", 7, true, nil}, map[string]any{"side": "buy", "venue": "XNAS"}, 5},
		{JSON, []any{"AAPL", "MSFT", 7, true, nil}, map[string]any{"side": "buy", "venue": "XNAS"}, 5},
		// the benchmark's: also a word chunk and a time chunk (JSON: the time is a string)
		{Binary, benchArgs, benchKwargs, 7},
		{JSON, benchArgs, benchKwargs, 6},
		// 9 strings and 9 floats: two chunks of each
		{Binary, []any{"a", "b", "c", "d", "e", "f", "g", "h", "i", 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5}, nil, 6},
	} {
		b, _ := tc.codec.AppendEncode(nil, tc.args, tc.kwargs)
		n := testing.AllocsPerRun(100, func() {
			if _, _, err := tc.codec.Decode(b); err != nil {
				t.Fatal(err)
			}
		})
		if n > tc.want {
			t.Errorf("%T.Decode(%v, %v): %v allocations, want at most %v", tc.codec, tc.args, tc.kwargs, n, tc.want)
		}
	}
}

// TestBoxedValues: values boxed from chunks behave as values Go boxed
// itself (type assertions, ==, reflection, printing), also after
// collections, and values from one chunk stay independent.
func TestBoxedValues(t *testing.T) {
	var a arena
	want := []any{int(1 << 40), int16(-300), int32(1 << 20), int64(-1 << 50), uint(1 << 33), uint16(60000), uint32(1 << 31),
		uint64(1 << 63), uintptr(1 << 40), float32(1.25), 2.5, time.Hour, "a string", time.Unix(1, 2).UTC(), time.Unix(3, 4).In(zoneCET)}
	var got []any
	for range 20 { // several chunks of each
		got = append(got,
			a.boxInt(1<<40), boxWord(&a, typInt16, int16(-300), false), boxWord(&a, typInt32, int32(1<<20), false),
			boxWord(&a, typInt64, int64(-1<<50), false), boxWord(&a, typUint, uint(1<<33), false),
			boxWord(&a, typUint16, uint16(60000), false), boxWord(&a, typUint32, uint32(1<<31), false),
			boxWord(&a, typUint64, uint64(1<<63), false), boxWord(&a, typUintptr, uintptr(1<<40), false),
			boxWord(&a, typFloat32, float32(1.25), false), a.boxFloat64(2.5),
			boxWord(&a, typDuration, time.Hour, false), a.boxString(strings.Clone("a string")),
			a.boxTime(time.Unix(1, 2).UTC()), a.boxTime(time.Unix(3, 4).In(zoneCET)))
	}
	a = arena{} // only the interfaces keep the chunks alive now
	runtime.GC()
	runtime.GC()
	for i, g := range got {
		w := want[i%len(want)]
		if reflect.TypeOf(g) != reflect.TypeOf(w) || !reflect.DeepEqual(g, w) || fmt.Sprint(g) != fmt.Sprint(w) {
			t.Fatalf("boxed value %d = %#v, want %#v", i, g, w)
		}
		if _, ok := w.(time.Time); !ok && g != w {
			t.Fatalf("boxed value %d: %#v != %#v", i, g, w)
		}
	}
	if s, ok := got[12].(string); !ok || s != "a string" {
		t.Errorf("type assertion: %q, %v", s, ok)
	}
}

// gen builds arguments from fuzz input, consuming it byte by byte.
type gen struct {
	data []byte
	fb   bool // may produce registered custom types
}

func (g *gen) byte() byte {
	if len(g.data) == 0 {
		return 0
	}
	b := g.data[0]
	g.data = g.data[1:]
	return b
}

func (g *gen) u64() uint64 {
	var b [8]byte
	n := copy(b[:], g.data)
	g.data = g.data[n:]
	return binary.LittleEndian.Uint64(b[:])
}

func (g *gen) str() string {
	n := int(g.byte() % 24)
	n = min(n, len(g.data))
	s := string(g.data[:n])
	g.data = g.data[n:]
	return s
}

func (g *gen) value(depth int) any {
	kinds := byte(26)
	if g.fb {
		kinds += 2
	}
	switch k := g.byte() % kinds; k {
	case 0:
		return nil
	case 1:
		return g.byte()&1 == 1
	case 2:
		return int(g.u64())
	case 3:
		return int8(g.byte())
	case 4:
		return int16(g.u64())
	case 5:
		return int32(g.u64())
	case 6:
		return int64(g.u64())
	case 7:
		return uint(g.u64())
	case 8:
		return g.byte()
	case 9:
		return uint16(g.u64())
	case 10:
		return uint32(g.u64())
	case 11:
		return g.u64()
	case 12:
		return uintptr(g.u64())
	case 13:
		return math.Float32frombits(uint32(g.u64()))
	case 14:
		return math.Float64frombits(g.u64())
	case 15:
		return float64(int64(g.u64()>>40)) / 8 // ordinary values
	case 16:
		return g.str()
	case 17:
		if g.byte()&1 == 0 {
			return []byte(nil)
		}
		return []byte(g.str())
	case 18, 19:
		sec := int64(g.u64()) % (400000 * 365 * 86400) // +-400000 years
		t := time.Unix(sec, int64(g.u64()%1e9))
		if k == 18 {
			return t.UTC()
		}
		return t.In(time.FixedZone(g.str(), int(int32(g.u64()))%(30*3600)))
	case 20:
		return time.Duration(g.u64())
	case 21, 22:
		if depth >= 4 || g.byte()&7 == 0 {
			return []any(nil)
		}
		l := make([]any, g.byte()%4)
		for i := range l {
			l[i] = g.value(depth + 1)
		}
		return l
	case 23, 24:
		if depth >= 4 || g.byte()&7 == 0 {
			return map[string]any(nil)
		}
		return g.kwargs(depth + 1)
	case 25: // a map of the shape of a Fallback's value in JSON
		if g.byte()&1 == 0 {
			return map[string]any{"$type": g.str(), "$value": g.value(depth + 1)}
		}
		return map[string]any{"$type": g.str(), "$base64": g.str()}
	case 26:
		return point{int32(g.u64()), int32(g.u64())}
	default:
		return blob{g.byte(), g.byte(), g.byte()}
	}
}

func (g *gen) kwargs(depth int) map[string]any {
	m := map[string]any{}
	for range g.byte() % 4 {
		m[g.str()] = g.value(depth)
	}
	return m
}

// jsonExpect returns what JSONCodec decodes v as, following its
// documentation, or false if it cannot encode v.
func jsonExpect(v any) (any, bool) {
	switch x := v.(type) {
	case int8, int16, int32, int64, int, uint8, uint16, uint32:
		return int(reflect.ValueOf(x).Convert(reflect.TypeFor[int64]()).Int()), true
	case uint, uint64, uintptr:
		u := reflect.ValueOf(x).Convert(reflect.TypeFor[uint64]()).Uint()
		if u > math.MaxInt64 {
			return u, true
		}
		return int(u), true
	case time.Duration:
		return int(x), true
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case float32:
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return f, !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
	case string:
		return x, utf8.ValidString(x)
	case []byte:
		if x == nil {
			return nil, true
		}
		return base64.StdEncoding.EncodeToString(x), true
	case time.Time:
		return x.Format(time.RFC3339Nano), x.Year() >= 0 && x.Year() <= 9999
	case []any:
		if x == nil {
			return nil, true
		}
		l := make([]any, len(x))
		for i, e := range x {
			var ok bool
			if l[i], ok = jsonExpect(e); !ok {
				return nil, false
			}
		}
		return l, true
	case map[string]any:
		if x == nil {
			return nil, true
		}
		m, ok := jsonExpectMap(x)
		return m, ok
	}
	return v, true // nil, bool, custom types
}

func jsonExpectMap(x map[string]any) (map[string]any, bool) {
	m := make(map[string]any, len(x))
	for k, e := range x {
		var ok bool
		if m[k], ok = jsonExpect(e); !ok || !utf8.ValidString(k) {
			return nil, false
		}
	}
	return m, true
}

// FuzzCodecRoundTrip: the binary codec gives back every generated value
// with its exact type, the JSON codec what its documentation says, and
// both encode deterministically.
func FuzzCodecRoundTrip(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x04\x02hello\x10\x05world\x0e\x01\x02\x03\x04\x05\x06\x07\x08"))
	f.Add([]byte("\x03\x12\x01\x02\x03\x04\x05\x06\x07\x08\x09\x13\x05\x03CET\x10\x0e\x00\x00\x02\x16\x03\x00\x01\x02"))
	f.Add(bytes.Repeat([]byte{0x19, 0x01, 0x02, 0x03, 0x04, 0x1a, 0x05, 0x06, 0x07}, 4))
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &gen{data: data, fb: true}
		args := make([]any, g.byte()%6)
		for i := range args {
			args[i] = g.value(0)
		}
		kwargs := g.kwargs(0)
		wantArgs, wantKw := any(args), any(kwargs)
		if len(args) == 0 {
			wantArgs = []any(nil)
		}
		if len(kwargs) == 0 {
			wantKw = map[string]any(nil)
		}

		c := BinaryCodec{Fallback: testRegistry}
		b, err := c.AppendEncode(nil, args, kwargs)
		if err != nil {
			t.Fatalf("binary encode %#v %#v: %v", args, kwargs, err)
		}
		if b2, _ := c.AppendEncode(nil, args, kwargs); !bytes.Equal(b, b2) {
			t.Fatalf("binary encoding not deterministic: %x, %x", b, b2)
		}
		gotArgs, gotKw, err := c.Decode(b)
		if err != nil || !equalValue(gotArgs, wantArgs) || !equalValue(gotKw, wantKw) {
			t.Fatalf("binary round trip of %#v %#v:\n got %#v %#v, %v", args, kwargs, gotArgs, gotKw, err)
		}

		j := JSONCodec{Fallback: testRegistry}
		jb, err := j.AppendEncode(nil, args, kwargs)
		ea, okA := jsonExpect(args)
		ek, okK := jsonExpectMap(kwargs)
		if !okA || !okK {
			if !errors.Is(err, ErrUnsupportedValue) {
				t.Fatalf("JSON encode of %#v %#v: %v, want ErrUnsupportedValue", args, kwargs, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("JSON encode %#v %#v: %v", args, kwargs, err)
		}
		if !json.Valid(jb) {
			t.Fatalf("encoding/json refuses %s", jb)
		}
		if len(args) == 0 {
			ea = []any(nil)
		}
		if len(kwargs) == 0 {
			ek = nil
		}
		gotArgs, gotKw, err = j.Decode(jb)
		if err != nil || !equalValue(gotArgs, ea) || !equalValue(gotKw, ek) {
			t.Fatalf("JSON round trip of %#v %#v via %s:\n got %#v %#v, %v\nwant %#v %#v", args, kwargs, jb, gotArgs, gotKw, err, ea, ek)
		}
	})
}

// FuzzDecode: decoding arbitrary bytes never panics, fails with a
// *DecodeError, and what decodes encodes again to the same values. The JSON
// decoder accepts nothing encoding/json would refuse.
func FuzzDecode(f *testing.F) {
	for _, args := range [][]any{nil, {1, "a", 2.5, []byte("x")}, sample, {point{1, 2}, blob{1, 2, 3}}} {
		for _, c := range []Codec{BinaryCodec{testRegistry}, JSONCodec{testRegistry}} {
			b, err := c.AppendEncode(nil, args, map[string]any{"k": int16(3), "t": time.Unix(9, 9).In(zoneCET)})
			if err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"args":[{"a":[true,false,null,-0.5e3,"\u00e9\ud83d\ude00"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// DecodeOwned agrees with Decode, error for error and value for
		// value, on a copy it may keep views of.
		for _, c := range []BinaryCodec{{}, {testRegistry}} {
			args, kw, err := c.Decode(data)
			args2, kw2, err2 := c.DecodeOwned(append([]byte(nil), data...))
			if (err == nil) != (err2 == nil) || err == nil && (!equalValue(args2, args) || !equalValue(kw2, kw)) {
				t.Fatalf("DecodeOwned(%q) = %#v %#v %v, Decode = %#v %#v %v", data, args2, kw2, err2, args, kw, err)
			}
		}
		for _, c := range []Codec{Binary, JSON, BinaryCodec{testRegistry}, JSONCodec{testRegistry}} {
			args, kw, err := c.Decode(data)
			if err != nil {
				var de *DecodeError
				if !errors.As(err, &de) || de.Offset < 0 || de.Offset > len(data) {
					t.Fatalf("%T.Decode(%q): %v is not a *DecodeError within the data", c, data, err)
				}
				continue
			}
			if _, ok := c.(JSONCodec); ok && !json.Valid(data) {
				t.Fatalf("JSON.Decode accepted %q, which encoding/json refuses", data)
			}
			b, err := c.AppendEncode(nil, args, kw)
			if err != nil {
				t.Fatalf("%T: re-encoding %#v %#v: %v", c, args, kw, err)
			}
			args2, kw2, err := c.Decode(b)
			if err != nil || !equalValue(args2, args) || !equalValue(kw2, kw) {
				t.Fatalf("%T: %q decodes to %#v %#v, which re-encodes to %q, which decodes to %#v %#v, %v", c, data, args, kw, b, args2, kw2, err)
			}
		}
	})
}

// equalValue compares decoded values exactly: same dynamic types, floats
// bit for bit, times by instant and zone (UTC stays UTC), nil and empty
// slices and maps apart.
func equalValue(a, b any) bool {
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		return false
	}
	switch x := a.(type) {
	case float64:
		return math.Float64bits(x) == math.Float64bits(b.(float64))
	case float32:
		return math.Float32bits(x) == math.Float32bits(b.(float32))
	case time.Time:
		y := b.(time.Time)
		xn, xo := x.Zone()
		yn, yo := y.Zone()
		return x.Equal(y) && xn == yn && xo == yo && (x.Location() == time.UTC) == (y.Location() == time.UTC || yn == "UTC" && yo == 0)
	case []byte:
		y := b.([]byte)
		return (x == nil) == (y == nil) && bytes.Equal(x, y)
	case []any:
		y := b.([]any)
		if (x == nil) != (y == nil) || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y := b.(map[string]any)
		if (x == nil) != (y == nil) || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equalValue(v, w) {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestForContentType(t *testing.T) {
	for _, c := range []Codec{BinaryCodec{testRegistry}, JSONCodec{testRegistry}} {
		got, ok := ForContentType(c.ContentType(), testRegistry)
		if !ok || got != c {
			t.Errorf("ForContentType(%q) = %#v, %v; want %#v", c.ContentType(), got, ok, c)
		}
	}
	if c, ok := ForContentType("text/plain", nil); ok || c != nil {
		t.Errorf("ForContentType(text/plain) = %v, %v", c, ok)
	}
}

// TestConcurrentUse: codecs, the zone cache and a Registry being extended
// are safe for concurrent use (run with -race).
func TestConcurrentUse(t *testing.T) {
	r := new(Registry)
	if err := Register(r, "point", func(dst []byte, p point) ([]byte, error) {
		return binary.AppendVarint(binary.AppendVarint(dst, int64(p.X)), int64(p.Y)), nil
	}, func(data []byte) (point, error) {
		x, n := binary.Varint(data)
		y, m := binary.Varint(data[max(n, 0):])
		if n <= 0 || m <= 0 || n+m != len(data) {
			return point{}, errors.New("bad point")
		}
		return point{int32(x), int32(y)}, nil
	}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 4 {
		wg.Go(func() {
			zone := time.FixedZone("Z"+strconv.Itoa(g), g*3600)
			for i := range 200 {
				in := []any{point{int32(i), int32(g)}, time.Unix(int64(i), 0).In(zone), "s", i}
				for _, c := range []Codec{BinaryCodec{r}, JSONCodec{r}} {
					b, err := c.AppendEncode(nil, in, nil)
					if err == nil {
						_, _, err = c.Decode(b)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 50 {
			name := "t" + strconv.Itoa(i)
			if err := Register(r, name, func(dst []byte, v [1]int8) ([]byte, error) { return dst, nil }, func([]byte) ([1]int8, error) { return [1]int8{}, nil }); err == nil && i > 0 {
				errs <- errors.New("a type registered twice")
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestJSONFromEncodingJSON: what encoding/json writes for the same shape
// decodes, with the documented conversions.
func TestJSONFromEncodingJSON(t *testing.T) {
	b, err := json.MarshalIndent(stdMessage{benchArgs, benchKwargs}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	args, kw, err := JSON.Decode(b)
	if err != nil {
		t.Fatalf("Decode(%s): %v", b, err)
	}
	wantArgs := []any{"AAPL", 187.25, 300, "2023-11-14T22:13:20.123456789Z"}
	wantKw := map[string]any{"side": "buy", "venue": "XNAS", "seq": 1234567}
	if !equalValue(args, wantArgs) || !equalValue(kw, wantKw) {
		t.Errorf("Decode(%s) = %#v, %#v; want %#v, %#v", b, args, kw, wantArgs, wantKw)
	}
}

// TestDecodeBlockOutlivesArgs: the values of a short message are boxed from
// the same allocation as its arguments slice (block); one value kept alone
// must stay intact after the slice is gone and the collector has run.
func TestDecodeBlockOutlivesArgs(t *testing.T) {
	for _, args := range [][]any{
		{"alpha", int64(1 << 40), 2.5}, // block
		{"alpha", int64(1 << 40)},      // block2
	} {
		data, err := Binary.AppendEncode(nil, args, map[string]any{"k": "kappa"})
		if err != nil {
			t.Fatal(err)
		}
		var keep []any
		for range 1000 {
			args, kwargs, err := Binary.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			keep = append(keep, args[0], args[1], kwargs["k"])
		}
		runtime.GC()
		for i := 0; i < len(keep); i += 3 {
			if keep[i] != "alpha" || keep[i+1] != int64(1<<40) || keep[i+2] != "kappa" {
				t.Fatalf("%d arguments: value %d after GC: %#v %#v %#v", len(args), i/3, keep[i], keep[i+1], keep[i+2])
			}
		}
	}
}
