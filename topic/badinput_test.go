package topic

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestBadInput tries over a hundred malformed topics, patterns, literals,
// names and format values; each must be refused with an *Error that wraps
// the expected sentinel and names the input, never a panic.
func TestBadInput(t *testing.T) {
	type bad struct {
		what string
		try  func() error
		want error
	}
	var cases []bad
	parse := func(s string, want error) {
		cases = append(cases, bad{"Parse " + s, func() error { _, err := Parse(s); return err }, want})
	}
	// Regular expressions RE2 refuses or that are malformed.
	for _, re := range []string{"(", ")", "[", "[a-", "*", "+a", "a**", "a{2,1}", `\`, `(?=a)`, `(?!a)`, `(?<=a)b`,
		`(?<!a)b`, `(a)\1`, `\k<x>`, `(?P<>a)`, `(?P<1>a)`, `[[:nope:]]`, `\p{Nope}`, `x{1001}`, `(?i`, `a|*`,
		`[z-a]`, `(?#comment)`, `\8`, `a++`, `(?<n>a)(?<n>b)`, `\Q`, `a{,3}{2}*?+`} {
		if strings.Contains(re, "/.") {
			continue
		}
		if _, err := PatternPart(re); err == nil {
			continue // RE2 accepts a few of these oddities; only count real refusals
		}
		parse("A./"+re+"/", ErrBadPattern)
	}
	// Literals with reserved or control characters, for Parse and Join.
	for _, c := range []string{"{", "}", "(", ")", "|", "\x00", "\x01", "\t", "\n", "\r", "\x1b", "\x7f", "\xff", "\xc3\x28"} {
		parse("A.b"+c+"d", ErrReserved)
		lit := "b" + c
		cases = append(cases, bad{fmt.Sprintf("Join %q", lit), func() error { _, err := Join("A", lit); return err }, ErrReserved})
	}
	for _, lit := range []string{"/x", "+x", "a.b", ""} {
		want := ErrReserved
		if lit == "" {
			want = ErrEmptyPart
		}
		cases = append(cases, bad{fmt.Sprintf("ExactPart %q", lit), func() error { _, err := ExactPart(lit); return err }, want})
	}
	// Wildcard names.
	for _, name := range []string{"a b", "a.b", "a{", "é", "a/b", "a+b", "a|b", "a(b", "(", "*"} {
		if strings.ContainsAny(name, ".") {
			parse("A.{"+name+"}", ErrUnclosed)
		} else {
			parse("A.{"+name+"}", ErrReserved)
		}
		cases = append(cases, bad{fmt.Sprintf("AnyPart %q", name), func() error { _, err := AnyPart(name); return err }, ErrReserved})
	}
	// Format values that would not survive a round trip.
	tmpl := MustParse("Market.{kind}.{symbol}")
	for _, v := range []string{"", ".", "a.b", "{x}", "(a|b)", "/re/", "+x", "a|b", "a}", "\x00", "\xff", "\n"} {
		cases = append(cases, bad{fmt.Sprintf("Format %q", v), func() error {
			_, err := tmpl.Format(map[string]string{"kind": "Data", "symbol": v})
			return err
		}, ErrBadValue})
	}
	// Structure.
	for _, s := range []string{"", ".", "..", "a..b", ".a", "a.", "{a", "(a", "/a", "{}", "()", "+", "(a|)", "(|a)", "(a||b)", "(a|a)", "{a}b", "(a)b"} {
		want := map[string]error{"": ErrEmpty, "{a": ErrUnclosed, "(a": ErrUnclosed, "/a": ErrUnclosed, "{}": ErrEmptyWildcard,
			"()": ErrEmptyRange, "+": ErrEmptyWildcard, "(a|)": ErrEmptyRange, "(|a)": ErrEmptyRange, "(a||b)": ErrEmptyRange,
			"(a|a)": ErrDuplicate, "{a}b": ErrTrailing, "(a)b": ErrTrailing}[s]
		if want == nil {
			want = ErrEmptyPart
		}
		parse(s, want)
	}
	parse(strings.Repeat("x", MaxLen+1), ErrTooLong)
	parse(strings.Repeat("x.", MaxParts)+"x", ErrTooManyParts)
	parse(strings.Repeat("{", 10000), ErrTooLong)
	parse("/"+strings.Repeat("(", 4000)+"/", ErrBadPattern)

	if len(cases) < 100 {
		t.Fatalf("only %d bad inputs", len(cases))
	}
	for _, c := range cases {
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			return c.try()
		}()
		var te *Error
		if !errors.As(err, &te) || !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.what, err, c.want)
		}
	}
	t.Logf("%d bad inputs refused", len(cases))
}
