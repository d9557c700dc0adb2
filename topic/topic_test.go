package topic

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"
)

func TestParseReferenceExamples(t *testing.T) {
	cases := []struct {
		text  string
		exact bool
		kinds []Kind
	}{
		{"Market.Data.AAPL", true, []Kind{KindExact, KindExact, KindExact}},
		{"Market.Data.{symbol}", false, []Kind{KindExact, KindExact, KindAny}},
		{"Market.(Equity|Futures).Trade", false, []Kind{KindExact, KindRange, KindExact}},
		{`Market.Data./^[A-Z]{4}$/`, false, []Kind{KindExact, KindExact, KindPattern}},
		{`Prices./^\d+\.\d+$/.Last`, false, []Kind{KindExact, KindPattern, KindExact}},
		{"My.Topic", true, []Kind{KindExact, KindExact}},
		{"A.+x", false, []Kind{KindExact, KindAny}},
		{"x", true, []Kind{KindExact}},
		{"Ünïcödé.ok", true, []Kind{KindExact, KindExact}},
	}
	for _, c := range cases {
		tp, err := Parse(c.text)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.text, err)
		}
		if tp.IsExact() != c.exact || tp.Len() != len(c.kinds) {
			t.Fatalf("Parse(%q): exact %v len %d", c.text, tp.IsExact(), tp.Len())
		}
		for i, p := range tp.Parts() {
			if p.Kind() != c.kinds[i] {
				t.Fatalf("Parse(%q) part %d kind %v, want %v", c.text, i, p.Kind(), c.kinds[i])
			}
		}
		again, _ := Parse(tp.String())
		if again != tp {
			t.Fatalf("round trip of %q gave a different topic", c.text)
		}
	}
	if MustParse("A.+x") != MustParse("A.{x}") || MustParse("A.+x").String() != "A.{x}" {
		t.Fatal("+x and {x} must be the same topic, written {x}")
	}
	p := MustParse(`Prices./^\d+\.\d+$/.Last`).Part(1)
	if p.Pattern() != `^\d+\.\d+$` || p.Regexp() == nil || !p.Accepts("1.25") || p.Accepts("x1.2") {
		t.Fatalf("pattern part %q", p.Pattern())
	}
	r := MustParse("Market.(Equity|Futures).Trade").Part(1)
	if got := r.Options(); len(got) != 2 || got[0] != "Equity" || got[1] != "Futures" {
		t.Fatalf("range options %q", got)
	}
	if MustParse("A.{sym}").Part(1).Name() != "sym" || MustParse("A.b").Part(1).Literal() != "b" {
		t.Fatal("Name/Literal accessors")
	}
}

