package wire

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"time"
	"unsafe"
)

// BinaryCodec is the compact typed encoding. Every value keeps its Go type
// across a round trip: nil, bool, int, int8, int16, int32, int64, uint,
// uint8, uint16, uint32, uint64, uintptr, float32, float64 (bit for bit,
// NaN payloads and -0 included), string (any bytes), []byte, time.Time,
// time.Duration, and []any and map[string]any holding such values (nil
// slices and maps stay nil, empty ones empty). A time.Time keeps its
// instant to the nanosecond and its zone: UTC comes back as time.UTC (and
// so does a zone named "UTC" at offset 0, such as Local where Local is
// UTC), any other location as a fixed zone with the same name and offset at
// that instant (so Format prints the same), and the monotonic clock reading is
// dropped, as by t.Round(0). Other types go to Fallback; with none they are
// an error.
//
// The format: a version byte (1), the number of positional arguments
// (uvarint) and each value, the number of keyword arguments and each name
// (uvarint length, bytes) and value, in name order so that equal arguments
// give equal bytes. A value is a tag byte and its data: integers as
// (zig-zag) varints except the one-byte int8 and uint8, floats as their
// IEEE bits little-endian, strings and []byte as a uvarint length and the
// bytes (length+1 for []byte, lists and maps, 0 for nil), times as Unix
// seconds and nanoseconds (and the zone's offset and name), a Fallback's
// value as its name, the length of its data and the data. Decode refuses
// what AppendEncode does not write: unknown versions and tags, integers out
// of their type's range, keyword names out of order or repeated, trailing
// bytes.
type BinaryCodec struct {
	// Fallback encodes the values of other types; nil: they are an error.
	Fallback Fallback
}

const binaryVersion = 1

// Value tags of the binary encoding. Append only: they are the format.
const (
	tagNil byte = iota
	tagFalse
	tagTrue
	tagInt
	tagInt8
	tagInt16
	tagInt32
	tagInt64
	tagUint
	tagUint8
	tagUint16
	tagUint32
	tagUint64
	tagUintptr
	tagFloat32
	tagFloat64
	tagString
	tagBytes
	tagTimeUTC
	tagTimeZone
	tagDuration
	tagList
	tagMap
	tagExt
	numTags
)

// ContentType returns "application/x-eventengine-v1".
func (BinaryCodec) ContentType() string { return "application/x-eventengine-v1" }

