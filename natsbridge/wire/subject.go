package wire

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/eventengine/eventengine/topic"
)

// DefaultMaxSubject is the longest subject (and filter) a [Mapper] with
// MaxSubject 0 produces, in bytes. The server closes a client connection
// whose protocol line is longer than its max_control_line (4096 bytes by
// default: MAX_CONTROL_LINE_SIZE in nats-server's server/const.go, checked
// by overMaxControlLineLimit in server/parser.go), and a publish's line
// holds the subject, the reply subject and two sizes ("HPUB <subject>
// <reply> <header size> <total size>"). 3072 bytes leave 1 KiB for the rest:
// the reply inbox of a JetStream publish is under 100 bytes, the sizes at
// most 8 digits each. A server configured with a smaller max_control_line
// needs a smaller MaxSubject.
const DefaultMaxSubject = 3072

// Escape is the byte that starts an escape in a subject token: Escape
// followed by two upper-case hex digits stands for one byte of the topic
// part, as in URLs ("%20" is a space).
const Escape = '%'

// Mapper maps exact topics to NATS subjects and back, and subscription
// patterns to subject filters. The zero Mapper maps topic A.B to subject
// A.B; set Prefix to keep the bridge's subjects apart from others.
//
// A Mapper is a small value, safe for concurrent use; each method checks
// its configuration (a few nanoseconds for a short prefix), and
// [Mapper.Validate] reports a bad configuration up front.
type Mapper struct {
	// Prefix is prepended to every subject, followed by '.'; "" for none.
	// It must be a valid literal subject: tokens of printable ASCII
	// (non-ASCII too with AllowNonASCII) without '*' or '>', separated by
	// single dots. Its tokens are written as they are, never escaped.
	Prefix string
	// AllowNonASCII lets printable non-ASCII characters (letters, marks,
	// digits, punctuation and symbols) through unescaped. NATS recommends
	// ASCII subjects for interoperability, so they are escaped by default.
	AllowNonASCII bool
	// MaxSubject is the longest subject or filter produced, in bytes; 0
	// means DefaultMaxSubject. Subject and Filter refuse longer ones with
	// ErrSubjectTooLong before they reach a connection.
	MaxSubject int
}

// plain[c] reports whether the ASCII byte c stands for itself in a token:
// printable ASCII except '.', the wildcards '*' and '>' (which the naming
// rules of NATS, ADR-6, forbid inside literal tokens as well as as whole
// tokens) and the escape byte. Whitespace and control bytes are escaped:
// nats-server's IsValidSubject refuses "\t\n\f\r " inside a token, and a
// control byte has no business in a protocol line. A '$' at the start of a
// token is escaped too (see appendToken); bytes >= 0x80 are decided by
// appendToken.
var plain = func() (t [256]bool) {
	for c := 0x21; c < 0x7f; c++ {
		t[c] = true
	}
	for _, c := range ".*>" + string(rune(Escape)) {
		t[c] = false
	}
	return t
}()

// topicPlain[c] reports whether an unescaped byte c of a subject token can
// go into a topic part as it is: plain, and not one of the topic language's
// reserved characters. Topic uses it for its fast path.
var topicPlain = func() (t [256]bool) {
	t = plain
	for _, c := range "{}()|" {
		t[c] = false
	}
	return t
}()

const hexUpper = "0123456789ABCDEF"

