package topic

import (
	"errors"
	"strings"
	"testing"
)

// TestWildcardNames: names may be Unicode letters and digits (the
// reference accepts +操作), a name may appear once in a topic (the second
// is refused at its offset), and an error quotes a whole character, not
// its first byte.
func TestWildcardNames(t *testing.T) {
	for _, c := range []struct{ in, canon string }{
		{"Market.+操作", "Market.{操作}"},
		{"A.{æøå}.{Ünï_2-x}", "A.{æøå}.{Ünï_2-x}"},
		{"A.{٣}", "A.{٣}"}, // an Arabic-Indic digit
	} {
		tp, err := Parse(c.in)
		if err != nil || tp.String() != c.canon || MustParse(c.canon) != tp {
			t.Fatalf("Parse(%q) = %v, %v; want %q", c.in, tp, err, c.canon)
		}
	}
	v := MustParse("Market.+操作").Match(MustParse("Market.买入")).Values()
	if v["操作"] != "买入" || len(v) != 1 {
		t.Fatalf("Values = %v", v)
	}
	if p, err := AnyPart("操作"); err != nil || p.String() != "{操作}" {
		t.Fatalf("AnyPart(操作) = %v, %v", p, err)
	}
	for _, c := range []struct {
		in, quoted string
		off        int
		want       error
	}{
		{"A.{a€}", `"€"`, 4, ErrReserved},
		{"A.+😀", `"😀"`, 3, ErrReserved},
		{"A.{a b}", `" "`, 4, ErrReserved},
		{"{a}.b.{a}", "{a}", 6, ErrDuplicate},
		{"{a}.b.+a", "{a}", 6, ErrDuplicate},
		{"{操作}.+操作", "{操作}", 9, ErrDuplicate},
	} {
		_, err := Parse(c.in)
		var te *Error
		if !errors.As(err, &te) || !errors.Is(err, c.want) || te.Offset != c.off || te.Input != c.in ||
			!strings.Contains(err.Error(), c.quoted) {
			t.Errorf("Parse(%q) = %v; want %v at offset %d quoting %s", c.in, err, c.want, c.off, c.quoted)
		}
	}
	if _, err := AnyPart("a\xffb"); !errors.Is(err, ErrReserved) || !strings.Contains(err.Error(), "invalid UTF-8") {
		t.Errorf("AnyPart with invalid UTF-8: %v", err)
	}
}