// AppendEncode implements [Codec]. With a reused dst that has room it
// makes no allocation for the common types and up to 16 keyword arguments
// (and keys in each nested map) (BenchmarkEncode/binary).
func (c BinaryCodec) AppendEncode(dst []byte, args []any, kwargs map[string]any) ([]byte, error) {
	start := len(dst)
	dst = append(dst, binaryVersion)
	dst = binary.AppendUvarint(dst, uint64(len(args)))
	var err error
	for i, a := range args {
		if dst, err = c.appendValue(dst, a, 0); err != nil {
			return dst[:start], argError(err, i, "")
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(kwargs)))
	if len(kwargs) == 0 {
		return dst, nil
	}
	var pbuf [16]pair
	for _, p := range sortedPairs(kwargs, pbuf[:]) {
		k := p.k
		dst = appendString(dst, k)
		if dst, err = c.appendValue(dst, p.v, 0); err != nil {
			return dst[:start], argError(err, -1, k)
		}
	}
	return dst, nil
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendZigzag(dst []byte, v int64) []byte {
	return binary.AppendUvarint(dst, uint64(v<<1)^uint64(v>>63))
}

func (c BinaryCodec) appendValue(dst []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, tagNil), nil
	case bool:
		if x {
			return append(dst, tagTrue), nil
		}
		return append(dst, tagFalse), nil
	case int:
		return appendZigzag(append(dst, tagInt), int64(x)), nil
	case int8:
		return append(dst, tagInt8, byte(x)), nil
	case int16:
		return appendZigzag(append(dst, tagInt16), int64(x)), nil
	case int32:
		return appendZigzag(append(dst, tagInt32), int64(x)), nil
	case int64:
		return appendZigzag(append(dst, tagInt64), x), nil
	case uint:
		return binary.AppendUvarint(append(dst, tagUint), uint64(x)), nil
	case uint8:
		return append(dst, tagUint8, x), nil
	case uint16:
		return binary.AppendUvarint(append(dst, tagUint16), uint64(x)), nil
	case uint32:
		return binary.AppendUvarint(append(dst, tagUint32), uint64(x)), nil
	case uint64:
		return binary.AppendUvarint(append(dst, tagUint64), x), nil
	case uintptr:
		return binary.AppendUvarint(append(dst, tagUintptr), uint64(x)), nil
	case float32:
		return binary.LittleEndian.AppendUint32(append(dst, tagFloat32), math.Float32bits(x)), nil
	case float64:
		return binary.LittleEndian.AppendUint64(append(dst, tagFloat64), math.Float64bits(x)), nil
	case string:
		return appendString(append(dst, tagString), x), nil
	case []byte:
		dst = append(dst, tagBytes)
		if x == nil {
			return append(dst, 0), nil
		}
		dst = binary.AppendUvarint(dst, uint64(len(x))+1)
		return append(dst, x...), nil
	case time.Duration:
		return appendZigzag(append(dst, tagDuration), int64(x)), nil
	case time.Time:
		if x.Location() == time.UTC {
			dst = appendZigzag(append(dst, tagTimeUTC), x.Unix())
			return binary.AppendUvarint(dst, uint64(x.Nanosecond())), nil
		}
		name, off := x.Zone()
		dst = appendZigzag(append(dst, tagTimeZone), x.Unix())
		dst = binary.AppendUvarint(dst, uint64(x.Nanosecond()))
		dst = appendZigzag(dst, int64(off))
		return appendString(dst, name), nil
	case []any:
		if depth == MaxDepth {
			return dst, valueError(v, ErrTooDeep)
		}
		dst = append(dst, tagList)
		if x == nil {
			return append(dst, 0), nil
		}
		dst = binary.AppendUvarint(dst, uint64(len(x))+1)
		var err error
		for i, e := range x {
			if dst, err = c.appendValue(dst, e, depth+1); err != nil {
				return dst, wrapPath(err, "["+strconv.Itoa(i)+"]")
			}
		}
		return dst, nil
	case map[string]any:
		if depth == MaxDepth {
			return dst, valueError(v, ErrTooDeep)
		}
		dst = append(dst, tagMap)
		if x == nil {
			return append(dst, 0), nil
		}
		dst = binary.AppendUvarint(dst, uint64(len(x))+1)
		var pbuf [16]pair
		var err error
		for _, p := range sortedPairs(x, pbuf[:]) {
			k := p.k
			dst = appendString(dst, k)
			if dst, err = c.appendValue(dst, p.v, depth+1); err != nil {
				return dst, wrapPath(err, "["+strconv.Quote(k)+"]")
			}
		}
		return dst, nil
	}
	return c.appendExt(dst, v)
}

// appendExt encodes v with the Fallback: tagExt, the name, the length of
// the data and the data. The Fallback appends the data first; the header
// is then slid in before it.
func (c BinaryCodec) appendExt(dst []byte, v any) ([]byte, error) {
	name, out, err := appendFallback(c.Fallback, dst, v)
	if err != nil {
		return dst, err
	}
	mark := len(dst)
	n := len(out) - mark
	var hbuf [1 + 2*binary.MaxVarintLen64 + 32]byte
	h := append(hbuf[:0], tagExt)
	h = appendString(h, name)
	h = binary.AppendUvarint(h, uint64(n))
	out = append(out, h...) // room for the header
	copy(out[mark+len(h):], out[mark:mark+n])
	copy(out[mark:], h)
	return out, nil
}

// Decode implements [Codec]. Its allocations: the args slice, the kwargs
// map, one copy of the payload from its first string on (which every
// string and key shares), one copy from its first []byte on (which every
// []byte shares, each capped at its length), and the chunks the values are
// boxed from: one for the first 4 integers above 255, floats and durations,
// one for the next 8 and so on doubling, likewise for strings (from 4) and
// times (from 2); nil, bools and small integers are free. Each []byte and
// nested list or map costs one or two more, and a zone not seen before
// one. See BenchmarkDecode and TestDecodeAllocs.
func (c BinaryCodec) Decode(data []byte) (args []any, kwargs map[string]any, err error) {
	return c.decode(data, false)
}

