// Package topic implements the topic language of eventengine: dot-separated
// topics whose parts are exact literals, named wildcards, ranges and regular
// expressions, and the wildcards * and > as NATS spells them.
//
//	Market.Data.AAPL               exact
//	Market.Data.{symbol}           named wildcard (also written +symbol)
//	Market.(Equity|Futures).Trade  range: one of the options
//	Market.Data./^[A-Z]{4}$/       pattern: the regular expression finds a match
//	Market.*.AAPL                  star: any one part, bound to no name
//	Market.>                       rest: one or more parts (not Market itself)
//
// # Syntax
//
// A topic is a non-empty sequence of parts separated by '.', at most MaxLen
// bytes and MaxParts parts. A part is:
//
//   - exact: a literal. It may not be empty, may not contain '.', '{', '}',
//     '(', ')' or '|', may not start with '/' or '+', and may not contain
//     control characters or invalid UTF-8.
//   - any: {name} or +name, where name is one or more letters, digits
//     (Unicode: {操作} and +操作 are valid), '_' and '-'. Both spellings are
//     the same part, written {name}. A name may appear only once in a topic
//     (ErrDuplicate, at the offset of the second).
//   - range: (a|b|c), each option a valid literal; an empty range or option
//     (ErrEmptyRange) and an option given twice (ErrDuplicate) are refused.
//   - pattern: /expr/, a Go (RE2) regular expression, compiled once at parse
//     time. It starts with '/' at the beginning of a part and ends at the
//     first '/' followed by '.' or by the end of the topic, so it may
//     contain '.' and '/'. The search is unanchored (regexp.MatchString);
//     anchor with ^ and $.
//   - star: a part that is only *, an anonymous wildcard for one part.
//   - rest: a part that is only >, allowed only as the last part
//     (ErrRestNotLast elsewhere); it stands for one or more parts.
//
// As in NATS, * and > are wildcards only as whole parts: inside a part
// (a*b, a>) they are literal characters. An exact part can therefore never
// be just * or >.
//
// # Identity
//
// Topics are interned: two topics parsed from the same text (or from texts
// with the same canonical form: +x and {x}) are == and usable as map keys,
// and equality is a pointer comparison. The intern table holds its topics
// weakly, so topics nobody uses any more are collected and a process that
// parses millions of distinct short-lived topics does not keep them alive.
// Topics are allocated in slabs of 16 with one weak pointer per slab (weak
// pointers are the main cost of interning), so a live topic keeps the
// other topics of its slab alive and interned with it: memory stays within
// about 16 times that of the live topics. The table drops the entries of
// collected topics in batches as it grows; intern.go explains the design.
// A topic keeps a copy of its text, stored with it, and never the string
// it was parsed from; a string returned by String may keep its topic alive.
// Lookup and Interned read the table.
// There is deliberately no function to clear the table: clearing it would
// make a topic parsed before differ (!=) from the same topic parsed after,
// and the weak references make clearing unnecessary.
//
// # Matching
//
// Topics with identical text match. Otherwise they must have the same number
// of parts, or the shorter one must end in > standing for the one or more
// parts the other has from that position on, and at each position at least
// one side must be exact and the other side must accept it: exact = equal
// text, any, star and rest = always, range = an option is equal, pattern =
// the regexp finds a match. Two generic parts
// never match each other (A.{x} does not match A.{y}); identical topics
// match, binding nothing.
//
// # Errors
//
// Every malformed topic, part or value gets an *Error that names the input
// and the byte offset of the problem and wraps one of the Err* sentinels
// (use errors.Is). Nothing panics except MustParse.
package topic

import (
	"iter"
	"strings"
	"unsafe"
)

// Limits of the topic language.
const (
	// MaxLen is the longest topic text accepted, in bytes.
	MaxLen = 4096
	// MaxParts is the largest number of parts a topic may have.
	MaxParts = 256
)

// Topic is an immutable, interned topic. Topics with the same canonical text
// are == and can be used as map keys. The zero Topic is invalid: IsZero
// reports true, String returns "" and it matches nothing.
type Topic struct{ d *data }