func TestMalformed(t *testing.T) {
	long := strings.Repeat("a", MaxLen+1)
	many := strings.Repeat("a.", MaxParts) + "a"
	cases := []struct {
		text string
		err  error
		off  int
	}{
		{"", ErrEmpty, 0},
		{".", ErrEmptyPart, 0},
		{"..", ErrEmptyPart, 0},
		{"a..b", ErrEmptyPart, 2},
		{".a", ErrEmptyPart, 0},
		{"a.", ErrEmptyPart, 2},
		{"a.b.", ErrEmptyPart, 4},
		{"{x", ErrUnclosed, 0},
		{"a.{x", ErrUnclosed, 2},
		{"a.{x.y}", ErrUnclosed, 2},
		{"(a|b", ErrUnclosed, 0},
		{"a.(a|b.c)", ErrUnclosed, 2},
		{"/abc", ErrUnclosed, 0},
		{"a./abc", ErrUnclosed, 2},
		{"a./ab/c", ErrUnclosed, 2},
		{"{}", ErrEmptyWildcard, 1},
		{"a.{}.b", ErrEmptyWildcard, 3},
		{"+", ErrEmptyWildcard, 0},
		{"a.+", ErrEmptyWildcard, 2},
		{"a.+.b", ErrEmptyWildcard, 2},
		{"()", ErrEmptyRange, 1},
		{"a.()", ErrEmptyRange, 3},
		{"(|)", ErrEmptyRange, 1},
		{"(a||b)", ErrEmptyRange, 3},
		{"(a|)", ErrEmptyRange, 3},
		{"(|a)", ErrEmptyRange, 1},
		{"(a|a)", ErrDuplicate, 3},
		{"//", ErrBadPattern, 1},
		{"a.//", ErrBadPattern, 3},
		{"/(?=x)/", ErrBadPattern, 1},
		{`/(a)\1/`, ErrBadPattern, 1},
		{"/[a-/", ErrBadPattern, 1},
		{"/(/", ErrBadPattern, 1},
		{"/a**/", ErrBadPattern, 1},
		{"/(?<!x)y/", ErrBadPattern, 1},
		{"/x{2,1}/", ErrBadPattern, 1},
		{"/\\/", ErrBadPattern, 1},
		{"a{b", ErrReserved, 1},
		{"a}b", ErrReserved, 1},
		{"a(b", ErrReserved, 1},
		{"a)b", ErrReserved, 1},
		{"a|b", ErrReserved, 1},
		{"x.a|b", ErrReserved, 3},
		{"x.+a+", ErrReserved, 4},
		{"{a}b", ErrTrailing, 3},
		{"(a|b)c", ErrTrailing, 5},
		{"{a b}", ErrReserved, 2},
		{"{a.b}", ErrUnclosed, 0},
		{"{a/b}", ErrReserved, 2},
		{"+a b", ErrReserved, 2},
		{"+a{", ErrReserved, 2},
		{"{a}}", ErrTrailing, 3},
		{"a\x00b", ErrReserved, 1},
		{"a\nb", ErrReserved, 1},
		{"a\tb", ErrReserved, 1},
		{"\x7f", ErrReserved, 0},
		{"a.\xff", ErrReserved, 2},
		{"\xc3", ErrReserved, 0},
		{"(a|\xff)", ErrReserved, 3},
		{"(a|b{)", ErrReserved, 4},
		{"(a|/b)", ErrReserved, 3},
		{"(a|+b)", ErrReserved, 3},
		{"/a\x01/", ErrReserved, 2},
		{long, ErrTooLong, MaxLen},
		{many, ErrTooManyParts, 2 * MaxParts},
		{"a.b.c..", ErrEmptyPart, 6},
		{"{x}.{y", ErrUnclosed, 4},
		{"(x|y).(", ErrUnclosed, 6},
	}
	if len(cases) < 60 {
		t.Fatalf("only %d malformed cases", len(cases))
	}
	for _, c := range cases {
		tp, err := Parse(c.text)
		var te *Error
		if err == nil || !errors.As(err, &te) {
			t.Errorf("Parse(%q) = %v, %v; want an *Error", c.text, tp, err)
			continue
		}
		if !errors.Is(err, c.err) || te.Offset != c.off {
			t.Errorf("Parse(%q): %v (offset %d); want %v at offset %d", c.text, err, te.Offset, c.err, c.off)
		}
		if !strings.Contains(err.Error(), "offset") || te.Input != c.text && len(c.text) < 100 {
			t.Errorf("Parse(%q): message %q does not name input and offset", c.text, err)
		}
	}
}

