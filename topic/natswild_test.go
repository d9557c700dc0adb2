package topic

import (
	"errors"
	"maps"
	"testing"
)

// TestStarAndRest: * and > as whole parts are wildcards, as NATS spells
// them; inside a part they are literal; > anywhere but last is refused.
func TestStarAndRest(t *testing.T) {
	cases := []struct {
		a, b   string
		match  bool
		values map[string]string
		rest   string
		nodes  int
	}{
		{"Market.*.AAPL", "Market.Data.AAPL", true, map[string]string{}, "", 3},
		{"Market.*", "Market.Data.AAPL", false, map[string]string{}, "", 0},
		{"Market.>", "Market.Data.AAPL", true, map[string]string{}, "Data.AAPL", 3},
		{"Market.Data.AAPL", "Market.>", true, map[string]string{}, "Data.AAPL", 3},
		{"Market.>", "Market.Data", true, map[string]string{}, "Data", 2},
		{"Market.>", "Market", false, map[string]string{}, "", 0},
		{"Other.>", "Market.Data", false, map[string]string{}, "", 2},
		{">", "a.b.c", true, map[string]string{}, "a.b.c", 3},
		{"{k}.>", "a.b.c", true, map[string]string{"k": "a"}, "b.c", 3},
		{"*.{s}.>", "a.b.c.d", true, map[string]string{"s": "b"}, "c.d", 4},
		{"(a|b).>", "b.x", true, map[string]string{}, "x", 2},
		{"/^a/.>", "ab.x.y", true, map[string]string{}, "x.y", 3},
		{"/^a/.>", "b.x.y", false, map[string]string{}, "", 3},
		{"A.>", "A.{x}", false, map[string]string{}, "", 2},   // two generic parts
		{"A.>", "A.b.{x}", false, map[string]string{}, "", 3}, // > covers a generic part
		{"A.>", "A.b.>", false, map[string]string{}, "", 3},   // two rests
		{"A.*", "A.{x}", false, map[string]string{}, "", 2},   // two generic parts
		{"A.*", "A.*", true, map[string]string{}, "", 2},      // identical
		{"A.>", "A.>", true, map[string]string{}, "", 2},      // identical
		{"A.b*c", "A.b*c", true, map[string]string{}, "", 2},  // literal
		{"A.*", "A.b*c", true, map[string]string{}, "", 2},    // a literal with a *
		{"A.b*c", "A.bxc", false, map[string]string{}, "", 2}, // * inside a part is literal
		{"A.b>", "A.b.c", false, map[string]string{}, "", 0},  // > inside a part is literal
		{"Market.>", "Market.Data.>", false, map[string]string{}, "", 3},
	}
	for _, c := range cases {
		a, errA := Parse(c.a)
		b, errB := Parse(c.b)
		if errA != nil || errB != nil {
			t.Fatalf("Parse(%q), Parse(%q): %v, %v", c.a, c.b, errA, errB)
		}
		r := a.Match(b)
		if r.Matched != c.match || a.Matches(b) != c.match || b.Matches(a) != c.match || b.Match(a).Matched != c.match {
			t.Errorf("%s vs %s: Match %v Matches %v/%v, want %v", c.a, c.b, r.Matched, a.Matches(b), b.Matches(a), c.match)
		}
		if !maps.Equal(r.Values(), c.values) || r.Rest() != c.rest || b.Match(a).Rest() != c.rest {
			t.Errorf("%s vs %s: values %v rest %q, want %v %q", c.a, c.b, r.Values(), r.Rest(), c.values, c.rest)
		}
		if r.Len() != c.nodes {
			t.Errorf("%s vs %s: %d nodes, want %d", c.a, c.b, r.Len(), c.nodes)
		}
	}
	// Kinds, canonical text, interning.
	tp := MustParse("A.*.b*.>")
	kinds := []Kind{KindExact, KindStar, KindExact, KindRest}
	for i, p := range tp.Parts() {
		if p.Kind() != kinds[i] {
			t.Errorf("part %d of %v: %v, want %v", i, tp, p.Kind(), kinds[i])
		}
	}
	if tp.IsExact() || tp.String() != "A.*.b*.>" || MustParse(tp.String()) != tp || tp.Part(1).String() != "*" || tp.Part(3).String() != ">" {
		t.Fatalf("A.*.b*.>: exact %v, text %q", tp.IsExact(), tp)
	}
	if !MustParse("a*b.c>").IsExact() || !MustParse("**.>>").IsExact() {
		t.Fatal("* and > inside a part are not literal")
	}
	built, err := FromParts(mustPart(ExactPart("A")), StarPart(), RestPart())
	if err != nil || built != MustParse("A.*.>") {
		t.Fatalf("FromParts(A, *, >) = %v, %v", built, err)
	}
	if KindStar.String() != "star" || KindRest.String() != "rest" {
		t.Fatal("kind names")
	}
	if !StarPart().Accepts("x") || !RestPart().Accepts("x") {
		t.Fatal("* or > does not accept a literal")
	}
	// Refusals, with offsets.
	for _, c := range []struct {
		s   string
		off int
	}{{">.a", 0}, {"A.>.b", 2}, {"A.>.>", 2}, {"A.{x}.>.{y}", 6}} {
		_, err := Parse(c.s)
		var te *Error
		if !errors.As(err, &te) || !errors.Is(err, ErrRestNotLast) || te.Offset != c.off || te.Input != c.s {
			t.Errorf("Parse(%q) = %v, want ErrRestNotLast at offset %d", c.s, err, c.off)
		}
	}
	if _, err := FromParts(RestPart(), StarPart()); !errors.Is(err, ErrRestNotLast) {
		t.Errorf("FromParts(>, *) = %v", err)
	}
	if _, err := MustParse("A.>").Append(StarPart()); !errors.Is(err, ErrRestNotLast) {
		t.Errorf("Append after > = %v", err)
	}
	for _, lit := range []string{"*", ">"} {
		if _, err := ExactPart(lit); !errors.Is(err, ErrReserved) {
			t.Errorf("ExactPart(%q) = %v", lit, err)
		}
		if _, err := MustParse("A.{x}").Format(map[string]string{"x": lit}); !errors.Is(err, ErrBadValue) {
			t.Errorf("Format with %q = %v", lit, err)
		}
	}
	for _, s := range []string{"A.*", "A.>"} {
		if _, err := MustParse(s).Format(nil); !errors.Is(err, ErrNotFormattable) {
			t.Errorf("Format(%q) = %v, want ErrNotFormattable", s, err)
		}
	}
}