// data is the shared, immutable body of a topic. It describes each part by
// its kind and its position in the text rather than by a Part (no strings
// to store, and 6 bytes a part), keeping the first inlineParts parts inside
// it. It holds no pointers: most topics (up to four exact or wildcard
// parts) live in a narrow slab, which the collector does not scan, with
// their text toff bytes after their data in the same allocation (see
// intern.go): 40 bytes and the text, and no allocation of their own. The
// others (more parts, ranges and patterns) need pointers and live in a
// wide slab, as a wideData.
type data struct {
	hash   uint64
	toff   uint16 // narrow: the text is toff bytes after the data
	tlen   uint16 // narrow: the length of the text
	n      uint16 // number of parts
	exact  bool
	wide   bool // d is the first field of a wideData
	inline [inlineParts]pinfo
}

// wideData is the body of a topic of more than inlineParts parts or with a
// range or a pattern.
type wideData struct {
	data
	txt  string
	more []pinfo             // all the parts, when there are more than inlineParts
	x    []*extra            // per part, those of ranges and patterns; nil if there are none
	xs   [inlineParts]*extra // x, when there are at most inlineParts parts
}

// pinfo describes one part of a topic: text[off:off+n] is the literal of an
// exact part, the name of a wildcard, the source of a pattern or the
// canonical text (a|b) of a range.
type pinfo struct {
	off  uint16
	n    uint16
	kind Kind
}

const inlineParts = 4

// w returns the wideData of which d is the first field; d.wide must be set.
func (d *data) w() *wideData { return (*wideData)(unsafe.Pointer(d)) }

// text returns the canonical text of d.
func (d *data) text() string {
	if d.wide {
		return d.w().txt
	}
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(d), d.toff)), d.tlen)
}

// needsWide reports whether a topic made of parts needs a wideData.
func needsWide(parts []Part) bool {
	if len(parts) > inlineParts {
		return true
	}
	for _, p := range parts {
		if p.x != nil {
			return true
		}
	}
	return false
}

// parts returns the part descriptions of d.
func (d *data) parts() []pinfo {
	if d.n > inlineParts {
		return d.w().more
	}
	return d.inline[:d.n]
}

// str returns the text of part p of d (see pinfo).
func (d *data) str(p *pinfo) string { return d.text()[p.off : p.off+p.n] }

// extra returns the extra of part i of d, a range or a pattern (so d is
// wide).
func (d *data) extra(i int) *extra { return d.w().x[i] }

// part returns part i of d, described by p, as a Part.
func (d *data) part(i int, p *pinfo) Part {
	q := Part{kind: p.kind, text: d.str(p)}
	if p.kind == KindRange || p.kind == KindPattern {
		q.x = d.extra(i)
	}
	return q
}

// describe appends the descriptions of parts, whose canonical join is the
// text of the topic, to ps, and reports whether they are all exact.
func describe(ps []pinfo, parts []Part) ([]pinfo, bool) {
	exact := true
	pos := 0
	for _, p := range parts {
		off := pos
		if p.kind == KindAny || p.kind == KindPattern {
			off++ // after '{' or '/'
			pos += 2
		}
		pos += len(p.text) + 1 // and the '.'
		ps = append(ps, pinfo{off: uint16(off), n: uint16(len(p.text)), kind: p.kind})
		if p.kind != KindExact {
			exact = false
		}
	}
	return ps, exact
}

// fill sets d, which is zero, to the topic with hash h made of parts (which
// needsWide refuses); the caller sets where its text is.
func (d *data) fill(h uint64, parts []Part) {
	_, exact := describe(d.inline[:0], parts)
	d.hash, d.n, d.exact = h, uint16(len(parts)), exact
}

// fillExact sets d, which is zero, to the exact topic with hash h whose
// parts (at most inlineParts) are described by ps; see fill.
func (d *data) fillExact(h uint64, ps []pinfo) {
	d.hash, d.n, d.exact = h, uint16(len(ps)), true
	copy(d.inline[:], ps)
}

