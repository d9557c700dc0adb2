package index

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// filterAgrees reports whether the filter analyse gives expr describes
// what its regexp does with lit: a finite language holds exactly the
// literals it accepts, and every literal it accepts has the prefix.
func filterAgrees(t testing.TB, expr, lit string) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return
	}
	f := analyse(expr)
	got := re.MatchString(lit)
	if f.finite && slices.Contains(f.lits, lit) != got {
		t.Fatalf("/%s/ on %q: regexp %v, finite language %q", expr, lit, got, f.lits)
	}
	if f.finite && f.prefix != "" {
		t.Fatalf("/%s/: both a language and a prefix", expr)
	}
	if got && !strings.HasPrefix(lit, f.prefix) {
		t.Fatalf("/%s/ accepts %q, which lacks the prefix %q", expr, lit, f.prefix)
	}
	for _, l := range f.lits {
		if !re.MatchString(l) {
			t.Fatalf("/%s/ refuses %q of its language", expr, l)
		}
	}
}

func TestFilterAgreesWithRegexp(t *testing.T) {
	exprs := []string{`^Z12$`, `^Z12`, `Z12`, `^[A-Z]{4}$`, `^(AAPL|MSFT)$`, `(?i)^ab$`, `^ab\d+$`, `\AZ1\z`, `^Z1$|^Z2$`,
		`^a?b?$`, `^(a|b)(c|d)$`, `^x{2,3}$`, `^$`, `^a|b$`, `^ab|cd`, `^a.b$`, `(?m)^a$`, `^a\b`, `^[ab]x$`, `^é$`,
		`^\Qa.b\E$`, `^(?:)$`, `^a*$`, `^Z1\d$`, `^(a|ab)(c|bcd)$`, `^.$`, `^[^a]$`, `^(?s).$`, `^\x{1F600}$`}
	lits := []string{"Z12", "Z123", "Z1", "Z2", "xZ12", "AAPL", "MSFT", "AAPLX", "ab", "AB", "aB", "ab12", "a", "b", "",
		"ac", "bd", "ad", "xx", "xxx", "xxxx", "cd", "cde", "axb", "a.b", "bx", "é", "Z19", "abcd", "abc", "😀", "\n"}
	finite, prefixed := 0, 0
	for _, e := range exprs {
		f := analyse(e)
		if f.finite {
			finite++
		} else if f.prefix != "" {
			prefixed++
		}
		for _, l := range lits {
			filterAgrees(t, e, l)
		}
	}
	// The analysis finds what it should: these are its whole point.
	for e, want := range map[string]filter{
		`^Z12$`:         {lits: []string{"Z12"}, finite: true},
		`^(AAPL|MSFT)$`: {lits: []string{"AAPL", "MSFT"}, finite: true},
		`^Z1$|^Z2$`:     {lits: []string{"Z1", "Z2"}, finite: true},
		`^[ab]x$`:       {lits: []string{"ax", "bx"}, finite: true},
		`^Z1\d+$`:       {prefix: "Z1"},
		`^[A-Z]{4}$`:    {},
		`Z12`:           {},
		`(?i)^ab$`:      {},
	} {
		if got := analyse(e); got.finite != want.finite || got.prefix != want.prefix || !slices.Equal(got.lits, want.lits) {
			t.Errorf("analyse(%q) = %+v, want %+v", e, got, want)
		}
	}
	t.Logf("%d finite, %d prefixed of %d", finite, prefixed, len(exprs))
}

// FuzzFilter: the filter of any regexp agrees with the regexp on any
// literal.
func FuzzFilter(f *testing.F) {
	f.Add(`^(a|b)c?$`, "ac")
	f.Add(`^Z1\d+$`, "Z12")
	f.Add(`^x{1,3}$`, "xx")
	f.Fuzz(func(t *testing.T, expr, lit string) {
		if len(expr) > 64 {
			return
		}
		filterAgrees(t, expr, lit)
	})
}