// DecodeOwned is Decode for a payload the caller hands over: the strings,
// keys and []byte values it decodes are views of data instead of a copy,
// so data must not change afterwards. nats.go gives every message a
// payload of its own, which the bridge's importer hands over this way
// (BenchmarkDecode/binary-owned: one allocation and one copy fewer).
func (c BinaryCodec) DecodeOwned(data []byte) (args []any, kwargs map[string]any, err error) {
	return c.decode(data, true)
}

// OwnedDecoder is a Codec that can decode a payload the caller hands over
// without copying its strings (see BinaryCodec.DecodeOwned).
type OwnedDecoder interface {
	DecodeOwned(data []byte) (args []any, kwargs map[string]any, err error)
}

func (c BinaryCodec) decode(data []byte, owned bool) (args []any, kwargs map[string]any, err error) {
	d := binDecoder{data: data, fb: c.Fallback}
	if owned && len(data) > 0 {
		// Every string and []byte is then a view of data itself.
		d.str, d.bytes = unsafe.String(unsafe.SliceData(data), len(data)), data
	}
	if len(data) == 0 {
		return nil, nil, d.fail(ErrTruncated, "empty payload")
	}
	if data[0] != binaryVersion {
		return nil, nil, d.fail(ErrMalformed, "unknown version "+strconv.Itoa(int(data[0])))
	}
	d.pos = 1
	n, err := d.count(1)
	if err != nil {
		return nil, nil, err
	}
	if n > 0 {
		args = d.a.start(n)
		for i := range args {
			if args[i], err = d.value(0); err != nil {
				return nil, nil, err
			}
		}
	}
	if n, err = d.count(2); err != nil {
		return nil, nil, err
	}
	if n > 0 {
		if kwargs, err = d.pairs(n, 0); err != nil {
			return nil, nil, err
		}
	}
	if d.pos != len(data) {
		return nil, nil, d.fail(ErrMalformed, strconv.Itoa(len(data)-d.pos)+" bytes after the arguments")
	}
	return args, kwargs, nil
}

var errFallbackShrank = errors.New("Fallback.AppendValue returned a buffer shorter than the one it was given")

// binDecoder reads a binary payload.
type binDecoder struct {
	data []byte
	pos  int
	fb   Fallback
	// str is a copy of data[strBase:], made at the first string, which
	// every later string and key is a slice of; bytes likewise for []byte.
	str       string
	strBase   int
	bytes     []byte
	bytesBase int
	a         arena
}

func (d *binDecoder) fail(err error, detail string) error {
	return &DecodeError{Offset: d.pos, Err: err, Detail: detail}
}

func (d *binDecoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.data[d.pos:])
	if n <= 0 {
		if n == 0 {
			return 0, d.fail(ErrTruncated, "in a varint")
		}
		return 0, d.fail(ErrMalformed, "varint overflows 64 bits")
	}
	d.pos += n
	return v, nil
}

func (d *binDecoder) varint() (int64, error) {
	u, err := d.uvarint()
	return int64(u>>1) ^ -int64(u&1), err
}

// count reads a number of elements that take at least min bytes each, so a
// garbage count cannot make Decode allocate more than the payload warrants.
func (d *binDecoder) count(min int) (int, error) {
	at := d.pos
	n, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if n > uint64(len(d.data)-d.pos)/uint64(min) {
		d.pos = at
		return 0, d.fail(ErrTruncated, "count "+strconv.FormatUint(n, 10)+" exceeds the remaining bytes")
	}
	return int(n), nil
}

// span reads a length and returns the offsets of that many bytes.
func (d *binDecoder) span(n uint64) (int, int, error) {
	if n > uint64(len(d.data)-d.pos) {
		return 0, 0, d.fail(ErrTruncated, "length "+strconv.FormatUint(n, 10)+" exceeds the remaining bytes")
	}
	a := d.pos
	d.pos += int(n)
	return a, d.pos, nil
}