// fillWide sets w, which is zero, to the topic with canonical text and hash
// h made of parts (which are copied).
func (w *wideData) fillWide(text string, h uint64, parts []Part) {
	w.hash, w.n, w.wide, w.txt = h, uint16(len(parts)), true, text
	if len(parts) > inlineParts {
		w.more, w.exact = describe(make([]pinfo, 0, len(parts)), parts)
	} else {
		_, w.exact = describe(w.inline[:0], parts)
	}
	for i, p := range parts {
		if p.x == nil {
			continue
		}
		if w.x == nil {
			if len(parts) <= inlineParts {
				w.x = w.xs[:len(parts)]
			} else {
				w.x = make([]*extra, len(parts))
			}
		}
		w.x[i] = p.x
	}
}

// String returns the canonical text of t (wildcards written {name}).
func (t Topic) String() string {
	if t.d == nil {
		return ""
	}
	return t.d.text()
}

// IsZero reports whether t is the zero Topic.
func (t Topic) IsZero() bool { return t.d == nil }

// IsExact reports whether every part of t is exact (only exact topics can be
// published).
func (t Topic) IsExact() bool { return t.d != nil && t.d.exact }

// Len returns the number of parts.
func (t Topic) Len() int {
	if t.d == nil {
		return 0
	}
	return int(t.d.n)
}

// Part returns part i, or the zero Part (KindInvalid) if i is out of range
// (always, for the zero Topic).
func (t Topic) Part(i int) Part {
	if t.d == nil || uint(i) >= uint(t.d.n) {
		return Part{}
	}
	return t.d.part(i, &t.d.parts()[i])
}

// Parts iterates the parts with their positions.
func (t Topic) Parts() iter.Seq2[int, Part] {
	return func(yield func(int, Part) bool) {
		if t.d == nil {
			return
		}
		ps := t.d.parts()
		for i := range ps {
			if !yield(i, t.d.part(i, &ps[i])) {
				return
			}
		}
	}
}

// Hash returns a hash of the canonical text, computed once at parse time
// with a per-process seed.
func (t Topic) Hash() uint64 {
	if t.d == nil {
		return 0
	}
	return t.d.hash
}

// MarshalText returns the canonical text ("" for the zero Topic).
func (t Topic) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText parses text into t. Empty text gives the zero Topic, so that
// the zero Topic survives a MarshalText/UnmarshalText round trip.
func (t *Topic) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*t = Topic{}
		return nil
	}
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*t = p
	return nil
}

// Join builds an exact topic from literals, each of which must be a valid
// exact part: a value such as BRK.B is refused rather than split into two
// parts. To join topics (Market.Data and AAPL, or a template), use
// Topic.Join.
func Join(literals ...string) (Topic, error) {
	parts := make([]Part, len(literals))
	for i, l := range literals {
		p, err := ExactPart(l)
		if err != nil {
			if err := err.(*Error); strings.IndexByte(l, '.') >= 0 {
				err.Detail += "; a literal is one part: to join topics, use Topic.Join"
			}
			return Topic{}, err
		}
		parts[i] = p
	}
	return FromParts(parts...)
}

// FromParts builds a topic from parts.
func FromParts(parts ...Part) (Topic, error) {
	if len(parts) == 0 {
		return Topic{}, &Error{Input: "", Offset: 0, Err: ErrEmpty}
	}
	var b strings.Builder
	for i, p := range parts {
		if i == MaxParts {
			return Topic{}, &Error{Input: b.String(), Offset: b.Len(), Err: ErrTooManyParts,
				Detail: itoa(len(parts)) + " parts, limit " + itoa(MaxParts)}
		}
		if p.kind == KindInvalid {
			return Topic{}, &Error{Input: b.String(), Offset: b.Len(), Err: ErrZeroPart, Detail: "part " + itoa(i)}
		}
		if i > 0 {
			b.WriteByte('.')
		}
		if p.kind == KindAny {
			if err := checkDuplicate(parts[:i], p.text, b.Len()); err != nil {
				b.WriteString(p.String())
				err.Input = b.String()
				return Topic{}, err
			}
		}
		if p.kind == KindRest && i != len(parts)-1 {
			off := b.Len()
			b.WriteString(p.String())
			return Topic{}, &Error{Input: b.String(), Offset: off, Err: ErrRestNotLast,
				Detail: "part " + itoa(i) + " of " + itoa(len(parts))}
		}
		b.WriteString(p.String())
	}
	if b.Len() > MaxLen {
		return Topic{}, &Error{Input: b.String(), Offset: MaxLen, Err: ErrTooLong,
			Detail: itoa(b.Len()) + " bytes, limit " + itoa(MaxLen)}
	}
	text := b.String()
	h := hashText(text)
	if t, ok := lookup(text, h); ok {
		return t, nil
	}
	return intern(text, h, parts), nil
}

