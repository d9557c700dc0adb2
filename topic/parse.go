package topic

import (
	"strings"
)

// Parse parses text into a topic. An already-seen topic comes from the
// intern table without parsing and without allocation. Malformed text gets
// an *Error that says what is wrong and at which byte offset.
func Parse(text string) (Topic, error) {
	h := hashText(text)
	if t, ok := lookup(text, h); ok {
		return t, nil
	}
	if text == "" {
		return Topic{}, &Error{Input: text, Offset: 0, Err: ErrEmpty}
	}
	if len(text) > MaxLen {
		return Topic{}, &Error{Input: text, Offset: MaxLen, Err: ErrTooLong, Detail: "limit " + itoa(MaxLen) + " bytes"}
	}
	var simple [inlineParts]pinfo
	if n, ok := parseSimple(text, &simple); ok {
		return internExact(text, h, simple[:n]), nil
	}
	var buf [inlineParts]Part // parts are copied into the topic: no allocation here
	parts, canonical, err := parseParts(text, buf[:0])
	if err != nil {
		return Topic{}, err
	}
	if canonical != text { // +name written {name}
		h = hashText(canonical)
		if t, ok := lookup(canonical, h); ok {
			return t, nil
		}
	}
	return intern(canonical, h, parts), nil
}

// MustParse is like Parse but panics on error; for topics written in the
// program text.
func MustParse(text string) Topic {
	t, err := Parse(text)
	if err != nil {
		panic(err)
	}
	return t
}

// parseSimple parses the common case in one pass over the bytes: up to
// inlineParts exact parts of printable ASCII, of text no longer than
// MaxLen, which it describes in parts (which hold no pointers: storing them
// needs no write barrier). It reports false for anything else (other kinds
// of parts, including a part that is only * or >, other bytes, any error),
// which parseParts then parses or refuses with an error.
func parseSimple(text string, parts *[inlineParts]pinfo) (int, bool) {
	n, start := 0, 0
	for i := 0; i <= len(text); i++ {
		if i < len(text) {
			if c := text[i]; c != '.' {
				if byteClass[c] != 0 {
					return 0, false
				}
				continue
			}
		}
		// text[start:i] is a part.
		if i == start || n == inlineParts || text[start] == '/' || text[start] == '+' ||
			i == start+1 && (text[start] == '*' || text[start] == '>') {
			return 0, false
		}
		parts[n] = pinfo{off: uint16(start), n: uint16(i - start), kind: KindExact}
		n++
		start = i + 1
	}
	return n, true
}

// parseParts appends the parts of text to parts and returns them with the
// canonical form of text.
func parseParts(text string, parts []Part) ([]Part, string, error) {
	if n := strings.Count(text, ".") + 1; n > cap(parts) {
		parts = make([]Part, 0, min(n, MaxParts))
	}
	canonicalDiffers := false
	fail := func(off int, err error, detail string) ([]Part, string, error) {
		return nil, "", &Error{Input: text, Offset: off, Err: err, Detail: detail}
	}
	for i := 0; ; {
		if i == len(text) || text[i] == '.' {
			return fail(i, ErrEmptyPart, "")
		}
		if len(parts) == MaxParts {
			return fail(i, ErrTooManyParts, "limit "+itoa(MaxParts))
		}
		end := i + strings.IndexByte(text[i:], '.')
		if end < i {
			end = len(text)
		}
		var p Part
		switch text[i] {
		case '/':
			j := patternEnd(text, i)
			if j < 0 {
				return fail(i, ErrUnclosed, `"/" without a closing "/" before "." or the end`)
			}
			expr := text[i+1 : j]
			pp, err := PatternPart(expr)
			if err != nil {
				e := err.(*Error)
				return fail(i+max(e.Offset, 0), e.Err, e.Detail)
			}
			p, end = pp, j+1
		case '{':
			seg := text[i:end]
			c := strings.IndexByte(seg, '}')
			if c < 0 {
				return fail(i, ErrUnclosed, `"{" without "}"`)
			}
			if c != len(seg)-1 {
				return fail(i+c+1, ErrTrailing, `after "}"`)
			}
			if err := checkName(seg[1:c], i+1); err != nil {
				return fail(err.Offset, err.Err, err.Detail)
			}
			p = Part{kind: KindAny, text: seg[1:c]}
			if err := checkDuplicate(parts, p.text, i); err != nil {
				err.Input = text
				return nil, "", err
			}
		case '+':
			name := text[i+1 : end]
			if err := checkName(name, i+1); err != nil {
				if err.Err == ErrEmptyWildcard {
					return fail(i, ErrEmptyWildcard, `"+" without a name`)
				}
				return fail(err.Offset, err.Err, err.Detail)
			}
			p = Part{kind: KindAny, text: name}
			if err := checkDuplicate(parts, name, i); err != nil {
				err.Input = text
				return nil, "", err
			}
			canonicalDiffers = true
		case '(':
			seg := text[i:end]
			c := strings.IndexByte(seg, ')')
			if c < 0 {
				return fail(i, ErrUnclosed, `"(" without ")"`)
			}
			if c != len(seg)-1 {
				return fail(i+c+1, ErrTrailing, `after ")"`)
			}
			if c == 1 {
				return fail(i+1, ErrEmptyRange, "")
			}
			rp, err := RangePart(strings.Split(seg[1:c], "|")...)
			if err != nil {
				e := err.(*Error)
				return fail(i+e.Offset, e.Err, e.Detail)
			}
			p = rp
		default:
			lit := text[i:end]
			switch lit { // inside a part (a*b) they are literal, as in NATS
			case "*":
				p = StarPart()
			case ">":
				if end != len(text) {
					return fail(i, ErrRestNotLast, "> stands for the rest of the topic")
				}
				p = RestPart()
			default:
				if err := checkLiteral(lit); err != nil {
					return fail(i+err.Offset, err.Err, err.Detail)
				}
				p = Part{kind: KindExact, text: lit}
			}
		}
		parts = append(parts, p)
		if end == len(text) {
			break
		}
		i = end + 1 // skip the '.'
	}
	canonical := text
	if canonicalDiffers {
		var b strings.Builder
		for k, p := range parts {
			if k > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p.String())
		}
		canonical = b.String()
	}
	return parts, canonical, nil
}

// checkDuplicate refuses a wildcard name that one of the parts before it
// (parts) already has; off is the offset of the second one. A name bound
// twice would have to bind one of two literals, or force them equal:
// neither is what a reader of {a}.{a} can guess.
func checkDuplicate(parts []Part, name string, off int) *Error {
	for k, q := range parts {
		if q.kind == KindAny && q.text == name {
			return &Error{Offset: off, Err: ErrDuplicate, Detail: "wildcard {" + name + "} is already part " + itoa(k)}
		}
	}
	return nil
}

// patternEnd returns the index of the '/' that closes the pattern starting
// at text[i] == '/': the first '/' after it that is followed by '.' or by
// the end of text; -1 if there is none.
func patternEnd(text string, i int) int {
	for j := i + 1; j < len(text); j++ {
		if text[j] == '/' && (j+1 == len(text) || text[j+1] == '.') {
			return j
		}
	}
	return -1
}
