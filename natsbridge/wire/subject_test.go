package wire

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/eventengine/eventengine/internal/leakcheck"
	"github.com/eventengine/eventengine/topic"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestSubjectMapping checks the documented mappings both ways, and that
// Topic refuses every other spelling of the same topic.
func TestSubjectMapping(t *testing.T) {
	ee := Mapper{Prefix: "ee"}
	uni := Mapper{Prefix: "ee", AllowNonASCII: true}
	for _, tc := range []struct {
		m            Mapper
		topic, subj  string
		nonCanonical []string // other spellings, which Topic must refuse
	}{
		{ee, "Market.Data.AAPL", "ee.Market.Data.AAPL", []string{"ee.Market.Data.%41APL", "ee.Market.%44ata.AAPL"}},
		{Mapper{}, "Market.Data.AAPL", "Market.Data.AAPL", []string{"Market.Data.AAP%4C"}},
		{Mapper{Prefix: "a.b-c_d"}, "x", "a.b-c_d.x", nil},
		{ee, "Fx.EUR/USD", "ee.Fx.EUR/USD", []string{"ee.Fx.EUR%2FUSD"}},
		{ee, "Desk.New York", "ee.Desk.New%20York", []string{"ee.Desk.New%2aYork"}},
		{ee, "Rates.5%", "ee.Rates.5%25", nil},
		{ee, "A.x*y.a>b", "ee.A.x%2Ay.a%3Eb", []string{"ee.A.x*y.a%3Eb", "ee.A.x%2ay.a%3Eb"}},
		{ee, "Sys.$SYS.a$b", "ee.Sys.%24SYS.a$b", []string{"ee.Sys.$SYS.a$b", "ee.Sys.%24SYS.a%24b"}},
		{Mapper{}, "$JS.API", "%24JS.API", []string{"$JS.API"}},
		{ee, "Ville.Zürich", "ee.Ville.Z%C3%BCrich", []string{"ee.Ville.Zürich", "ee.Ville.Z%c3%bcrich"}},
		{uni, "Ville.Zürich", "ee.Ville.Zürich", []string{"ee.Ville.Z%C3%BCrich"}},
		{uni, "a.b\u00a0c", "ee.a.b%C2%A0c", []string{"ee.a.b\u00a0c"}}, // no-break space
		{uni, "a.\u200b", "ee.a.%E2%80%8B", []string{"ee.a.\u200b"}},    // zero-width space, a format character
		{uni, "a.\ufffd", "ee.a.%EF%BF%BD", []string{"ee.a.\ufffd"}},    // the server's mark of corruption
		{uni, "a.\u0085x", "ee.a.%C2%85x", []string{"ee.a.\u0085x"}},    // a C1 control
		{Mapper{Prefix: "é", AllowNonASCII: true}, "a", "é.a", nil},
		{ee, "a+b.c/d.e-f_g~h", "ee.a+b.c/d.e-f_g~h", nil},
		{ee, "x.a b\u00e9", "ee.x.a%20b%C3%A9", nil},
	} {
		tp := topic.MustParse(tc.topic)
		got, err := tc.m.Subject(tp)
		if err != nil || got != tc.subj {
			t.Errorf("%+v.Subject(%q) = %q, %v; want %q", tc.m, tc.topic, got, err, tc.subj)
			continue
		}
		if !serverIsValidPublishSubject(got) || !clientValidPublish(got) {
			t.Errorf("Subject(%q) = %q: not a valid publish subject", tc.topic, got)
		}
		back, err := tc.m.Topic(got)
		if err != nil || back != tp {
			t.Errorf("%+v.Topic(%q) = %v, %v; want %v", tc.m, got, back, err, tp)
		}
		for _, s := range tc.nonCanonical {
			if back, err := tc.m.Topic(s); err == nil {
				t.Errorf("%+v.Topic(%q) = %v: want an error (Subject writes %q)", tc.m, s, back, got)
			}
		}
	}
}

