package wire

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// JSONCodec is the readable encoding, for other languages and tools:
//
//	{"args":[1,"AAPL",2.5],"kwargs":{"at":"2026-01-02T15:04:05.5Z","qty":100}}
//
// Both fields are left out when empty; keyword arguments are written in
// name order. Values are plain JSON, so not every Go type survives a round
// trip:
//
//   - exactly: nil, bool, int, float64 (finite; written with a '.' or an
//     exponent so that it reads back as a float), string, and []any and
//     map[string]any of such values.
//   - as int: int8, int16, int32, int64, uint, uint8, uint16, uint32,
//     uint64, uintptr and time.Duration (nanoseconds) read back as int (as
//     uint64 above the largest int64, as float64 beyond uint64, rounded).
//   - as float64: float32, written as its shortest decimal, so float32 of
//     the result is the original but the float64 is not float64(original).
//   - as string: []byte (standard base64) and time.Time (RFC 3339 with
//     nanoseconds and the offset; time.Parse(time.RFC3339Nano, s) gives the
//     instant back, and the offset to the minute, without the zone's name).
//   - as nil: nil []byte, []any and map[string]any (JSON null).
//   - errors: NaN and infinities, strings and keys that are not valid UTF-8,
//     times with a year outside 0-9999, and other types without a Fallback.
//
// Values of other types go to Fallback and are written as
// {"$type":name,"$value":data} when the Fallback's data is JSON that
// Decode reads back as it is, else as
// {"$type":name,"$base64":data}; reading such an object (exactly these two
// keys, name a string) calls the Fallback's DecodeValue. A map of that very
// shape is written {"$type":"$map","$value":map} so that it reads back as
// itself; names starting with '$' are reserved. Decode refuses invalid
// JSON, duplicate keys, unknown top-level fields and trailing data.
type JSONCodec struct {
	// Fallback encodes the values of other types; nil: they are an error.
	Fallback Fallback
}

// ContentType returns "application/json".
func (JSONCodec) ContentType() string { return "application/json" }

// AppendEncode implements [Codec]. With a reused dst that has room it
// makes no allocation for the common types and up to 16 keyword arguments
// (and keys in each nested map) (BenchmarkEncode/json).
func (c JSONCodec) AppendEncode(dst []byte, args []any, kwargs map[string]any) ([]byte, error) {
	start := len(dst)
	dst = append(dst, '{')
	var err error
	if len(args) > 0 {
		dst = append(dst, `"args":[`...)
		for i, a := range args {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = c.appendValue(dst, a, 0); err != nil {
				return dst[:start], argError(err, i, "")
			}
		}
		dst = append(dst, ']')
	}
	if len(kwargs) > 0 {
		if len(args) > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `"kwargs":{`...)
		var pbuf [16]pair
		for i, p := range sortedPairs(kwargs, pbuf[:]) {
			k := p.k
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendJSONString(dst, k); err != nil {
				return dst[:start], argError(valueError(k, err), -1, k)
			}
			dst = append(dst, ':')
			if dst, err = c.appendValue(dst, p.v, 0); err != nil {
				return dst[:start], argError(err, -1, k)
			}
		}
		dst = append(dst, '}')
	}
	return append(dst, '}'), nil
}

func (c JSONCodec) appendValue(dst []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case uintptr:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case float32:
		return appendJSONFloat(dst, float64(x), 32, v)
	case float64:
		return appendJSONFloat(dst, x, 64, v)
	case string:
		out, err := appendJSONString(dst, x)
		if err != nil {
			return dst, valueError(v, err)
		}
		return out, nil
	case []byte:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, x)
		return append(dst, '"'), nil
	case time.Duration:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case time.Time:
		if y := x.Year(); y < 0 || y > 9999 {
			return dst, valueError(v, ErrUnsupportedValue)
		}
		dst = append(dst, '"')
		dst = x.AppendFormat(dst, time.RFC3339Nano)
		return append(dst, '"'), nil
	case []any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		if depth == MaxDepth {
			return dst, valueError(v, ErrTooDeep)
		}
		dst = append(dst, '[')
		var err error
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = c.appendValue(dst, e, depth+1); err != nil {
				return dst, wrapPath(err, "["+strconv.Itoa(i)+"]")
			}
		}
		return append(dst, ']'), nil
	case map[string]any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		if depth == MaxDepth {
			return dst, valueError(v, ErrTooDeep)
		}
		if !extShaped(x) {
			return c.appendMap(dst, x, depth)
		}
		// It would read back as a Fallback's value: wrap it.
		dst = append(dst, `{"$type":"$map","$value":`...)
		dst, err := c.appendMap(dst, x, depth)
		if err != nil {
			return dst, err
		}
		return append(dst, '}'), nil
	}
	return c.appendExt(dst, v, depth)
}

