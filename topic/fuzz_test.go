package topic

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics; a valid topic round-trips through its text;
// an invalid one gets an *Error with an offset inside the input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"Market.Data.AAPL", "Market.{kind}.{symbol}", "A.+x", "Market.(Equity|Futures).Trade",
		`Market.Data./^[A-Z]{4}$/`, `Prices./^\d+\.\d+$/.Last`, "a..b", "{x", "(a|", "/a", "//", "/a//.b", "(a|a)", "\xff",
		"Market.*", "Market.>", "*", ">", "A.*.>", ">.a", "A.>.b", "a*b.c>", "*.*.*.*", ">>.**"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := Parse(s)
		if err != nil {
			var te *Error
			if !errors.As(err, &te) || te.Offset > len(s) {
				t.Fatalf("Parse(%q): %v", s, err)
			}
			return
		}
		again, err := Parse(tp.String())
		if err != nil || again != tp {
			t.Fatalf("round trip of %q via %q: %v", s, tp.String(), err)
		}
		if l, ok := Lookup(tp.String()); !ok || l != tp {
			t.Fatalf("Lookup(%q) does not give the parsed topic", tp.String())
		}
		var texts []string
		for _, p := range tp.Parts() {
			texts = append(texts, p.String())
		}
		if strings.Join(texts, ".") != tp.String() {
			t.Fatalf("the parts of %q join to %q", tp.String(), strings.Join(texts, "."))
		}
		// The one-pass parser, when it accepts, agrees with the full one.
		var buf [inlineParts]pinfo
		if n, ok := parseSimple(s, &buf); ok {
			simple := make([]Part, n)
			for i, p := range buf[:n] {
				simple[i] = Part{kind: p.kind, text: s[p.off : p.off+p.n]}
			}
			full, _, err := parseParts(s, nil)
			if err != nil || !slices.Equal(full, simple) || !tp.IsExact() {
				t.Fatalf("parseSimple(%q) = %v; parseParts: %v, %v", s, simple, full, err)
			}
		}
		if tp.IsExact() && !tp.Matches(tp) {
			t.Fatalf("%q does not match itself", s)
		}
	})
}

// FuzzMatch: matching is symmetric, Match agrees with Matches, and two exact
// topics match exactly when their texts are equal.
func FuzzMatch(f *testing.F) {
	f.Add("Market.{kind}.{symbol}", "Market.Data.AAPL")
	f.Add("Market.(Equity|Futures).Trade", "Market.Equity.Trade")
	f.Add(`A./^b/`, "A.bc")
	f.Add("A.{x}", "A.{y}")
	f.Add("A.B", "A.B")
	f.Add("Market.>", "Market.Data.AAPL")
	f.Add("A.*.c", "A.b.c")
	f.Add("A.>", "A.*.>")
	f.Fuzz(func(t *testing.T, a, b string) {
		ta, err1 := Parse(a)
		tb, err2 := Parse(b)
		if err1 != nil || err2 != nil {
			return
		}
		m := ta.Matches(tb)
		if m != tb.Matches(ta) || m != ta.Match(tb).Matched || m != tb.Match(ta).Matched {
			t.Fatalf("%q vs %q: asymmetric or inconsistent", a, b)
		}
		if ta.IsExact() && tb.IsExact() && m != (ta.String() == tb.String()) {
			t.Fatalf("%q vs %q: exact match differs from text equality", a, b)
		}
	})
}

// FuzzFormat: formatting a template with one value for every name gives an
// exact topic the template matches, binding those values; or a clear error.
func FuzzFormat(f *testing.F) {
	f.Add("Market.{kind}.{symbol}", "Data")
	f.Add("A.+x.(b|c)", "v")
	f.Add("A.{x}", "a.b")
	f.Fuzz(func(t *testing.T, tmpl, v string) {
		tp, err := Parse(tmpl)
		if err != nil {
			return
		}
		vals := map[string]string{}
		for _, p := range tp.Parts() {
			if p.Kind() == KindAny {
				vals[p.Name()] = v
			}
		}
		// Without values, FormatPartial keeps everything; with a value for
		// every name, it is Format wherever Format succeeds.
		if same, err := tp.FormatPartial(nil); err != nil || same != tp {
			t.Fatalf("FormatPartial(%q, nil) = %v, %v", tmpl, same, err)
		}
		partial, perr := tp.FormatPartial(vals)
		out, err := tp.Format(vals)
		if err == nil && (perr != nil || partial != out) {
			t.Fatalf("Format(%q, %q) = %v but FormatPartial = %v, %v", tmpl, v, out, partial, perr)
		}
		if err != nil {
			if !errors.Is(err, ErrBadValue) && !errors.Is(err, ErrNotFormattable) && !errors.Is(err, ErrTooLong) {
				t.Fatalf("Format(%q, %q): unexpected error %v", tmpl, v, err)
			}
			return
		}
		if !out.IsExact() || !tp.Matches(out) {
			t.Fatalf("Format(%q, %q) = %q, not matched by the template", tmpl, v, out)
		}
		for name, got := range tp.Match(out).Values() {
			if got != v {
				t.Fatalf("Format(%q, %q): %s bound to %q", tmpl, v, name, got)
			}
		}
	})
}