func TestFilter(t *testing.T) {
	ee := Mapper{Prefix: "ee"}
	for _, tc := range []struct {
		m       Mapper
		pattern string
		filter  string
	}{
		{ee, "Market.Data.AAPL", "ee.Market.Data.AAPL"},
		{ee, "Market.Data.{symbol}", "ee.Market.Data.*"},
		{ee, "Market.Data.+symbol", "ee.Market.Data.*"},
		{ee, "Market.(Equity|Futures).Buy", "ee.Market.*.Buy"},
		{ee, "Market.Data./^[A-Z]{4}$/", "ee.Market.Data.*"},
		{ee, "Market.Data./a.b/.x", "ee.Market.Data.*.x"},
		{ee, "Market.*.AAPL", "ee.Market.*.AAPL"},
		{ee, "Market.>", "ee.Market.>"},
		{ee, ">", "ee.>"},
		{ee, "*", "ee.*"},
		{ee, "New York.{x}.>", "ee.New%20York.*.>"},
		{Mapper{}, "*.>", "*.>"},
		{Mapper{}, "{x}", "*"},
		{Mapper{}, "$SYS.>", "%24SYS.>"},
	} {
		got, err := tc.m.Filter(topic.MustParse(tc.pattern))
		if err != nil || got != tc.filter {
			t.Errorf("%+v.Filter(%q) = %q, %v; want %q", tc.m, tc.pattern, got, err, tc.filter)
			continue
		}
		if !serverIsValidSubject(got) || !clientValidSubscribe(got) {
			t.Errorf("Filter(%q) = %q: not a valid subscription subject", tc.pattern, got)
		}
	}
}

func TestMapperErrors(t *testing.T) {
	long := strings.Repeat("a", 100)
	longTopic := topic.MustParse(long + "." + long)
	spaces := topic.MustParse(strings.Repeat(" ", 40)) // 40 bytes, 120 escaped
	for _, tc := range []struct {
		name string
		do   func() error
		want error
	}{
		{"zero topic", func() error { _, err := Mapper{}.Subject(topic.Topic{}); return err }, ErrZeroTopic},
		{"wildcard topic", func() error { _, err := Mapper{}.Subject(topic.MustParse("a.{x}")); return err }, ErrNotExact},
		{"star topic", func() error { _, err := Mapper{}.Subject(topic.MustParse("a.*")); return err }, ErrNotExact},
		{"rest topic", func() error { _, err := Mapper{}.Subject(topic.MustParse("a.>")); return err }, ErrNotExact},
		{"too long", func() error { _, err := Mapper{MaxSubject: 200}.Subject(longTopic); return err }, ErrSubjectTooLong},
		{"too long with prefix", func() error { _, err := Mapper{Prefix: "p", MaxSubject: 201}.Subject(longTopic); return err }, ErrSubjectTooLong},
		{"too long once escaped", func() error { _, err := Mapper{MaxSubject: 100}.Subject(spaces); return err }, ErrSubjectTooLong},
		{"filter too long", func() error {
			_, err := Mapper{MaxSubject: 200}.Filter(topic.MustParse(long + "." + long + ".>"))
			return err
		}, ErrSubjectTooLong},
		{"bare >", func() error { _, err := Mapper{}.Filter(topic.MustParse(">")); return err }, ErrBareWildcard},
		{"filter of zero topic", func() error { _, err := Mapper{}.Filter(topic.Topic{}); return err }, ErrZeroTopic},
		{"prefix empty token", func() error { return Mapper{Prefix: "a..b"}.Validate() }, ErrBadPrefix},
		{"prefix trailing dot", func() error { return Mapper{Prefix: "a."}.Validate() }, ErrBadPrefix},
		{"prefix leading dot", func() error { return Mapper{Prefix: ".a"}.Validate() }, ErrBadPrefix},
		{"prefix space", func() error { return Mapper{Prefix: "a b"}.Validate() }, ErrBadPrefix},
		{"prefix tab", func() error { return Mapper{Prefix: "a\tb"}.Validate() }, ErrBadPrefix},
		{"prefix star", func() error { return Mapper{Prefix: "a.*"}.Validate() }, ErrBadPrefix},
		{"prefix gt inside", func() error { return Mapper{Prefix: "a>"}.Validate() }, ErrBadPrefix},
		{"prefix non-ASCII", func() error { return Mapper{Prefix: "é"}.Validate() }, ErrBadPrefix},
		{"prefix invalid UTF-8", func() error { return Mapper{Prefix: "\xff", AllowNonASCII: true}.Validate() }, ErrBadPrefix},
		{"prefix too long", func() error { return Mapper{Prefix: long, MaxSubject: 101}.Validate() }, ErrBadPrefix},
		{"negative MaxSubject", func() error { return Mapper{MaxSubject: -1}.Validate() }, ErrBadPrefix},
		{"bad prefix in Subject", func() error { _, err := Mapper{Prefix: "a b"}.Subject(topic.MustParse("x")); return err }, ErrBadPrefix},
		{"bad prefix in Topic", func() error { _, err := Mapper{Prefix: "a b"}.Topic("a b.x"); return err }, ErrBadPrefix},
		{"bad prefix in Filter", func() error { _, err := Mapper{Prefix: "a b"}.Filter(topic.MustParse("x")); return err }, ErrBadPrefix},
	} {
		err := tc.do()
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
			continue
		}
		var se *SubjectError
		if !errors.As(err, &se) || se.Error() == "" {
			t.Errorf("%s: %v is not a *SubjectError", tc.name, err)
		}
	}
}