// appendMap writes the object x, its members in key order.
func (c JSONCodec) appendMap(dst []byte, x map[string]any, depth int) ([]byte, error) {
	dst = append(dst, '{')
	var pbuf [16]pair
	var err error
	for i, p := range sortedPairs(x, pbuf[:]) {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = appendJSONString(dst, p.k); err != nil {
			return dst, wrapPath(valueError(p.k, err), "["+strconv.Quote(p.k)+"]")
		}
		dst = append(dst, ':')
		if dst, err = c.appendValue(dst, p.v, depth+1); err != nil {
			return dst, wrapPath(err, "["+strconv.Quote(p.k)+"]")
		}
	}
	return append(dst, '}'), nil
}

// appendExt writes v through the Fallback as {"$type":name,"$value":data}
// or {"$type":name,"$base64":data}. The Fallback appends its data first,
// at the end of dst; the object is then built around it.
func (c JSONCodec) appendExt(dst []byte, v any, depth int) ([]byte, error) {
	name, out, err := appendFallback(c.Fallback, dst, v)
	if err != nil {
		return dst, err
	}
	mark := len(dst)
	if strings.HasPrefix(name, "$") {
		return dst, valueError(v, fmt.Errorf("%w: Fallback name %q starts with '$', which is reserved", ErrUnsupportedType, name))
	}
	data := out[mark:]
	// Embedded as it is only if Decode reads it back as it is: JSON that
	// this decoder accepts (encoding/json's Valid takes invalid UTF-8 in
	// strings and numbers beyond float64), at the depth it will be read
	// at, without objects a Fallback would have to decode, and without
	// surrounding white space (Decode hands over the value's text only).
	raw := len(data) > 0 && !isJSONSpace(data[0]) && !isJSONSpace(data[len(data)-1]) && decodable(data, depth+1)
	// The data is copied once, behind the object's head, then moved into
	// place: the head's length is known only now.
	n := len(data)
	head := []byte(`{"$type":`)
	if head, err = appendJSONString(head, name); err != nil {
		return dst, valueError(v, err)
	}
	if raw {
		head = append(head, `,"$value":`...)
		out = append(out, head...)
		copy(out[mark+len(head):], out[mark:mark+n])
		copy(out[mark:], head)
		return append(out, '}'), nil
	}
	head = append(head, `,"$base64":"`...)
	enc := base64.StdEncoding.EncodedLen(n)
	tmp := append([]byte(nil), data...)
	out = append(out[:mark], head...)
	out = append(out, make([]byte, enc)...)
	base64.StdEncoding.Encode(out[mark+len(head):], tmp)
	return append(out, `"}`...), nil
}

// mapTypeName is the "$type" of a map that would otherwise read back as a
// Fallback's value; Fallback names may not start with '$'.
const mapTypeName = "$map"

// extShaped reports whether Decode would take the map m for a Fallback's
// value.
func extShaped(m map[string]any) bool {
	if len(m) != 2 {
		return false
	}
	if _, ok := m["$type"].(string); !ok {
		return false
	}
	_, hasRaw := m["$value"]
	_, isB64 := m["$base64"].(string)
	return hasRaw || isB64
}