// Validate reports whether the Mapper's configuration is usable: an
// ErrBadPrefix error for an invalid Prefix or a negative MaxSubject.
func (m Mapper) Validate() error {
	if m.MaxSubject < 0 {
		return &SubjectError{Input: m.Prefix, Offset: -1, Err: ErrBadPrefix, Detail: "negative MaxSubject " + strconv.Itoa(m.MaxSubject)}
	}
	p := m.Prefix
	if p == "" {
		return nil
	}
	if len(p)+2 > m.max() { // the prefix, '.' and a token of one byte
		return &SubjectError{Input: p, Offset: -1, Err: ErrBadPrefix, Detail: "prefix leaves no room under MaxSubject " + strconv.Itoa(m.max())}
	}
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '.' {
			if i == start {
				return &SubjectError{Input: p, Offset: i, Err: ErrBadPrefix, Detail: "empty token"}
			}
			start = i + 1
			continue
		}
		c := p[i]
		switch {
		case c == '*' || c == '>':
			return &SubjectError{Input: p, Offset: i, Err: ErrBadPrefix, Detail: "wildcard " + strconv.QuoteRune(rune(c))}
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(p[i:])
			if !m.AllowNonASCII || !printableRune(r) {
				return &SubjectError{Input: p, Offset: i, Err: ErrBadPrefix, Detail: "non-ASCII character " + strconv.QuoteRune(r)}
			}
			i += n - 1
		case c <= ' ' || c == 0x7f:
			return &SubjectError{Input: p, Offset: i, Err: ErrBadPrefix, Detail: "whitespace or control byte"}
		}
	}
	return nil
}

// max returns the subject length limit.
func (m Mapper) max() int {
	if m.MaxSubject == 0 {
		return DefaultMaxSubject
	}
	return m.MaxSubject
}

// printableRune reports whether a non-ASCII rune may appear unescaped with
// AllowNonASCII: unicode.IsPrint (letters, marks, numbers, punctuation and
// symbols; no spaces, controls or format characters), and not U+FFFD, which
// nats-server's isValidSubject with checkRunes (used when it recovers a
// file store) takes for corruption.
func printableRune(r rune) bool {
	return r != utf8.RuneError && unicode.IsPrint(r)
}

// Subject returns the subject of the exact topic t: Prefix, '.', then one
// token per part, each escaped as described in the package documentation.
// It returns an error (and "") if t is not exact or the subject would be
// longer than the limit.
func (m Mapper) Subject(t topic.Topic) (string, error) {
	var buf [128]byte
	b, err := m.AppendSubject(buf[:0], t)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// AppendSubject appends the subject of the exact topic t to dst, as
// Subject returns it, without allocating when dst has room. On error dst is
// returned unchanged.
func (m Mapper) AppendSubject(dst []byte, t topic.Topic) ([]byte, error) {
	if !t.IsExact() {
		return dst, m.notExact(t)
	}
	if err := m.Validate(); err != nil {
		return dst, err
	}
	text := t.String()
	limit := m.max()
	start := len(dst)
	if m.Prefix != "" {
		if len(m.Prefix)+1+len(text) > limit { // escaping only lengthens
			return dst, m.tooLong(text, len(m.Prefix)+1+len(text))
		}
		dst = append(dst, m.Prefix...)
		dst = append(dst, '.')
	} else if len(text) > limit {
		return dst, m.tooLong(text, len(text))
	}
	// An exact topic's text is its literals joined by '.', and no literal
	// holds a '.': escape it in one pass, token by token.
	for len(text) > 0 {
		i := strings.IndexByte(text, '.')
		if i < 0 {
			i = len(text)
		}
		dst = m.appendToken(dst, text[:i])
		if len(dst)-start > limit {
			return dst[:start], m.tooLong(t.String(), -1)
		}
		if i == len(text) {
			break
		}
		dst = append(dst, '.')
		text = text[i+1:]
	}
	return dst, nil
}

// appendToken appends the escaped form of the literal lit. Runs of bytes
// that need no escape are copied at once.
func (m Mapper) appendToken(dst []byte, lit string) []byte {
	run := 0
	for i := 0; i < len(lit); {
		c := lit[i]
		if c < utf8.RuneSelf {
			if plain[c] && (c != '$' || i > 0) {
				i++
				continue
			}
			dst = append(dst, lit[run:i]...)
			dst = append(dst, Escape, hexUpper[c>>4], hexUpper[c&15])
			i++
			run = i
			continue
		}
		n := 1
		if m.AllowNonASCII {
			var r rune
			r, n = utf8.DecodeRuneInString(lit[i:])
			if printableRune(r) {
				i += n
				continue
			}
		}
		dst = append(dst, lit[run:i]...)
		for _, c := range []byte(lit[i : i+n]) {
			dst = append(dst, Escape, hexUpper[c>>4], hexUpper[c&15])
		}
		i += n
		run = i
	}
	return append(dst, lit[run:]...)
}

// Topic returns the exact topic of subject, the inverse of Subject: the
// subject must be Prefix, '.' and at least one token, each token exactly as
// Subject writes it (escapes only where Subject puts them, upper-case hex),
// and decode to a valid exact part. So Topic and Subject are inverse
// bijections: a subject Topic accepts is the one Subject makes of its
// topic, and the server's matching of a filter agrees with the engine's.
func (m Mapper) Topic(subject string) (topic.Topic, error) {
	if err := m.Validate(); err != nil {
		return topic.Topic{}, err
	}
	rest := subject
	if m.Prefix != "" {
		if len(subject) <= len(m.Prefix)+1 || subject[len(m.Prefix)] != '.' || subject[:len(m.Prefix)] != m.Prefix {
			return topic.Topic{}, &SubjectError{Input: subject, Offset: -1, Err: ErrNotUnderPrefix, Detail: "prefix " + strconv.Quote(m.Prefix)}
		}
		rest = subject[len(m.Prefix)+1:]
	}
	if rest == "" {
		return topic.Topic{}, &SubjectError{Input: subject, Offset: 0, Err: ErrNotUnderPrefix, Detail: "no token"}
	}
	// Fast path: tokens of plain bytes only are the literals themselves, and
	// the topic's text is a substring of the subject: Parse finds an
	// already-seen topic without allocating.
	tokStart := true
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c == '.' {
			if tokStart {
				break // empty token: the slow path reports it
			}
			tokStart = true
			continue
		}
		if !topicPlain[c] || tokStart && (c == '$' || c == '/' || c == '+') {
			return m.topicSlow(subject, len(subject)-len(rest))
		}
		tokStart = false
	}
	if tokStart { // empty token, or a trailing '.'
		return m.topicSlow(subject, len(subject)-len(rest))
	}
	t, err := topic.Parse(rest)
	if err != nil {
		return topic.Topic{}, &SubjectError{Input: subject, Offset: -1, Err: ErrBadToken, Detail: err.Error()}
	}
	return t, nil
}