func (d *binDecoder) string() (string, error) {
	n, err := d.uvarint()
	if err != nil {
		return "", err
	}
	a, b, err := d.span(n)
	if err != nil {
		return "", err
	}
	if a == b {
		return "", nil
	}
	if d.str == "" {
		d.str, d.strBase = string(d.data[a:]), a
	}
	return d.str[a-d.strBase : b-d.strBase], nil
}

func (d *binDecoder) fixed(n int) ([]byte, error) {
	if len(d.data)-d.pos < n {
		return nil, d.fail(ErrTruncated, "want "+strconv.Itoa(n)+" bytes")
	}
	d.pos += n
	return d.data[d.pos-n : d.pos], nil
}

// intN reads a zig-zag varint that must fit in bits bits.
func (d *binDecoder) intN(bits uint) (int64, error) {
	at := d.pos
	v, err := d.varint()
	if err == nil && bits < 64 && (v < -1<<(bits-1) || v >= 1<<(bits-1)) {
		d.pos = at
		err = d.fail(ErrMalformed, strconv.FormatInt(v, 10)+" out of range for int"+strconv.Itoa(int(bits)))
	}
	return v, err
}

// uintN reads a uvarint that must fit in bits bits.
func (d *binDecoder) uintN(bits uint) (uint64, error) {
	at := d.pos
	v, err := d.uvarint()
	if err == nil && bits < 64 && v >= 1<<bits {
		d.pos = at
		err = d.fail(ErrMalformed, strconv.FormatUint(v, 10)+" out of range for uint"+strconv.Itoa(int(bits)))
	}
	return v, err
}

func (d *binDecoder) value(depth int) (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.fail(ErrTruncated, "want a value")
	}
	tag := d.data[d.pos]
	d.pos++
	switch tag {
	case tagNil:
		return nil, nil
	case tagFalse:
		return false, nil
	case tagTrue:
		return true, nil
	case tagInt:
		v, err := d.intN(strconv.IntSize)
		if err != nil {
			return nil, err
		}
		return d.a.boxInt(v), nil
	case tagInt8:
		b, err := d.fixed(1)
		if err != nil {
			return nil, err
		}
		return int8(b[0]), nil
	case tagInt16:
		v, err := d.intN(16)
		if err != nil {
			return nil, err
		}
		return boxWord(&d.a, typInt16, int16(v), uint64(v) < 256), nil
	case tagInt32:
		v, err := d.intN(32)
		if err != nil {
			return nil, err
		}
		return boxWord(&d.a, typInt32, int32(v), uint64(v) < 256), nil
	case tagInt64:
		v, err := d.intN(64)
		if err != nil {
			return nil, err
		}
		return boxWord(&d.a, typInt64, v, uint64(v) < 256), nil
	case tagUint:
		v, err := d.uintN(strconv.IntSize)
		if err != nil {
			return nil, err
		}
		return boxWord(&d.a, typUint, uint(v), v < 256), nil
	case tagUint8:
		b, err := d.fixed(1)
		if err != nil {
			return nil, err
		}
		return b[0], nil
	case tagUint16:
		v, err := d.uintN(16)
		if err != nil {
			return nil, err
		}
		return boxWord(&d.a, typUint16, uint16(v), v < 256), nil
	case tagUint32:
		v, err := d.uintN(32)
		if err != nil {
			return nil, err
		}
		return boxWord(&d.a, typUint32, uint32(v), v < 256), nil
	case tagUint64:
		v, err := d.uintN(64)
		if err != nil {
			return nil, err
		}
		return boxWord(&d.a, typUint64, v, v < 256), nil
	case tagUintptr:
		v, err := d.uintN(strconv.IntSize)
		if err != nil {
			return nil, err
		}
		return boxWord(&d.a, typUintptr, uintptr(v), v < 256), nil
	case tagFloat32:
		b, err := d.fixed(4)
		if err != nil {
			return nil, err
		}
		return boxWord(&d.a, typFloat32, math.Float32frombits(binary.LittleEndian.Uint32(b)), false), nil
	case tagFloat64:
		b, err := d.fixed(8)
		if err != nil {
			return nil, err
		}
		return d.a.boxFloat64(math.Float64frombits(binary.LittleEndian.Uint64(b))), nil
	case tagString:
		str, err := d.string()
		if err != nil {
			return nil, err
		}
		return d.a.boxString(str), nil
	case tagBytes:
		n, err := d.uvarint()
		if err != nil || n == 0 {
			return []byte(nil), err
		}
		a, b, err := d.span(n - 1)
		if err != nil {
			return nil, err
		}
		if a == b {
			return []byte{}, nil // not a slice of d.bytes, which may be nil at the end of data
		}
		if d.bytes == nil {
			d.bytes, d.bytesBase = append([]byte(nil), d.data[a:]...), a
		}
		return d.bytes[a-d.bytesBase : b-d.bytesBase : b-d.bytesBase], nil
	case tagDuration:
		v, err := d.intN(64)
		if err != nil {
			return nil, err
		}
		return boxWord(&d.a, typDuration, time.Duration(v), uint64(v) < 256), nil
	case tagTimeUTC, tagTimeZone:
		return d.time(tag)
	case tagList:
		if depth == MaxDepth {
			return nil, d.fail(ErrTooDeep, "")
		}
		n, err := d.uvarint()
		if err != nil || n == 0 {
			return []any(nil), err
		}
		if n-1 > uint64(len(d.data)-d.pos) {
			return nil, d.fail(ErrTruncated, "list longer than the payload")
		}
		l := make([]any, n-1)
		for i := range l {
			if l[i], err = d.value(depth + 1); err != nil {
				return nil, err
			}
		}
		return l, nil
	case tagMap:
		if depth == MaxDepth {
			return nil, d.fail(ErrTooDeep, "")
		}
		n, err := d.uvarint()
		if err != nil || n == 0 {
			return map[string]any(nil), err
		}
		if n-1 > uint64(len(d.data)-d.pos)/2 {
			return nil, d.fail(ErrTruncated, "map longer than the payload")
		}
		return d.pairs(int(n-1), depth+1)
	case tagExt:
		return d.ext()
	}
	d.pos--
	return nil, d.fail(ErrMalformed, "unknown tag "+strconv.Itoa(int(tag)))
}

