package wire

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// The natsbridge module does not require nats-server, so these are faithful
// copies of the checks the server and the client apply to subjects, from
// github.com/nats-io/nats-server/v2@v2.15.2/server/sublist.go and
// github.com/nats-io/nats.go@v1.55.0/nats.go. Keep them in step with those
// versions (go.mod of the bridge runtime pins them).

// serverIsValidSubject is isValidSubject(subject, checkRunes=true) from
// server/sublist.go: the strict form, which the file store uses when it
// recovers messages (it also refuses NUL bytes and U+FFFD).
func serverIsValidSubject(subject string) bool {
	if subject == "" {
		return false
	}
	// checkRunes
	if bytes.IndexByte([]byte(subject), 0) >= 0 {
		return false
	}
	for _, r := range subject {
		if r == utf8.RuneError {
			return false
		}
	}
	sfwc := false
	for t := range strings.SplitSeq(subject, ".") {
		length := len(t)
		if length == 0 || sfwc {
			return false
		}
		if length > 1 {
			if strings.ContainsAny(t, "\t\n\f\r ") {
				return false
			}
			continue
		}
		switch t[0] {
		case '>':
			sfwc = true
		case ' ', '\t', '\n', '\r', '\f':
			return false
		}
	}
	return true
}

// serverSubjectIsLiteral is subjectIsLiteral from server/sublist.go.
func serverSubjectIsLiteral(subject string) bool {
	for i, c := range subject {
		if c == '*' || c == '>' {
			if (i == 0 || subject[i-1] == '.') &&
				(i+1 == len(subject) || subject[i+1] == '.') {
				return false
			}
		}
	}
	return true
}

// serverIsValidPublishSubject is IsValidPublishSubject from
// server/sublist.go, with the strict isValidSubject.
func serverIsValidPublishSubject(subject string) bool {
	return serverIsValidSubject(subject) && serverSubjectIsLiteral(subject)
}

// clientValidPublish is nats.go's validateSubject, which Publish applies.
func clientValidPublish(subj string) bool {
	return subj != "" && !strings.ContainsAny(subj, " \t\r\n")
}

// clientValidSubscribe is nats.go's badSubject negated, which Subscribe
// applies.
func clientValidSubscribe(subj string) bool {
	if strings.ContainsAny(subj, " \t\r\n") {
		return false
	}
	for t := range strings.SplitSeq(subj, ".") {
		if len(t) == 0 {
			return false
		}
	}
	return true
}

// serverMatch reports whether the filter matches the literal subject, as
// matchLiteral in server/sublist.go decides for valid subjects: token by
// token, "*" matching any one token and a final ">" one or more.
func serverMatch(literal, filter string) bool {
	lt := strings.Split(literal, ".")
	ft := strings.Split(filter, ".")
	for i, f := range ft {
		if f == ">" && i == len(ft)-1 {
			return len(lt) > i
		}
		if i >= len(lt) || f != "*" && f != lt[i] {
			return false
		}
	}
	return len(lt) == len(ft)
}