// topicSlow decodes the tokens of subject[off:] one by one, checking that
// each is canonical and decodes to an exact part.
func (m Mapper) topicSlow(subject string, off int) (topic.Topic, error) {
	var textBuf, tokBuf [256]byte
	text, scratch := textBuf[:0], tokBuf[:0]
	n := 0
	for pos := off; ; {
		end := strings.IndexByte(subject[pos:], '.')
		if end < 0 {
			end = len(subject)
		} else {
			end += pos
		}
		tok := subject[pos:end]
		if tok == "" {
			return topic.Topic{}, &SubjectError{Input: subject, Offset: pos, Err: ErrBadToken, Detail: "empty token"}
		}
		if n > 0 {
			text = append(text, '.')
		}
		litStart := len(text)
		for i := 0; i < len(tok); i++ {
			c := tok[i]
			if c != Escape {
				text = append(text, c)
				continue
			}
			if i+2 >= len(tok) {
				return topic.Topic{}, &SubjectError{Input: subject, Offset: pos + i, Err: ErrBadEscape, Detail: "truncated"}
			}
			hi, lo := unhex(tok[i+1]), unhex(tok[i+2])
			if hi < 0 || lo < 0 {
				return topic.Topic{}, &SubjectError{Input: subject, Offset: pos + i, Err: ErrBadEscape, Detail: "want two upper-case hex digits"}
			}
			text = append(text, byte(hi<<4|lo))
			i += 2
		}
		lit := text[litStart:]
		// Canonical: exactly what Subject writes for this literal.
		scratch = m.appendToken(scratch[:0], string(lit))
		if string(scratch) != tok {
			return topic.Topic{}, &SubjectError{Input: subject, Offset: pos, Err: ErrBadEscape, Detail: "token should be written " + strconv.Quote(string(scratch))}
		}
		// Refuse what would parse as another kind of part (or split into
		// several) before Parse sees it: Parse would compile a pattern.
		if lit[0] == '/' || lit[0] == '+' || len(lit) == 1 && (lit[0] == '*' || lit[0] == '>') || strings.ContainsAny(string(lit), ".{}()|") {
			return topic.Topic{}, &SubjectError{Input: subject, Offset: pos, Err: ErrBadToken, Detail: "decodes to " + strconv.Quote(string(lit)) + ", not an exact topic part"}
		}
		n++
		if end == len(subject) {
			break
		}
		pos = end + 1
	}
	t, err := topic.Parse(string(text))
	if err != nil {
		return topic.Topic{}, &SubjectError{Input: subject, Offset: -1, Err: ErrBadToken, Detail: err.Error()}
	}
	if !t.IsExact() || t.Len() != n { // cannot happen after the checks above
		return topic.Topic{}, &SubjectError{Input: subject, Offset: -1, Err: ErrBadToken, Detail: "decodes to " + strconv.Quote(t.String())}
	}
	return t, nil
}