// decodable reports whether data is one JSON value that Decode reads
// without a Fallback at depth.
func decodable(data []byte, depth int) bool {
	d := jsonDecoder{data: data}
	_, err := d.value(depth)
	return err == nil && d.pos == len(data)
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// appendJSONFloat writes f as encoding/json does ('f' between 1e-6 and
// 1e21, else 'e' with a short exponent), plus ".0" when the text would read
// back as an integer.
func appendJSONFloat(dst []byte, f float64, bits int, v any) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, valueError(v, ErrUnsupportedValue)
	}
	start := len(dst)
	fmtc := byte('f')
	if a := math.Abs(f); a != 0 && (bits == 64 && (a < 1e-6 || a >= 1e21) || bits == 32 && (float32(a) < 1e-6 || float32(a) >= 1e21)) {
		fmtc = 'e'
	}
	dst = strconv.AppendFloat(dst, f, fmtc, -1, bits)
	if fmtc == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		if n := len(dst); n-start >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
		return dst, nil
	}
	for _, c := range dst[start:] {
		if c == '.' {
			return dst, nil
		}
	}
	return append(dst, ".0"...), nil
}

// appendJSONString writes s as a JSON string: '"', '\\' and control
// characters escaped, everything else (valid UTF-8) as it is; invalid UTF-8
// is ErrUnsupportedValue.
func appendJSONString(dst []byte, s string) ([]byte, error) {
	start := len(dst)
	dst = append(dst, '"')
	run := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return dst[:start], ErrUnsupportedValue
			}
			i += n
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[run:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexLower[c>>4], hexLower[c&15])
		}
		i++
		run = i
	}
	dst = append(dst, s[run:]...)
	return append(dst, '"'), nil
}

const hexLower = "0123456789abcdef"

// Decode implements [Codec]. Its allocations are those of BinaryCodec's
// Decode (strings without escapes are slices of one copy of the payload,
// values are boxed from chunks), plus one for each string with escapes, and
// one for each array and object (an array's first allocation has room for
// 8 elements). See BenchmarkDecode and TestDecodeAllocs.
func (c JSONCodec) Decode(data []byte) (args []any, kwargs map[string]any, err error) {
	d := jsonDecoder{data: data, fb: c.Fallback}
	d.space()
	if err := d.expect('{'); err != nil {
		return nil, nil, err
	}
	seenArgs, seenKwargs := false, false
	d.space()
	if d.peek() == '}' {
		d.pos++
	} else {
		for {
			d.space()
			at := d.pos
			key, err := d.string()
			if err != nil {
				return nil, nil, err
			}
			d.space()
			if err := d.expect(':'); err != nil {
				return nil, nil, err
			}
			d.space()
			switch {
			case key == "args" && !seenArgs:
				seenArgs = true
				if d.peek() == 'n' {
					if _, err := d.value(0); err != nil {
						return nil, nil, err
					}
					break
				}
				if d.peek() != '[' {
					return nil, nil, d.fail(ErrMalformed, `"args" must be an array`)
				}
				if args, err = d.array(-1); err != nil { // elements at depth 0, as in AppendEncode
					return nil, nil, err
				}
			case key == "kwargs" && !seenKwargs:
				seenKwargs = true
				if d.peek() == 'n' {
					if _, err := d.value(0); err != nil {
						return nil, nil, err
					}
					break
				}
				if d.peek() != '{' {
					return nil, nil, d.fail(ErrMalformed, `"kwargs" must be an object`)
				}
				d.pos++
				m, info, err := d.object(0)
				if err != nil {
					return nil, nil, err
				}
				if kwargs, err = d.plain(m, info); err != nil {
					return nil, nil, err
				}
			default:
				d.pos = at
				if key == "args" || key == "kwargs" {
					return nil, nil, d.fail(ErrMalformed, "duplicate field "+strconv.Quote(key))
				}
				return nil, nil, d.fail(ErrMalformed, "unknown field "+strconv.Quote(key)+`: want "args" and "kwargs"`)
			}
			d.space()
			if d.peek() == ',' {
				d.pos++
				continue
			}
			if err := d.expect('}'); err != nil {
				return nil, nil, err
			}
			break
		}
	}
	d.space()
	if d.pos != len(data) {
		return nil, nil, d.fail(ErrMalformed, "data after the object")
	}
	if len(args) == 0 {
		args = nil
	}
	if len(kwargs) == 0 {
		kwargs = nil
	}
	return args, kwargs, nil
}