func TestTopicErrors(t *testing.T) {
	ee := Mapper{Prefix: "ee"}
	for _, tc := range []struct {
		m    Mapper
		subj string
		want error
	}{
		{ee, "", ErrNotUnderPrefix},
		{ee, "ee", ErrNotUnderPrefix},
		{ee, "ee.", ErrNotUnderPrefix},
		{ee, "ef.a", ErrNotUnderPrefix},
		{ee, "eee.a", ErrNotUnderPrefix},
		{ee, "e.a", ErrNotUnderPrefix},
		{Mapper{}, "", ErrNotUnderPrefix},
		{ee, "ee..a", ErrBadToken},
		{ee, "ee.a.", ErrBadToken},
		{ee, "ee.a..b", ErrBadToken},
		{Mapper{}, ".a", ErrBadToken},
		{ee, "ee.a.*", ErrBadEscape},  // a wildcard is not a topic
		{ee, "ee.a.>", ErrBadEscape},  //
		{ee, "ee.a.%2A", ErrBadToken}, // decodes to *, the star wildcard
		{ee, "ee.a.%3E", ErrBadToken},
		{ee, "ee.a.%2E", ErrBadToken}, // '.' would split the part
		{ee, "ee.a%2Eb", ErrBadToken},
		{ee, "ee.{x}", ErrBadToken},
		{ee, "ee.(a|b)", ErrBadToken},
		{ee, "ee./a/", ErrBadToken},
		{ee, "ee./a", ErrBadToken},
		{ee, "ee.+a", ErrBadToken},
		{ee, "ee.a}", ErrBadToken},
		{ee, "ee.a%00", ErrBadToken}, // control byte: not a topic literal
		{ee, "ee.a%7F", ErrBadToken},
		{ee, "ee.%FF", ErrBadToken}, // invalid UTF-8
		{ee, "ee.a%", ErrBadEscape},
		{ee, "ee.a%2", ErrBadEscape},
		{ee, "ee.a%2g", ErrBadEscape},
		{ee, "ee.a%2a", ErrBadEscape},
		{ee, "ee.a b", ErrBadEscape},
		{ee, "ee.a\tb", ErrBadEscape},
		{ee, "ee.$a", ErrBadEscape},
		{ee, "ee.%61", ErrBadEscape},
		{ee, "ee.é", ErrBadEscape},
		{ee, "ee.\xff", ErrBadEscape},
		{ee, "ee." + strings.Repeat("a.", topic.MaxParts) + "a", ErrBadToken},
		{ee, "ee." + strings.Repeat("a", topic.MaxLen+1), ErrBadToken},
	} {
		got, err := tc.m.Topic(tc.subj)
		if !errors.Is(err, tc.want) {
			t.Errorf("%+v.Topic(%q) = %v, %v; want %v", tc.m, tc.subj, got, err, tc.want)
		}
	}
}