func TestFormatJoinAppend(t *testing.T) {
	tmpl := MustParse("Market.{kind}.{symbol}")
	got, err := tmpl.Format(map[string]string{"kind": "Data", "symbol": "AAPL"})
	if err != nil || got != MustParse("Market.Data.AAPL") {
		t.Fatalf("Format = %v, %v", got, err)
	}
	if _, err := tmpl.Format(map[string]string{"kind": "Data"}); !errors.Is(err, ErrMissingValue) {
		t.Fatalf("missing value: %v", err)
	}
	for _, bad := range []string{"", "a.b", "a{", "/x", "+x", "a|b", "\x00"} {
		if _, err := tmpl.Format(map[string]string{"kind": bad, "symbol": "X"}); !errors.Is(err, ErrBadValue) {
			t.Fatalf("Format with value %q: %v, want ErrBadValue", bad, err)
		}
		if _, err := Join("A", bad); err == nil {
			t.Fatalf("Join with %q accepted", bad)
		}
	}
	for _, s := range []string{"A.(b|c)", "A./x/"} {
		if _, err := MustParse(s).Format(nil); !errors.Is(err, ErrNotFormattable) {
			t.Fatalf("Format(%q): %v, want ErrNotFormattable", s, err)
		}
	}
	j, err := Join("Market", "Data", "AAPL")
	if err != nil || j != MustParse("Market.Data.AAPL") {
		t.Fatalf("Join = %v, %v", j, err)
	}
	if _, err := Join(); !errors.Is(err, ErrEmpty) {
		t.Fatalf("Join() = %v", err)
	}
	base := MustParse("A.B")
	any, _ := AnyPart("x")
	app, err := base.Append(any)
	if err != nil || app.String() != "A.B.{x}" || base.String() != "A.B" {
		t.Fatalf("Append = %v, %v; base %v", app, err, base)
	}
	if _, err := base.Append(Part{}); !errors.Is(err, ErrZeroPart) {
		t.Fatalf("Append(zero Part): %v", err)
	}
	rp, _ := RangePart("a", "b")
	pp, _ := PatternPart(`^\d+$`)
	ep, _ := ExactPart("z")
	fp, err := FromParts(ep, rp, pp, any)
	if err != nil || fp.String() != `z.(a|b)./^\d+$/.{x}` || fp != MustParse(fp.String()) {
		t.Fatalf("FromParts = %v, %v", fp, err)
	}
	for _, f := range []func() (Part, error){
		func() (Part, error) { return ExactPart("a.b") },
		func() (Part, error) { return AnyPart("") },
		func() (Part, error) { return AnyPart("a b") },
		func() (Part, error) { return RangePart() },
		func() (Part, error) { return RangePart("a", "a") },
		func() (Part, error) { return PatternPart("") },
		func() (Part, error) { return PatternPart("(") },
		func() (Part, error) { return PatternPart("a/.b") },
	} {
		if _, err := f(); err == nil {
			t.Fatal("a bad part constructor accepted its input")
		}
	}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		a, b   string
		match  bool
		values map[string]string
	}{
		{"Market.{kind}.{symbol}", "Market.Data.AAPL", true, map[string]string{"kind": "Data", "symbol": "AAPL"}},
		{"Market.Data.AAPL", "Market.{kind}.{symbol}", true, map[string]string{"kind": "Data", "symbol": "AAPL"}},
		{"Market.(Equity|Futures).Trade", "Market.Equity.Trade", true, map[string]string{}},
		{"Market.(Equity|Futures).Trade", "Market.Bond.Trade", false, map[string]string{}},
		{`Market.Data./^[A-Z]{4}$/`, "Market.Data.AAPL", true, map[string]string{}},
		{`Market.Data./^[A-Z]{4}$/`, "Market.Data.IBM", false, map[string]string{}},
		{`A./B/`, "A.xBx", true, map[string]string{}}, // unanchored search
		{"A.{x}", "A.{y}", false, map[string]string{}},
		{"A.{x}", "A.{x}", true, map[string]string{}},
		{"A.{x}", "A.+x", true, map[string]string{}},
		{"A.{x}", "A.B.C", false, map[string]string{}},
		{"A.B", "A.B", true, map[string]string{}},
		{"A.B", "A.C", false, map[string]string{}},
		{"A.{x}.b", "A.c.{x}", true, map[string]string{"x": "c"}}, // a name on both sides: the first binding is kept
		{"A.(b|c)", "A./b/", false, map[string]string{}},
	}
	for _, c := range cases {
		a, b := MustParse(c.a), MustParse(c.b)
		r := a.Match(b)
		if r.Matched != c.match || a.Matches(b) != c.match || b.Matches(a) != c.match {
			t.Errorf("%s vs %s: Match %v Matches %v/%v, want %v", c.a, c.b, r.Matched, a.Matches(b), b.Matches(a), c.match)
		}
		if !maps.Equal(r.Values(), c.values) {
			t.Errorf("%s vs %s: values %v, want %v", c.a, c.b, r.Values(), c.values)
		}
	}
	r := MustParse("Market.{kind}.AAPL").Match(MustParse("Market.Data.AAPL"))
	if r.Len() != 3 || r.Nodes[1].Literal != "Data" || r.Nodes[1].A.Kind() != KindAny || !r.Nodes[2].Matched {
		t.Fatalf("nodes %+v", r.Nodes)
	}
	if (Topic{}).Matches(MustParse("A")) || (Topic{}).Match(Topic{}).Matched {
		t.Fatal("the zero Topic matched")
	}
}

// randomTopic builds a random valid topic text from a small alphabet, so
// that matches are frequent.
func randomTopic(r *rand.Rand, generic bool) string {
	n := 1 + r.IntN(4)
	parts := make([]string, n)
	for i := range parts {
		k := 0
		if generic {
			k = r.IntN(7)
		}
		switch k {
		case 4:
			parts[i] = "*"
		case 5:
			if i == n-1 {
				parts[i] = ">"
			} else {
				parts[i] = "a*"
			}
		case 1:
			parts[i] = fmt.Sprintf("{v%d}", i) // a name appears once in a topic
		case 2:
			parts[i] = "(a|bb)"
		case 3:
			parts[i] = "/^b/"
		default:
			parts[i] = []string{"a", "bb", "c"}[r.IntN(3)]
		}
	}
	return strings.Join(parts, ".")
}

func TestProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for range 20000 {
		a := MustParse(randomTopic(r, r.IntN(2) == 0))
		b := MustParse(randomTopic(r, r.IntN(2) == 0))
		if a.Matches(b) != b.Matches(a) || a.Match(b).Matched != a.Matches(b) {
			t.Fatalf("asymmetric: %v vs %v", a, b)
		}
		if a.IsExact() && b.IsExact() && a.Matches(b) != (a.String() == b.String()) {
			t.Fatalf("exact match differs from text equality: %v vs %v", a, b)
		}
		if MustParse(a.String()) != a {
			t.Fatalf("round trip of %v", a)
		}
		var texts []string
		for _, p := range a.Parts() {
			texts = append(texts, p.String())
		}
		if strings.Join(texts, ".") != a.String() {
			t.Fatalf("the parts of %v join to %q", a, strings.Join(texts, "."))
		}
		// Formatting a wildcard-only template matches the template and binds
		// exactly the values given (first name wins).
		vals := map[string]string{"v0": "a", "v1": "bb", "v2": "c", "v3": "a"}
		if f, err := a.Format(vals); err == nil {
			if !f.IsExact() || !a.Matches(f) {
				t.Fatalf("%v formatted to %v, which it does not match", a, f)
			}
			for name, v := range a.Match(f).Values() {
				if vals[name] != v {
					t.Fatalf("%v vs %v bound %s=%s", a, f, name, v)
				}
			}
		}
	}
}