// pairs reads n names and values into a new map; names must be in strictly
// increasing order, as AppendEncode writes them, so no name appears twice.
func (d *binDecoder) pairs(n, depth int) (map[string]any, error) {
	m := make(map[string]any, n)
	prev := ""
	for i := range n {
		at := d.pos
		k, err := d.string()
		if err != nil {
			return nil, err
		}
		if i > 0 && k <= prev {
			d.pos = at
			return nil, d.fail(ErrMalformed, "keyword "+strconv.Quote(k)+" out of order or repeated")
		}
		prev = k
		if m[k], err = d.value(depth); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (d *binDecoder) time(tag byte) (any, error) {
	at := d.pos - 1
	sec, err := d.varint()
	if err != nil {
		return nil, err
	}
	nsec, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	if nsec >= 1e9 {
		d.pos = at
		return nil, d.fail(ErrMalformed, "nanoseconds "+strconv.FormatUint(nsec, 10)+" out of range")
	}
	t := time.Unix(sec, int64(nsec))
	if tag == tagTimeUTC {
		return d.a.boxTime(t.UTC()), nil
	}
	off, err := d.intN(32)
	if err != nil {
		return nil, err
	}
	name, err := d.string()
	if err != nil {
		return nil, err
	}
	return d.a.boxTime(t.In(fixedZone(name, int(off)))), nil
}

func (d *binDecoder) ext() (any, error) {
	at := d.pos - 1
	name, err := d.string()
	if err != nil {
		return nil, err
	}
	n, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	a, b, err := d.span(n)
	if err != nil {
		return nil, err
	}
	if d.fb == nil {
		d.pos = at
		return nil, d.fail(ErrUnsupportedType, "no Fallback for a value encoded as "+strconv.Quote(name))
	}
	v, err := d.fb.DecodeValue(name, d.data[a:b:b])
	if err != nil {
		d.pos = at
		return nil, &DecodeError{Offset: at, Err: err, Detail: "Fallback for " + strconv.Quote(name)}
	}
	return v, nil
}