// jsonDecoder reads JSON.
type jsonDecoder struct {
	data []byte
	pos  int
	fb   Fallback
	// str is a copy of data[strBase:], made at the first string, which
	// every later string without escapes is a slice of.
	str     string
	strBase int
	a       arena
}

func (d *jsonDecoder) fail(err error, detail string) error {
	return &DecodeError{Offset: d.pos, Err: err, Detail: detail}
}

func (d *jsonDecoder) space() {
	for d.pos < len(d.data) && isJSONSpace(d.data[d.pos]) {
		d.pos++
	}
}

func (d *jsonDecoder) peek() byte {
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

func (d *jsonDecoder) expect(c byte) error {
	if d.pos >= len(d.data) {
		return d.fail(ErrTruncated, "want "+strconv.QuoteRune(rune(c)))
	}
	if d.data[d.pos] != c {
		return d.fail(ErrMalformed, "want "+strconv.QuoteRune(rune(c))+", found "+strconv.QuoteRune(rune(d.data[d.pos])))
	}
	d.pos++
	return nil
}

func (d *jsonDecoder) literal(lit string, v any) (any, error) {
	if len(d.data)-d.pos < len(lit) {
		return nil, d.fail(ErrTruncated, "want "+lit)
	}
	if string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return nil, d.fail(ErrMalformed, "want "+lit)
	}
	d.pos += len(lit)
	return v, nil
}

// value reads one value; the caller has skipped white space.
func (d *jsonDecoder) value(depth int) (any, error) {
	switch c := d.peek(); {
	case c == 'n':
		return d.literal("null", nil)
	case c == 't':
		return d.literal("true", true)
	case c == 'f':
		return d.literal("false", false)
	case c == '"':
		s, err := d.string()
		if err != nil {
			return nil, err
		}
		return d.a.boxString(s), nil
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case c == '[':
		l, err := d.array(depth)
		if err != nil {
			return nil, err
		}
		return l, nil
	case c == '{':
		if depth == MaxDepth {
			return nil, d.fail(ErrTooDeep, "")
		}
		at := d.pos
		d.pos++
		m, info, err := d.object(depth + 1)
		if err != nil {
			return nil, err
		}
		return d.maybeExt(m, info, at)
	case d.pos >= len(d.data):
		return nil, d.fail(ErrTruncated, "want a value")
	}
	return nil, d.fail(ErrMalformed, "unexpected "+strconv.QuoteRune(rune(d.data[d.pos])))
}

// array reads an array at depth, its elements at depth+1; the caller has
// checked that it starts with '['.
func (d *jsonDecoder) array(depth int) ([]any, error) {
	if depth == MaxDepth {
		return nil, d.fail(ErrTooDeep, "")
	}
	d.pos++
	d.space()
	if d.peek() == ']' {
		d.pos++
		return []any{}, nil
	}
	// Room for 8 elements at first: one allocation for the usual short
	// argument lists (a scratch stack copied out would escape to the heap
	// too, one more allocation).
	l := make([]any, 0, 8)
	for {
		d.space()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		l = append(l, v)
		d.space()
		if d.peek() == ',' {
			d.pos++
			continue
		}
		return l, d.expect(']')
	}
}