func TestIdentityAndJSON(t *testing.T) {
	a := MustParse("X.Y")
	b, _ := Parse(strings.Clone("X.Y"))
	if a != b || a.Hash() != b.Hash() || a.Hash() == 0 {
		t.Fatal("same text, different topics")
	}
	m := map[Topic]int{a: 1}
	if m[b] != 1 {
		t.Fatal("not usable as a map key")
	}
	if l, ok := Lookup("X.Y"); !ok || l != a {
		t.Fatal("Lookup")
	}
	found := false
	for tp := range Interned() {
		if tp == a {
			found = true
		}
	}
	if !found {
		t.Fatal("Interned does not list a live topic")
	}
	var z Topic
	if !z.IsZero() || z.String() != "" || z.Len() != 0 || z.IsExact() || z.Hash() != 0 {
		t.Fatal("zero Topic")
	}
	buf, err := json.Marshal(map[string]Topic{"t": MustParse("A.{x}")})
	if err != nil || string(buf) != `{"t":"A.{x}"}` {
		t.Fatalf("json %s %v", buf, err)
	}
	var back map[string]Topic
	if err := json.Unmarshal(buf, &back); err != nil || back["t"] != MustParse("A.{x}") {
		t.Fatalf("unmarshal %v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"t":"a..b"}`), &back); !errors.Is(err, ErrEmptyPart) {
		t.Fatalf("unmarshal of a bad topic: %v", err)
	}
}

// TestInternDoesNotRetain parses ten million distinct topics (the number
// the issue names) without keeping them, and checks that they were not kept
// alive and that the intern table and the live heap stay bounded. The
// bounds are constants, not fractions of n: what stays alive is at most
// the slab being filled in each shard, and the table's peak depends on how
// many topics are allocated between two collections, not on n. Retaining
// the ten million would take over 1 GiB and 10M entries. Under -short or
// -race (whose instrumentation makes each parse many times slower) it
// parses 100,000: the bounds on live topics and entries after a sweep still
// bind, the peak and heap bounds are then too loose to say much.
func TestInternDoesNotRetain(t *testing.T) {
	n := 10_000_000
	if testing.Short() || raceEnabled {
		n = 100_000
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	entriesBefore := tableLen()
	peak := 0
	buf := []byte("Short.Lived.T")
	for i := range n {
		buf = strconv.AppendInt(buf[:len("Short.Lived.T")], int64(i), 10)
		buf = append(buf, ".x"...)
		if _, err := Parse(string(buf)); err != nil {
			t.Fatal(err)
		}
		if i%1000 == 0 {
			peak = max(peak, tableLen())
		}
	}
	runtime.GC()
	left := 0
	for tp := range Interned() {
		if strings.HasPrefix(tp.String(), "Short.Lived.") {
			left++
		}
	}
	entriesAfterGC := tableLen()
	sweepAll() // what the next inserts would do anyway
	entriesAfterSweep := tableLen()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	growth := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d topics parsed; %d still alive; table entries: %d before, peak %d, %d after GC, %d after sweep; live heap grew %d bytes",
		n, left, entriesBefore, peak, entriesAfterGC, entriesAfterSweep, growth)
	const (
		maxLeft    = numShards * slabSize // one partly filled (narrow) slab per shard
		maxPeak    = 500_000
		maxGrowth  = 16 << 20
		maxEntries = maxLeft
	)
	if left > maxLeft {
		t.Fatalf("%d of %d short-lived topics are still alive", left, n)
	}
	if peak > maxPeak {
		t.Fatalf("the intern table reached %d entries while parsing %d short-lived topics", peak, n)
	}
	if entriesAfterSweep > entriesBefore+maxEntries {
		t.Fatalf("the intern table kept %d entries (%d before)", entriesAfterSweep, entriesBefore)
	}
	if growth > maxGrowth {
		t.Fatalf("live heap grew %d bytes after parsing %d short-lived topics", growth, n)
	}
}

func BenchmarkParseSeen(b *testing.B) {
	keep := MustParse("Market.Data.AAPL.Last")
	b.ReportAllocs()
	for b.Loop() {
		if t, _ := Parse("Market.Data.AAPL.Last"); t != keep {
			b.Fatal("different topic")
		}
	}
}

// textGen numbers the batches of fillTexts, in every benchmark and every
// run of one (-count), so that no text is ever parsed twice.
var textGen int

// fillTexts sets texts to exact 4-part topic texts never used before
// (Market.Data.S<i>.G<batch>), built by appending numbers to a byte buffer:
// one small allocation each and no fmt.
func fillTexts(texts []string) {
	textGen++
	gen := textGen
	var buf []byte
	for i := range texts {
		buf = append(buf[:0], "Market.Data.S"...)
		buf = strconv.AppendInt(buf, int64(i), 10)
		buf = append(buf, ".G"...)
		buf = strconv.AppendInt(buf, int64(gen), 10)
		texts[i] = string(buf)
	}
}

// BenchmarkParseNew4Parts parses exact 4-part topics never seen before and
// drops each at once, so the cost includes the collection of the dead
// topics and the removal of their table entries. The texts are built in
// batches of 64Ki, with the timer stopped (fillTexts, which numbers every
// batch so that each text is new), and the loop times Parse alone.
func BenchmarkParseNew4Parts(b *testing.B) {
	texts := make([]string, 1<<16)
	fillTexts(texts)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := Parse(texts[i]); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(texts) {
			b.StopTimer()
			i = 0
			fillTexts(texts)
			b.StartTimer()
		}
	}
}

var sinkData *data

// BenchmarkParseNew4PartsBaseline does what BenchmarkParseNew4Parts does
// except interning: it hashes and validates the same kind of new texts and
// allocates a topic body (40 bytes, without its text) for each. On a shared
// machine, compare BenchmarkParseNew4Parts with this baseline measured in
// the same run: the difference is the cost of interning (the table, the
// slabs and their weak pointers, the copy of the text).
func BenchmarkParseNew4PartsBaseline(b *testing.B) {
	texts := make([]string, 1<<16)
	fillTexts(texts)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		text := texts[i]
		h := hashText(text)
		var buf [inlineParts]Part
		parts, canonical, err := parseParts(text, buf[:0])
		if err != nil {
			b.Fatal(err)
		}
		d := new(data)
		d.fill(h, parts)
		d.tlen = uint16(len(canonical))
		sinkData = d
		if i++; i == len(texts) {
			b.StopTimer()
			i = 0
			fillTexts(texts)
			b.StartTimer()
		}
	}
}

func BenchmarkMatches3Parts(b *testing.B) {
	g := MustParse("Market.{kind}.{symbol}")
	e := MustParse("Market.Data.AAPL")
	n := MustParse("Market.Data")
	o := MustParse("Other.Data.AAPL")
	others := []Topic{e, n, o, e}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		g.Matches(others[i&3])
		i++
	}
}