// unhex returns the value of an upper-case hex digit, or -1.
func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// Filter returns the subject filter that subscribes to every subject whose
// topic pattern may match: Prefix, then one token per part, exact parts
// escaped as by Subject, named wildcards, ranges, patterns and * as "*"
// (the engine's own matching then filters what arrives), and a trailing >
// as ">". A pattern that would give a bare ">" (the pattern > with an empty
// Prefix) is refused with ErrBareWildcard, and a filter over the length
// limit with ErrSubjectTooLong.
func (m Mapper) Filter(pattern topic.Topic) (string, error) {
	if pattern.IsZero() {
		return "", &SubjectError{Input: "", Offset: -1, Err: ErrZeroTopic}
	}
	if err := m.Validate(); err != nil {
		return "", err
	}
	limit := m.max()
	var buf [128]byte
	dst := buf[:0]
	if m.Prefix != "" {
		dst = append(dst, m.Prefix...)
		dst = append(dst, '.')
	}
	for i, p := range pattern.Parts() {
		if i > 0 {
			dst = append(dst, '.')
		}
		switch p.Kind() {
		case topic.KindExact:
			dst = m.appendToken(dst, p.Literal())
		case topic.KindAny, topic.KindRange, topic.KindPattern, topic.KindStar:
			dst = append(dst, '*')
		case topic.KindRest: // only ever the last part
			if m.Prefix == "" && i == 0 {
				return "", &SubjectError{Input: pattern.String(), Offset: -1, Err: ErrBareWildcard, Detail: "set a Prefix, or subscribe to narrower patterns"}
			}
			dst = append(dst, '>')
		default:
			return "", &SubjectError{Input: pattern.String(), Offset: -1, Err: ErrUnsupportedPart, Detail: "part " + strconv.Itoa(i) + " of kind " + p.Kind().String()}
		}
		if len(dst) > limit {
			return "", m.tooLong(pattern.String(), -1)
		}
	}
	return string(dst), nil
}

func (m Mapper) notExact(t topic.Topic) error {
	if t.IsZero() {
		return &SubjectError{Input: "", Offset: -1, Err: ErrZeroTopic}
	}
	for i, p := range t.Parts() {
		if !p.IsExact() {
			return &SubjectError{Input: t.String(), Offset: -1, Err: ErrNotExact, Detail: "part " + strconv.Itoa(i) + " is " + p.Kind().String()}
		}
	}
	return &SubjectError{Input: t.String(), Offset: -1, Err: ErrNotExact}
}

func (m Mapper) tooLong(text string, n int) error {
	d := "limit " + strconv.Itoa(m.max()) + " bytes"
	if n >= 0 {
		d = strconv.Itoa(n) + " bytes or more, " + d
	}
	return &SubjectError{Input: text, Offset: -1, Err: ErrSubjectTooLong, Detail: d}
}