// object reads the members of an object after its '{'. A "$value" member
// is special: a Fallback may want its text, and when it is an object
// whether that object is a Fallback's value depends on the enclosing
// object ({"$type":"$map","$value":{...}} holds a map as it is), so it is
// left for maybeExt or plain to decide (see objInfo).
func (d *jsonDecoder) object(depth int) (m map[string]any, info objInfo, err error) {
	m = map[string]any{}
	d.space()
	if d.peek() == '}' {
		d.pos++
		return m, info, nil
	}
	for {
		d.space()
		at := d.pos
		k, err := d.string()
		if err != nil {
			return nil, info, err
		}
		if _, dup := m[k]; dup {
			d.pos = at
			return nil, info, d.fail(ErrMalformed, "duplicate key "+strconv.Quote(k))
		}
		d.space()
		if err := d.expect(':'); err != nil {
			return nil, info, err
		}
		d.space()
		vstart := d.pos
		if k == "$value" && d.peek() == '{' {
			if depth == MaxDepth {
				return nil, info, d.fail(ErrTooDeep, "")
			}
			d.pos++
			inner, innerInfo, err := d.object(depth + 1)
			if err != nil {
				return nil, info, err
			}
			info.inner = &pendingObject{m: inner, info: innerInfo, at: vstart}
			m[k] = nil // a placeholder until maybeExt or plain
		} else if m[k], err = d.value(depth); err != nil {
			return nil, info, err
		}
		if k == "$value" {
			info.raw = d.data[vstart:d.pos]
		}
		d.space()
		if d.peek() == ',' {
			d.pos++
			continue
		}
		return m, info, d.expect('}')
	}
}

// objInfo is what object leaves undecided about an object's "$value"
// member: its text, and the member itself when it is an object.
type objInfo struct {
	raw   []byte
	inner *pendingObject
}

// pendingObject is an object read but not yet checked for being a
// Fallback's value.
type pendingObject struct {
	m    map[string]any
	info objInfo
	at   int
}

// plain returns m as a map, deciding its "$value" member if that is a
// pending object.
func (d *jsonDecoder) plain(m map[string]any, info objInfo) (map[string]any, error) {
	if p := info.inner; p != nil {
		v, err := d.maybeExt(p.m, p.info, p.at)
		if err != nil {
			return nil, err
		}
		m["$value"] = v
	}
	return m, nil
}

// maybeExt turns {"$type":name,"$value":raw} and {"$type":name,"$base64":s}
// into the Fallback's value, and {"$type":"$map","$value":m} into m; other
// objects stay maps.
func (d *jsonDecoder) maybeExt(m map[string]any, info objInfo, at int) (any, error) {
	name, named := m["$type"].(string)
	if named && len(m) == 2 {
		var data []byte
		_, hasRaw := m["$value"]
		b64, isB64 := m["$base64"].(string)
		if name == mapTypeName && hasRaw {
			if p := info.inner; p != nil {
				return d.plain(p.m, p.info)
			}
			return nil, &DecodeError{Offset: at, Err: ErrMalformed, Detail: `"$map" without an object`}
		}
		switch {
		case hasRaw:
			data = info.raw
		case isB64:
			var err error
			if data, err = base64.StdEncoding.DecodeString(b64); err != nil {
				return nil, &DecodeError{Offset: at, Err: ErrMalformed, Detail: "$base64: " + err.Error()}
			}
		}
		if hasRaw || isB64 {
			if d.fb == nil {
				return nil, &DecodeError{Offset: at, Err: ErrUnsupportedType, Detail: "no Fallback for a value encoded as " + strconv.Quote(name)}
			}
			v, err := d.fb.DecodeValue(name, data)
			if err != nil {
				return nil, &DecodeError{Offset: at, Err: err, Detail: "Fallback for " + strconv.Quote(name)}
			}
			return v, nil
		}
	}
	return d.plain(m, info)
}

// string reads a string; the caller has skipped white space.
func (d *jsonDecoder) string() (string, error) {
	if err := d.expect('"'); err != nil {
		return "", err
	}
	start := d.pos
	for i := start; i < len(d.data); {
		c := d.data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			if i == start {
				return "", nil
			}
			if d.str == "" {
				d.str, d.strBase = string(d.data[start:]), start
			}
			return d.str[start-d.strBase : i-d.strBase], nil
		case c == '\\':
			d.pos = i
			return d.escaped(start)
		case c < 0x20:
			d.pos = i
			return "", d.fail(ErrMalformed, "control character in a string")
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(d.data[i:])
			if r == utf8.RuneError && n == 1 {
				d.pos = i
				return "", d.fail(ErrMalformed, "invalid UTF-8 in a string")
			}
			i += n
		default:
			i++
		}
	}
	d.pos = len(d.data)
	return "", d.fail(ErrTruncated, "unterminated string")
}