func BenchmarkMatchValues(b *testing.B) {
	g := MustParse("Market.{kind}.{symbol}")
	e := MustParse("Market.Data.AAPL")
	b.ReportAllocs()
	for b.Loop() {
		if len(g.Match(e).Values()) != 2 {
			b.Fatal("wrong")
		}
	}
}

// TestConcurrentIntern parses the same new texts from several goroutines at
// once (while the collector runs and entries die) and checks that everyone
// gets the same topic for the same text.
func TestConcurrentIntern(t *testing.T) {
	const workers, texts = 4, 2000
	got := make([][]Topic, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			got[w] = make([]Topic, texts)
			for i := range texts {
				if i%500 == 0 {
					runtime.GC()
				}
				// Alternate spellings of the same canonical text.
				text := fmt.Sprintf("Conc.T%d.{x}", i)
				if (i+w)%2 == 0 {
					text = fmt.Sprintf("Conc.T%d.+x", i)
				}
				got[w][i] = MustParse(text)
			}
		})
	}
	wg.Wait()
	for i := range texts {
		for w := 1; w < workers; w++ {
			if got[w][i] != got[0][i] {
				t.Fatalf("text %d: worker %d got a different topic (%v vs %v)", i, w, got[w][i], got[0][i])
			}
		}
	}
}