// TestAppendSubjectAllocs: publishing maps a topic into a reused buffer
// without allocating, and an unescaped subject of a known topic maps back
// without allocating.
func TestAppendSubjectAllocs(t *testing.T) {
	m := Mapper{Prefix: "ee.v1"}
	tp := topic.MustParse("Market.Data.AAPL")
	esc := topic.MustParse("Desk.New York.5%")
	buf := make([]byte, 0, 256)
	subj, _ := m.Subject(tp)
	if n := testing.AllocsPerRun(100, func() {
		var err error
		if buf, err = m.AppendSubject(buf[:0], tp); err != nil {
			t.Fatal(err)
		}
		if buf, err = m.AppendSubject(buf[:0], esc); err != nil {
			t.Fatal(err)
		}
		if _, err = m.Topic(subj); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("AppendSubject and Topic: %v allocations, want 0", n)
	}
	// On error dst is unchanged.
	b, err := Mapper{MaxSubject: 10}.AppendSubject([]byte("keep"), topic.MustParse(strings.Repeat("x", 20)))
	if err == nil || string(b) != "keep" {
		t.Errorf("AppendSubject on error = %q, %v; want dst unchanged and an error", b, err)
	}
	b, err = Mapper{MaxSubject: 12}.AppendSubject([]byte("keep"), topic.MustParse("a b c d"))
	if err == nil || string(b) != "keep" {
		t.Errorf("AppendSubject on error after escaping = %q, %v; want dst unchanged and an error", b, err)
	}
}

// TestDefaultMaxSubject: the longest subject a default Mapper makes leaves
// room in the server's default control line (4096 bytes) for the rest of a
// publish's line.
func TestDefaultMaxSubject(t *testing.T) {
	const maxControlLine = 4096 // MAX_CONTROL_LINE_SIZE, nats-server server/const.go
	// HPUB <subject> <reply> <header size> <total size>: the server checks
	// the arguments after "HPUB ".
	reply := "_INBOX." + strings.Repeat("x", 22) + "." + strings.Repeat("y", 6) + "." + strings.Repeat("z", 22)
	line := strings.Repeat("s", DefaultMaxSubject) + " " + reply + " 12345678 12345678"
	if len(line) > maxControlLine {
		t.Errorf("a publish line with the longest default subject is %d bytes, over %d", len(line), maxControlLine)
	}
	tp := topic.MustParse(strings.Repeat("a", DefaultMaxSubject-3))
	if _, err := (Mapper{Prefix: "ee"}).Subject(tp); err != nil {
		t.Errorf("subject of exactly DefaultMaxSubject bytes: %v", err)
	}
	tp = topic.MustParse(strings.Repeat("a", DefaultMaxSubject-2))
	if _, err := (Mapper{Prefix: "ee"}).Subject(tp); !errors.Is(err, ErrSubjectTooLong) {
		t.Errorf("subject of DefaultMaxSubject+1 bytes: %v, want ErrSubjectTooLong", err)
	}
}

var fuzzMappers = []Mapper{
	{Prefix: "ee"},
	{},
	{Prefix: "a.b", AllowNonASCII: true},
	{AllowNonASCII: true, MaxSubject: 64},
}

// FuzzSubject: for every exact topic, Subject gives a subject that the
// server accepts for publishing and that has one token per part, within
// the limit, and Topic gives the topic back; AppendSubject agrees.
func FuzzSubject(f *testing.F) {
	for _, s := range []string{"Market.Data.AAPL", "a b.c", "x*y.>a", "$SYS.x", "Zürich.東京", "5%.%41", "a\u00a0b", "\ufffd", "a.\u200b", "~.!.\"#&'", strings.Repeat("ab.", 30) + "c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		tp, err := topic.Parse(text)
		if err != nil || !tp.IsExact() {
			return
		}
		for _, m := range fuzzMappers {
			s, err := m.Subject(tp)
			if err != nil {
				if !errors.Is(err, ErrSubjectTooLong) {
					t.Fatalf("%+v.Subject(%q): %v", m, text, err)
				}
				continue
			}
			if !serverIsValidPublishSubject(s) || !clientValidPublish(s) {
				t.Fatalf("%+v.Subject(%q) = %q: the server or client would refuse it", m, text, s)
			}
			if len(s) > m.max() {
				t.Fatalf("%+v.Subject(%q) = %q: %d bytes, over the limit", m, text, s, len(s))
			}
			if got, want := strings.Count(s, ".")+1, tp.Len()+strings.Count(m.Prefix, ".")+min(len(m.Prefix), 1); got != want {
				t.Fatalf("%+v.Subject(%q) = %q: %d tokens, want %d", m, text, s, got, want)
			}
			for i := 0; i < len(s); i++ {
				if c := s[i]; c <= ' ' || c == 0x7f || !m.AllowNonASCII && c >= 0x80 {
					t.Fatalf("%+v.Subject(%q) = %q: byte %#x at %d", m, text, s, c, i)
				}
			}
			back, err := m.Topic(s)
			if err != nil || back != tp {
				t.Fatalf("%+v.Topic(%q) = %v, %v; want %v", m, s, back, err, tp)
			}
			b, err := m.AppendSubject([]byte("x"), tp)
			if err != nil || string(b) != "x"+s {
				t.Fatalf("AppendSubject = %q, %v; want %q", b, err, "x"+s)
			}
		}
	})
}