// escaped reads the rest of a string that has an escape at d.pos.
func (d *jsonDecoder) escaped(start int) (string, error) {
	b := append([]byte(nil), d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(b), nil
		case c < 0x20:
			return "", d.fail(ErrMalformed, "control character in a string")
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(d.data[d.pos:])
			if r == utf8.RuneError && n == 1 {
				return "", d.fail(ErrMalformed, "invalid UTF-8 in a string")
			}
			b = append(b, d.data[d.pos:d.pos+n]...)
			d.pos += n
		case c != '\\':
			b = append(b, c)
			d.pos++
		default:
			if d.pos+1 >= len(d.data) {
				return "", d.fail(ErrTruncated, "in an escape")
			}
			e := d.data[d.pos+1]
			d.pos += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, err := d.hex4()
				if err != nil {
					return "", err
				}
				if utf16IsSurrogate(r) {
					// a high surrogate must be followed by \u and a low one
					lo := rune(-1)
					if r < 0xdc00 && d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
						d.pos += 2
						if lo, err = d.hex4(); err != nil {
							return "", err
						}
					}
					if lo < 0xdc00 || lo > 0xdfff {
						return "", d.fail(ErrMalformed, "unpaired surrogate in a \\u escape")
					}
					r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
				}
				b = utf8.AppendRune(b, r)
			default:
				d.pos -= 2
				return "", d.fail(ErrMalformed, "unknown escape "+strconv.QuoteRune(rune(e)))
			}
		}
	}
	return "", d.fail(ErrTruncated, "unterminated string")
}

func utf16IsSurrogate(r rune) bool { return r >= 0xd800 && r <= 0xdfff }

func (d *jsonDecoder) hex4() (rune, error) {
	if len(d.data)-d.pos < 4 {
		return 0, d.fail(ErrTruncated, "in a \\u escape")
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, d.fail(ErrMalformed, "bad hex digit in a \\u escape")
		}
		r = r<<4 | rune(v)
	}
	d.pos += 4
	return r, nil
}

// number reads a JSON number: an integer literal as int (uint64 above the
// largest int64, float64 beyond), anything with a fraction or exponent as
// float64.
func (d *jsonDecoder) number() (any, error) {
	start := d.pos
	i := d.pos
	if i < len(d.data) && d.data[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(d.data) && d.data[i] >= '0' && d.data[i] <= '9' {
			i++
			n++
		}
		return n
	}
	intStart := i
	if digits() == 0 {
		d.pos = i
		return nil, d.fail(ErrMalformed, "want a digit")
	}
	if d.data[intStart] == '0' && i-intStart > 1 {
		d.pos = intStart
		return nil, d.fail(ErrMalformed, "leading zero in a number")
	}
	isFloat := false
	if i < len(d.data) && d.data[i] == '.' {
		i++
		isFloat = true
		if digits() == 0 {
			d.pos = i
			return nil, d.fail(ErrMalformed, "want a digit after '.'")
		}
	}
	if i < len(d.data) && (d.data[i] == 'e' || d.data[i] == 'E') {
		i++
		isFloat = true
		if i < len(d.data) && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		if digits() == 0 {
			d.pos = i
			return nil, d.fail(ErrMalformed, "want a digit in the exponent")
		}
	}
	d.pos = i
	text := d.data[start:i]
	if !isFloat {
		if v, err := strconv.ParseInt(string(text), 10, 64); err == nil {
			if strconv.IntSize == 32 && int64(int(v)) != v {
				return boxWord(&d.a, typInt64, v, false), nil
			}
			return d.a.boxInt(v), nil
		}
		if v, err := strconv.ParseUint(string(text), 10, 64); err == nil {
			return boxWord(&d.a, typUint64, v, false), nil
		}
	}
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil && !isRangeErr(err) {
		d.pos = start
		return nil, d.fail(ErrMalformed, err.Error())
	}
	if math.IsInf(f, 0) {
		d.pos = start
		return nil, d.fail(ErrMalformed, "number out of range for float64")
	}
	return d.a.boxFloat64(f), nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