// TestConcurrentChurn parses a set of texts (more than the slabs being
// filled can hold, so that slabs die) from several goroutines while one of
// them keeps dropping every reference and running the collector, so slabs
// die, tables are rebuilt and dead slots are reused under concurrent
// readers. Whenever a goroutine holds the topic of a text, parsing that
// text must give that very topic. A third of the texts have a range part,
// so they live in wide slabs.
func TestConcurrentChurn(t *testing.T) {
	const workers, texts, rounds = 4, 8192, 20000
	var held [texts]atomic.Pointer[data]
	names := make([]string, texts)
	for k := range names {
		names[k] = "Churn.T" + strconv.Itoa(k) + ".{x}"
		if k%3 == 0 {
			names[k] = "Churn.(a|b).T" + strconv.Itoa(k) + ".{x}"
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range rounds {
				if w == 0 && i%2000 == 0 {
					for k := range held {
						held[k].Store(nil)
					}
					runtime.GC()
				}
				k := r.IntN(texts)
				text := names[k]
				if r.IntN(2) == 0 {
					text = strings.Replace(text, "{x}", "+x", 1)
				}
				p := held[k].Load() // held by this goroutine until the check
				tp := MustParse(text)
				if p != nil && tp.d != p {
					errs <- fmt.Sprintf("%s: got a different topic while one was alive", text)
					return
				}
				held[k].CompareAndSwap(nil, tp.d)
				if l, ok := Lookup(names[k]); !ok || l != tp {
					errs <- fmt.Sprintf("Lookup(%s) = %v, %v while it is alive", names[k], l, ok)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestInternHashCollision interns different texts under the same hash (as
// a 64-bit collision would): each keeps its own topic, through a rebuild.
func TestInternHashCollision(t *testing.T) {
	const h = 0x0123456789abcdef
	texts := []string{"Collide.A", "Collide.B", "Collide.C.{x}"}
	var got []Topic
	for _, text := range texts {
		parts, canon, err := parseParts(text, nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, intern(canon, h, parts))
	}
	for round := range 2 {
		for i, text := range texts {
			l, ok := lookup(text, h)
			if !ok || l != got[i] || l.String() != text {
				t.Fatalf("round %d: lookup(%q) = %v, %v", round, text, l, ok)
			}
			parts, canon, _ := parseParts(text, nil)
			if again := intern(canon, h, parts); again != got[i] {
				t.Fatalf("round %d: interning %q again gave a different topic", round, text)
			}
		}
		sweepAll()
	}
	runtime.KeepAlive(got)
}

// TestLongTopics checks topics with more parts than are stored inline, of
// every kind, up to MaxParts.
func TestLongTopics(t *testing.T) {
	var b strings.Builder
	for i := range MaxParts {
		if i > 0 {
			b.WriteByte('.')
		}
		switch i % 4 {
		case 0:
			b.WriteString("p" + strconv.Itoa(i))
		case 1:
			b.WriteString("{n" + strconv.Itoa(i) + "}")
		case 2:
			b.WriteString("(a|b" + strconv.Itoa(i) + ")")
		case 3:
			b.WriteString("/^q" + strconv.Itoa(i) + "$/")
		}
	}
	tp := MustParse(b.String())
	if tp.Len() != MaxParts || tp.String() != b.String() {
		t.Fatalf("len %d", tp.Len())
	}
	lits := make([]string, MaxParts)
	for i, p := range tp.Parts() {
		if want := []Kind{KindExact, KindAny, KindRange, KindPattern}[i%4]; p.Kind() != want {
			t.Fatalf("part %d is %v, want %v", i, p.Kind(), want)
		}
		switch p.Kind() {
		case KindExact:
			lits[i] = p.Literal()
		case KindAny:
			lits[i] = "v"
		case KindRange:
			lits[i] = p.Options()[1]
		case KindPattern:
			lits[i] = "q" + strconv.Itoa(i)
		}
	}
	e, err := Join(lits...)
	if err != nil || !tp.Matches(e) || !e.Matches(tp) || tp.Match(e).Len() != MaxParts {
		t.Fatalf("%v does not match its instance: %v", tp, err)
	}
	if v := tp.Match(e).Values(); len(v) != MaxParts/4 || v["n1"] != "v" {
		t.Fatalf("values %v", v)
	}
}

// BenchmarkParseNew4PartsKept parses new 4-part topics and keeps them
// alive, so the intern table only grows: parsing, one allocation, the weak
// handle and the insert, without the collection and removal of dead
// entries that BenchmarkParseNew4Parts also pays for.
func BenchmarkParseNew4PartsKept(b *testing.B) {
	texts := make([]string, 1<<16)
	kept := make([]Topic, len(texts))
	fillTexts(texts)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		t, err := Parse(texts[i])
		if err != nil {
			b.Fatal(err)
		}
		kept[i] = t
		if i++; i == len(texts) {
			b.StopTimer()
			i = 0
			fillTexts(texts)
			b.StartTimer()
		}
	}
}

// TestZeroValues calls every method on the zero Topic and the zero Part:
// none panics.
func TestZeroValues(t *testing.T) {
	var z Topic
	if z.Part(0).Kind() != KindInvalid || MustParse("A").Part(1).Kind() != KindInvalid || MustParse("A").Part(-1).Kind() != KindInvalid {
		t.Fatal("out-of-range Part is not the zero Part")
	}
	for range z.Parts() {
		t.Fatal("the zero Topic has parts")
	}
	if z.Matches(z) || z.Match(MustParse("A")).Matched || len(z.Match(z).Values()) != 0 {
		t.Fatal("the zero Topic matched")
	}
	if _, err := z.Format(nil); err == nil {
		t.Fatal("Format of the zero Topic")
	}
	if a, err := z.Append(mustPart(ExactPart("A"))); err != nil || a != MustParse("A") {
		t.Fatalf("Append to the zero Topic: %v %v", a, err)
	}
	b, err := z.MarshalText()
	var back Topic = MustParse("X")
	if err != nil || len(b) != 0 || back.UnmarshalText(b) != nil || !back.IsZero() {
		t.Fatal("zero Topic text round trip")
	}
	var p Part
	if p.Kind() != KindInvalid || p.String() != "" || p.Accepts("a") || p.Options() != nil || p.Regexp() != nil ||
		p.Literal() != "" || p.Name() != "" || p.Pattern() != "" || p.IsExact() || p.Kind().String() != "invalid" {
		t.Fatal("zero Part")
	}
}

func mustPart(p Part, err error) Part {
	if err != nil {
		panic(err)
	}
	return p
}

func BenchmarkAccepts(b *testing.B) {
	t := MustParse(`A.{x}.(Equity|Futures|Options)./^[A-Z]{4}$/`)
	lits := []string{"B", "AAPL", "Futures", "AAPL"}
	b.ReportAllocs()
	for b.Loop() {
		for i := range 4 {
			t.Part(i).Accepts(lits[i])
		}
	}
}

// TestBuildLimitErrors checks that topics built from parts past the limits
// are refused with errors that give the size and the limit, and where.
func TestBuildLimitErrors(t *testing.T) {
	lits := make([]string, MaxParts+1)
	for i := range lits {
		lits[i] = "x"
	}
	_, err := Join(lits...)
	var te *Error
	if !errors.As(err, &te) || !errors.Is(err, ErrTooManyParts) {
		t.Fatalf("Join of %d parts: %v", len(lits), err)
	}
	if want := fmt.Sprintf("%d parts, limit %d", MaxParts+1, MaxParts); !strings.Contains(err.Error(), want) ||
		te.Offset != 2*MaxParts-1 || len(te.Input) != 2*MaxParts-1 {
		t.Errorf("Join of %d parts: %q (offset %d), want %q at offset %d", len(lits), err, te.Offset, want, 2*MaxParts-1)
	}
	_, err = Join(strings.Repeat("v", MaxLen/2), strings.Repeat("w", MaxLen/2))
	if !errors.As(err, &te) || !errors.Is(err, ErrTooLong) {
		t.Fatalf("Join longer than MaxLen: %v", err)
	}
	if want := fmt.Sprintf("%d bytes, limit %d", MaxLen+1, MaxLen); !strings.Contains(err.Error(), want) || te.Offset != MaxLen {
		t.Errorf("Join longer than MaxLen: %q, want %q at offset %d", err, want, MaxLen)
	}
}

// TestTextLengths interns topics whose texts have every length from 1 to
// MaxLen bytes, short and long mixed (so that narrow slabs are sized for
// one length and get another), and checks their texts and parts, before
// and after a collection and a sweep.
func TestTextLengths(t *testing.T) {
	var lengths []int
	for n := 1; n <= MaxLen; n++ {
		lengths = append(lengths, n, MaxLen+1-n) // 1, 4096, 2, 4095, ...
	}
	lengths = lengths[:MaxLen]
	texts := make([]string, len(lengths))
	for i, n := range lengths {
		// "L<i>" then "x" up to n bytes; a second part when there is room.
		txt := "L" + strconv.Itoa(i)
		if len(txt)+2 <= n {
			txt += "." + strings.Repeat("x", n-len(txt)-1)
		} else {
			txt = strings.Repeat("y", n-1) + string(rune('a'+i%26))
		}
		texts[i] = txt
	}
	got := make([]Topic, len(texts))
	for i, txt := range texts {
		got[i] = MustParse(txt)
	}
	for round := range 2 {
		for i, txt := range texts {
			tp := got[i]
			if tp.String() != txt || len(txt) != lengths[i] {
				t.Fatalf("round %d: topic %d of %d bytes has text %q", round, i, lengths[i], tp.String())
			}
			var parts []string
			for _, p := range tp.Parts() {
				parts = append(parts, p.Literal())
			}
			if strings.Join(parts, ".") != txt || !tp.IsExact() {
				t.Fatalf("round %d: the parts of %q are %q", round, txt, parts)
			}
			if again, err := Parse(strings.Clone(txt)); err != nil || again != tp {
				t.Fatalf("round %d: parsing %q again gave another topic (%v)", round, txt, err)
			}
		}
		runtime.GC()
		sweepAll()
	}
}

// TestLayout checks the sizes the memory figures in intern.go and topic.go
// rely on: 40 bytes of data per narrow topic, 136 per wide one, and a wide
// slab that fills its size class exactly (with the allocator's 8-byte
// header for objects with pointers).
func TestLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the figures are of 64-bit platforms")
	}
	if n := unsafe.Sizeof(data{}); n != 40 {
		t.Errorf("data is %d bytes, want 40", n)
	}
	if n := unsafe.Sizeof(wideData{}); n != 136 {
		t.Errorf("wideData is %d bytes, want 136", n)
	}
	if n := unsafe.Sizeof(wslab{}) + 8; n != 2304 {
		t.Errorf("a wide slab takes %d bytes with its header, want 2304", n)
	}
}

// TestParseKeepsNoCallerMemory: a topic parsed from a slice of a large
// string must not point into it (it would keep the whole string alive, and
// with it, through the topic's slab, the strings of other topics).
func TestParseKeepsNoCallerMemory(t *testing.T) {
	buf := make([]byte, 1<<16)
	copy(buf, "Pin.Me.Now")
	copy(buf[100:], "Pin.+who.x")
	copy(buf[200:], "Pin.(a|b).y")
	big := string(buf)
	lo := uintptr(unsafe.Pointer(unsafe.StringData(big)))
	for _, text := range []string{big[:6], big[:10], big[100:110], big[200:211]} { // simple, simple, +name, range (wide)
		tp, err := Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		if p := uintptr(unsafe.Pointer(unsafe.StringData(tp.String()))); p >= lo && p < lo+uintptr(len(big)) {
			t.Errorf("topic %q points into the caller's %d-byte string", tp, len(big))
		}
	}
}