// Join returns the topic made of the parts of t followed by those of each
// topic of more (the reference's join, for topics): Market.Data joined with
// AAPL is Market.Data.AAPL, and with {symbol}.> it is
// Market.Data.{symbol}.>. Zero topics add nothing. What FromParts refuses
// is refused: a > before the end, a wildcard name used twice, more than
// MaxParts parts or MaxLen bytes; joining nothing but zero topics is
// ErrEmpty.
func (t Topic) Join(more ...Topic) (Topic, error) {
	n := t.Len()
	for _, m := range more {
		n += m.Len()
	}
	parts := make([]Part, 0, n)
	for _, m := range append([]Topic{t}, more...) {
		for _, p := range m.Parts() {
			parts = append(parts, p)
		}
	}
	return FromParts(parts...)
}

// Append returns a new topic with p added after the parts of t; t is
// unchanged. Appending to the zero Topic gives a one-part topic.
func (t Topic) Append(p Part) (Topic, error) {
	parts := make([]Part, 0, t.Len()+1)
	for _, q := range t.Parts() {
		parts = append(parts, q)
	}
	return FromParts(append(parts, p)...)
}

// Format replaces every named wildcard of t with values[name] and returns
// the exact topic. A missing name (ErrMissingValue), a part that is not
// exact or a named wildcard (ErrNotFormattable) or a value that is not a
// valid literal (ErrBadValue, naming the wildcard and the value) is an
// error. FormatPartial keeps what it has no value for.
func (t Topic) Format(values map[string]string) (Topic, error) {
	return t.format(values, false)
}

// FormatPartial is the reference's format: it replaces the named wildcards
// of t that values has a value for and keeps every other part as it is, so
// realtime.{ticker}.{dtype} with only ticker=600010_SH gives
// realtime.600010_SH.{dtype}. The result is exact only if nothing generic
// is left. A value that is not a valid literal is an error (ErrBadValue),
// as in Format.
func (t Topic) FormatPartial(values map[string]string) (Topic, error) {
	return t.format(values, true)
}

func (t Topic) format(values map[string]string, partial bool) (Topic, error) {
	if t.d == nil {
		return Topic{}, &Error{Err: ErrEmpty, Offset: 0}
	}
	if t.d.exact {
		return t, nil
	}
	parts := make([]Part, t.d.n)
	off := 0
	changed := false
	for i, p := range t.Parts() {
		parts[i] = p
		switch {
		case p.kind == KindAny:
			v, ok := values[p.text]
			if !ok {
				if partial {
					break
				}
				return Topic{}, &Error{Input: t.d.text(), Offset: off, Err: ErrMissingValue, Detail: "{" + p.text + "}"}
			}
			if err := checkLiteral(v); err != nil {
				// The template and the wildcard's place in it, then the value
				// and what is wrong with it where.
				d := "{" + p.text + "} = " + quote(v) + ": " + err.Err.Error()
				if err.Detail != "" {
					d += " " + err.Detail
				}
				if v != "" {
					d += " at byte " + itoa(err.Offset) + " of the value"
				}
				return Topic{}, &Error{Input: t.d.text(), Offset: off, Err: ErrBadValue, Detail: d}
			}
			parts[i], changed = Part{kind: KindExact, text: v}, true
		case p.kind != KindExact && !partial:
			return Topic{}, &Error{Input: t.d.text(), Offset: off, Err: ErrNotFormattable, Detail: p.kind.String() + " part " + p.String()}
		}
		off += len(p.String()) + 1
	}
	if !changed {
		return t, nil
	}
	return FromParts(parts...)
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	neg := i < 0
	if neg {
		i = -i
	}
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}
