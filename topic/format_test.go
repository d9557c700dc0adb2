package topic

import (
	"errors"
	"strings"
	"testing"
)

// TestFormatPartial: the reference's lenient format keeps the wildcards it
// has no value for (and every part it cannot format); the strict Format
// still refuses them.
func TestFormatPartial(t *testing.T) {
	for _, c := range []struct {
		tmpl   string
		values map[string]string
		want   string
	}{
		{"realtime.{ticker}.{dtype}", map[string]string{"ticker": "600010_SH"}, "realtime.600010_SH.{dtype}"},
		{"realtime.{ticker}.{dtype}", map[string]string{"ticker": "600010_SH", "dtype": "L1"}, "realtime.600010_SH.L1"},
		{"realtime.{ticker}.{dtype}", nil, "realtime.{ticker}.{dtype}"},
		{"A.{x}.(b|c)./^d/.*.>", map[string]string{"x": "v", "y": "unused"}, "A.v.(b|c)./^d/.*.>"},
		{"A.B", map[string]string{"x": "v"}, "A.B"},
	} {
		tmpl := MustParse(c.tmpl)
		got, err := tmpl.FormatPartial(c.values)
		if err != nil || got != MustParse(c.want) {
			t.Errorf("FormatPartial(%q, %v) = %v, %v; want %q", c.tmpl, c.values, got, err, c.want)
		}
		if got.IsExact() != MustParse(c.want).IsExact() {
			t.Errorf("FormatPartial(%q): exact %v", c.tmpl, got.IsExact())
		}
	}
	if _, err := MustParse("realtime.{ticker}.{dtype}").Format(map[string]string{"ticker": "600010_SH"}); !errors.Is(err, ErrMissingValue) {
		t.Errorf("strict Format with a missing value: %v", err)
	}
	// A refused value names the wildcard and the value; the error's input
	// is the template, its offset the wildcard's.
	for _, f := range []func(Topic, map[string]string) (Topic, error){Topic.Format, Topic.FormatPartial} {
		_, err := f(MustParse("Market.{kind}.{symbol}"), map[string]string{"kind": "Data", "symbol": "A.B"})
		var te *Error
		if !errors.As(err, &te) || !errors.Is(err, ErrBadValue) || te.Input != "Market.{kind}.{symbol}" || te.Offset != 14 ||
			!strings.Contains(err.Error(), `{symbol} = "A.B"`) || !strings.Contains(err.Error(), "at byte 1 of the value") {
			t.Errorf("bad value: %v", err)
		}
	}
}

// TestTopicJoin: joining topics concatenates their parts, with the checks
// of FromParts.
func TestTopicJoin(t *testing.T) {
	a, b := MustParse("Market.{kind}"), MustParse("AAPL.>")
	j, err := a.Join(b)
	if err != nil || j != MustParse("Market.{kind}.AAPL.>") {
		t.Fatalf("Join = %v, %v", j, err)
	}
	if j, err := (Topic{}).Join(MustParse("A"), Topic{}, MustParse("B.C")); err != nil || j != MustParse("A.B.C") {
		t.Fatalf("Join with zero topics = %v, %v", j, err)
	}
	if j, err := a.Join(); err != nil || j != a {
		t.Fatalf("Join() = %v, %v", j, err)
	}
	for _, c := range []struct {
		a, b Topic
		want error
	}{
		{MustParse("A.>"), MustParse("B"), ErrRestNotLast},
		{MustParse("A.{x}"), MustParse("{x}"), ErrDuplicate},
		{Topic{}, Topic{}, ErrEmpty},
		{MustParse(wildcards(MaxParts)), MustParse("z"), ErrTooManyParts},
		{MustParse(strings.Repeat("a", MaxLen/2)), MustParse(strings.Repeat("b", MaxLen/2)), ErrTooLong},
	} {
		if _, err := c.a.Join(c.b); !errors.Is(err, c.want) {
			t.Errorf("%v.Join(%v) = %v, want %v", c.a, c.b, err, c.want)
		}
	}
}