// FuzzTopic: Topic never panics, its fast path agrees with its slow one,
// and whatever it accepts is what Subject writes (the mapping is a
// bijection).
func FuzzTopic(f *testing.F) {
	for _, s := range []string{"ee.Market.Data.AAPL", "ee.a%20b", "ee.%24SYS", "ee.a%2A", "ee.Z%C3%BCrich", "ee.Zürich", "a.b.x", "ee..a", "ee.a.", "ee.{x}", "ee.%", "ee.$", "ee.+a", "a.b.%EF%BF%BD"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range fuzzMappers {
			tp, err := m.Topic(s)
			off := len(m.Prefix) + min(len(m.Prefix), 1)
			if len(s) >= off && strings.HasPrefix(s, m.Prefix) && (m.Prefix == "" || len(s) > len(m.Prefix) && s[len(m.Prefix)] == '.') && len(s) > off {
				slow, serr := m.topicSlow(s, off)
				if (err == nil) != (serr == nil) || slow != tp {
					t.Fatalf("%+v.Topic(%q) = %v, %v; the slow path gives %v, %v", m, s, tp, err, slow, serr)
				}
			}
			if err != nil {
				var se *SubjectError
				if !errors.As(err, &se) {
					t.Fatalf("%+v.Topic(%q): %v is not a *SubjectError", m, s, err)
				}
				continue
			}
			if !tp.IsExact() {
				t.Fatalf("%+v.Topic(%q) = %v: not exact", m, s, tp)
			}
			back, err := m.Subject(tp)
			if err != nil && !errors.Is(err, ErrSubjectTooLong) {
				t.Fatalf("%+v.Subject(%v): %v", m, tp, err)
			}
			if err == nil && back != s {
				t.Fatalf("%+v.Topic(%q) = %v, whose subject is %q", m, s, tp, back)
			}
		}
	})
}

// FuzzFilter: every filter is valid for a subscription and never a bare
// ">", and the server's matching lets through every subject whose topic
// the pattern matches (the engine filters the rest).
func FuzzFilter(f *testing.F) {
	for _, s := range [][2]string{
		{"Market.Data.{s}", "Market.Data.AAPL"}, {"Market.>", "Market.a.b"}, {"*.b", "a b.b"},
		{"(a|b).x", "b.x"}, {"/^a/.x", "abc.x"}, {">", "a"}, {"x*y.>", "x*y.z"}, {"$SYS.*", "$SYS.a"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, text string) {
		p, err := topic.Parse(pattern)
		if err != nil {
			return
		}
		tp, err := topic.Parse(text)
		exact := err == nil && tp.IsExact()
		for _, m := range fuzzMappers {
			flt, err := m.Filter(p)
			if err != nil {
				if errors.Is(err, ErrSubjectTooLong) || errors.Is(err, ErrBareWildcard) && m.Prefix == "" && p.String() == ">" {
					continue
				}
				t.Fatalf("%+v.Filter(%q): %v", m, pattern, err)
			}
			if flt == ">" || !serverIsValidSubject(flt) || !clientValidSubscribe(flt) || len(flt) > m.max() {
				t.Fatalf("%+v.Filter(%q) = %q: invalid", m, pattern, flt)
			}
			if !exact || !p.Matches(tp) {
				continue
			}
			s, err := m.Subject(tp)
			if err != nil {
				continue
			}
			if !serverMatch(s, flt) {
				t.Fatalf("pattern %q matches topic %q, but filter %q does not match subject %q", pattern, text, flt, s)
			}
		}
	})
}

func ExampleMapper_Subject() {
	m := Mapper{Prefix: "ee"}
	for _, text := range []string{"Market.Data.AAPL", "Desk.New York", "Rates.5%", "Sys.$SYS", "Ville.Zürich"} {
		s, _ := m.Subject(topic.MustParse(text))
		fmt.Println(s)
	}
	// Output:
	// ee.Market.Data.AAPL
	// ee.Desk.New%20York
	// ee.Rates.5%25
	// ee.Sys.%24SYS
	// ee.Ville.Z%C3%BCrich
}

func ExampleMapper_Topic() {
	m := Mapper{Prefix: "ee"}
	t, err := m.Topic("ee.Desk.New%20York")
	fmt.Println(t, err)
	_, err = m.Topic("ee.Desk.New York")
	fmt.Println(err)
	_, err = m.Topic("other.Desk")
	fmt.Println(errors.Is(err, ErrNotUnderPrefix))
	// Output:
	// Desk.New York <nil>
	// wire: "ee.Desk.New York": malformed escape (token should be written "New%20York") at offset 8
	// true
}

func ExampleMapper_Filter() {
	m := Mapper{Prefix: "ee"}
	for _, p := range []string{"Market.Data.{symbol}", "Market.(Equity|Futures).*", "Market.>"} {
		f, _ := m.Filter(topic.MustParse(p))
		fmt.Println(f)
	}
	_, err := Mapper{}.Filter(topic.MustParse(">"))
	fmt.Println(errors.Is(err, ErrBareWildcard))
	// Output:
	// ee.Market.Data.*
	// ee.Market.*.*
	// ee.Market.>
	// true
}
