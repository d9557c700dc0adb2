package topic

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestBadInput tries over a hundred malformed topics, patterns, literals,
// names, parts and format values, and inputs past the limits (MaxLen bytes,
// MaxParts parts) by every way to build a topic; each must be refused with
// an *Error that wraps the expected sentinel, whose message names the
// problem and its offset inside the input, never with a panic or a hang.
func TestBadInput(t *testing.T) {
	type bad struct {
		what  string
		try   func() error
		want  error
		input string // for Parse: the text, which the error must name
	}
	var cases []bad
	parse := func(s string, want error) {
		cases = append(cases, bad{"Parse " + quote(s), func() error { _, err := Parse(s); return err }, want, s})
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
		cases = append(cases, bad{fmt.Sprintf("Join %q", lit), func() error { _, err := Join("A", lit); return err }, ErrReserved, ""})
	}
	for _, lit := range []string{"/x", "+x", "a.b", "", "*", ">"} {
		want := ErrReserved
		if lit == "" {
			want = ErrEmptyPart
		}
		cases = append(cases, bad{fmt.Sprintf("ExactPart %q", lit), func() error { _, err := ExactPart(lit); return err }, want, ""})
	}
	// Wildcard names.
	for _, name := range []string{"a b", "a.b", "a{", "€", "a😀", "a\u00a0b", "a/b", "a+b", "a|b", "a(b", "(", "*"} {
		if strings.ContainsAny(name, ".") {
			parse("A.{"+name+"}", ErrUnclosed)
		} else {
			parse("A.{"+name+"}", ErrReserved)
		}
		cases = append(cases, bad{fmt.Sprintf("AnyPart %q", name), func() error { _, err := AnyPart(name); return err }, ErrReserved, ""})
	}
	// Format values that would not survive a round trip.
	tmpl := MustParse("Market.{kind}.{symbol}")
	for _, v := range []string{"", ".", "a.b", "{x}", "(a|b)", "/re/", "+x", "a|b", "a}", "\x00", "\xff", "\n", "*", ">"} {
		cases = append(cases, bad{fmt.Sprintf("Format %q", v), func() error {
			_, err := tmpl.Format(map[string]string{"kind": "Data", "symbol": v})
			return err
		}, ErrBadValue, ""})
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
	// A wildcard name used twice.
	for _, s := range []string{"{a}.{a}", "A.+a.{a}", "{a}.b.+a", "{操作}.+操作"} {
		parse(s, ErrDuplicate)
	}
	// > anywhere but last.
	for _, s := range []string{">.a", "A.>.b", "A.>.>", "{x}.>.(a|b)"} {
		parse(s, ErrRestNotLast)
	}
	// Limits: MaxLen bytes and MaxParts parts, by every way to build a topic.
	parse(strings.Repeat("x", MaxLen+1), ErrTooLong)
	parse(strings.Repeat("x", 1<<20), ErrTooLong) // refused at once, not scanned
	parse(strings.Repeat("x.", MaxParts)+"x", ErrTooManyParts)
	parse(wildcards(MaxParts+1), ErrTooManyParts)
	parse(strings.Repeat("{", 10000), ErrTooLong)
	parse("/"+strings.Repeat("(", 4000)+"/", ErrBadPattern)
	manyLits := make([]string, MaxParts+1)
	for i := range manyLits {
		manyLits[i] = "p"
	}
	add := func(what string, want error, try func() error) { cases = append(cases, bad{what, try, want, ""}) }
	add("Join of MaxParts+1 literals", ErrTooManyParts, func() error { _, err := Join(manyLits...); return err })
	add("Join longer than MaxLen", ErrTooLong, func() error {
		_, err := Join(strings.Repeat("a", MaxLen/2), strings.Repeat("b", MaxLen/2))
		return err
	})
	add("Append past MaxParts", ErrTooManyParts, func() error {
		tp := MustParse(strings.Repeat("x.", MaxParts-1) + "x")
		y, err := ExactPart("y")
		if err != nil {
			return fmt.Errorf("ExactPart: %v", err)
		}
		_, err = tp.Append(y)
		return err
	})
	add("Format longer than MaxLen", ErrTooLong, func() error {
		_, err := MustParse("A.{x}.{y}").Format(map[string]string{"x": strings.Repeat("v", MaxLen/2), "y": strings.Repeat("w", MaxLen/2)})
		return err
	})
	add("FromParts(>, *)", ErrRestNotLast, func() error { _, err := FromParts(RestPart(), StarPart()); return err })
	add("Append after >", ErrRestNotLast, func() error { _, err := MustParse("A.>").Append(StarPart()); return err })
	add("FromParts({a}, {a})", ErrDuplicate, func() error {
		a, err := AnyPart("a")
		if err != nil {
			return fmt.Errorf("AnyPart: %v", err)
		}
		_, err = FromParts(a, a)
		return err
	})
	add("Append of a name already used", ErrDuplicate, func() error {
		a, err := AnyPart("a")
		if err != nil {
			return fmt.Errorf("AnyPart: %v", err)
		}
		_, err = MustParse("A.{a}").Append(a)
		return err
	})
	add("Topic.Join after >", ErrRestNotLast, func() error { _, err := MustParse("A.>").Join(MustParse("b")); return err })
	add("Topic.Join of a name used twice", ErrDuplicate, func() error { _, err := MustParse("A.{x}").Join(MustParse("{x}")); return err })
	add("Topic.Join of zero topics", ErrEmpty, func() error { _, err := (Topic{}).Join(Topic{}); return err })
	add("Join with *", ErrReserved, func() error { _, err := Join("A", "*"); return err })
	add("Format of *", ErrNotFormattable, func() error { _, err := MustParse("A.*").Format(nil); return err })
	add("Format of >", ErrNotFormattable, func() error { _, err := MustParse("A.>").Format(nil); return err })
	// Building topics and parts from pieces.
	add("Join()", ErrEmpty, func() error { _, err := Join(); return err })
	add("FromParts()", ErrEmpty, func() error { _, err := FromParts(); return err })
	add("FromParts(zero Part)", ErrZeroPart, func() error {
		a, err := ExactPart("a")
		if err != nil {
			return fmt.Errorf("ExactPart: %v", err)
		}
		_, err = FromParts(a, Part{})
		return err
	})
	add("AnyPart empty", ErrEmptyWildcard, func() error { _, err := AnyPart(""); return err })
	add("RangePart()", ErrEmptyRange, func() error { _, err := RangePart(); return err })
	add("RangePart empty option", ErrEmptyRange, func() error { _, err := RangePart("a", ""); return err })
	add("RangePart duplicate", ErrDuplicate, func() error { _, err := RangePart("a", "b", "a"); return err })
	add("RangePart a.b", ErrReserved, func() error { _, err := RangePart("a.b"); return err })
	add("RangePart a|b", ErrReserved, func() error { _, err := RangePart("a|b"); return err })
	add("PatternPart empty", ErrBadPattern, func() error { _, err := PatternPart(""); return err })
	add("PatternPart /.", ErrReserved, func() error { _, err := PatternPart("a/.b"); return err })
	add("PatternPart control", ErrReserved, func() error { _, err := PatternPart("a\x00"); return err })
	add("Format missing value", ErrMissingValue, func() error { _, err := tmpl.Format(map[string]string{"kind": "Data"}); return err })
	add("Format of a range", ErrNotFormattable, func() error { _, err := MustParse("A.(b|c)").Format(nil); return err })
	add("Format of a pattern", ErrNotFormattable, func() error { _, err := MustParse("A./b/").Format(nil); return err })
	add("UnmarshalText a..b", ErrEmptyPart, func() error { var tp Topic; return tp.UnmarshalText([]byte("a..b")) })

	if len(cases) < 100 {
		t.Fatalf("only %d bad inputs", len(cases))
	}
	for _, c := range cases {
		// Each case runs on its own goroutine so that a hang is reported as
		// one (the bound is minutes: no input takes more than milliseconds).
		res := make(chan error, 1)
		go func() {
			defer func() {
				if r := recover(); r != nil {
					res <- fmt.Errorf("panic: %v", r)
				}
			}()
			res <- c.try()
		}()
		var err error
		select {
		case err = <-res:
		case <-time.After(2 * time.Minute):
			t.Fatalf("%s: no answer after two minutes (a hang)", c.what)
		}
		var te *Error
		if !errors.As(err, &te) || !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.what, err, c.want)
			continue
		}
		// The message names the problem and where it is.
		msg := err.Error()
		if !strings.Contains(msg, c.want.Error()) || te.Offset < -1 || te.Offset > len(te.Input) ||
			(te.Offset >= 0) != strings.Contains(msg, "at offset") {
			t.Errorf("%s: message %q (offset %d in %d bytes) does not name %q and where", c.what, msg, te.Offset, len(te.Input), c.want)
		}
		if c.input != "" && te.Input != c.input {
			t.Errorf("%s: the error names the input %q", c.what, quote(te.Input))
		}
	}
	t.Logf("%d bad inputs refused", len(cases))
}

// wildcards returns a topic of n wildcards with distinct names.
func wildcards(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = "{x" + itoa(i) + "}"
	}
	return strings.Join(names, ".")
}

// TestLimitsAccepted: a topic of exactly MaxLen bytes and one of exactly
// MaxParts parts are accepted, by Parse and by Join.
func TestLimitsAccepted(t *testing.T) {
	long := strings.Repeat("x", MaxLen)
	if tp, err := Parse(long); err != nil || len(tp.String()) != MaxLen {
		t.Fatalf("Parse of %d bytes: %v", MaxLen, err)
	}
	lits := make([]string, MaxParts)
	for i := range lits {
		lits[i] = "p"
	}
	if tp, err := Join(lits...); err != nil || tp.Len() != MaxParts {
		t.Fatalf("Join of %d parts: %v", MaxParts, err)
	}
	if tp, err := Parse(wildcards(MaxParts)); err != nil || tp.Len() != MaxParts {
		t.Fatalf("Parse of %d wildcards: %v", MaxParts, err)
	}
}
