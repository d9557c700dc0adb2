package index

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"sync"
	"testing"
	"unsafe"

	"github.com/eventengine/eventengine/topic"
)

// testMemo returns a memo whose generations hold size literals.
func testMemo(size int) *memo {
	m := &memo{size: size, sizeFor: func() int { return size }}
	m.cur.init(size)
	m.old.init(size)
	return m
}

// TestMemo: the memo's answers are the regexps' answers, across many
// turns of its generations, for literals that come back and literals that
// do not; it holds at most two generations.
func TestMemo(t *testing.T) {
	res := []*regexp.Regexp{regexp.MustCompile(`a`), regexp.MustCompile(`^b+$`), regexp.MustCompile(`(?i)c`),
		regexp.MustCompile(`\d`), regexp.MustCompile(`^.{3}$`)}
	m := testMemo(16)
	r := rand.New(rand.NewPCG(5, 6))
	evals := 0
	for i := range 20000 {
		var lit string
		if r.IntN(2) == 0 {
			lit = fmt.Sprintf("k%d", r.IntN(12)) // a small working set: mostly hits
		} else {
			lit = fmt.Sprintf("%c%d%c", 'a'+r.IntN(4), i, 'A'+r.IntN(4)) // new
		}
		var want []int32
		for j, re := range res {
			if re.MatchString(lit) {
				want = append(want, int32(j))
			}
		}
		got := m.accepting(lit, len(res), func(j int) bool { evals++; return res[j].MatchString(lit) })
		if !slices.Equal(got, want) {
			t.Fatalf("literal %d %q: memo %v, regexps %v", i, lit, got, want)
		}
		if len(m.cur.m) > m.size || len(m.old.m) > m.size {
			t.Fatalf("generations of %d and %d literals, limit %d", len(m.cur.m), len(m.old.m), m.size)
		}
	}
	if evals >= 20000*len(res)*3/4 {
		t.Fatalf("%d evaluations for 20000 literals of which half come back: the memo does not remember", evals)
	}
}

// TestMemoBounded: a million distinct literals, none seen twice, go
// through a memo; it stays at two generations, and its arenas at the size
// the largest generation needed. Its keys are copies: the literals are
// written over in one buffer, and the keys still hold distinct texts.
func TestMemoBounded(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	m := testMemo(1024)
	var keysCap, accCap int
	buf := make([]byte, 0, 32)
	for i := range n {
		buf = fmt.Appendf(buf[:0], "S%d", i)
		lit := unsafe.String(unsafe.SliceData(buf), len(buf)) // the memo must copy it
		m.accepting(lit, 4, func(j int) bool { return (i+j)%3 == 0 })
		keysCap = max(keysCap, cap(m.cur.keys), cap(m.old.keys))
		accCap = max(accCap, cap(m.cur.acc), cap(m.old.acc))
	}
	if len(m.cur.m) > 1024 || len(m.old.m) > 1024 || keysCap > 32*1024 || accCap > 16*1024 {
		t.Fatalf("after %d literals: %d and %d entries, key arenas up to %d bytes, %d accepting edges", n, len(m.cur.m), len(m.old.m), keysCap, accCap)
	}
	for k := range m.cur.m {
		var i int
		if _, err := fmt.Sscanf(k, "S%d", &i); err != nil || k != fmt.Sprintf("S%d", i) {
			t.Fatalf("key %q: not a literal that was looked up", k)
		}
		var want []int32
		for j := range 4 {
			if (i+j)%3 == 0 {
				want = append(want, int32(j))
			}
		}
		if got, upto, _ := m.cur.get(k); !slices.Equal(got, want) || upto != 4 {
			t.Fatalf("key %q: %v, want %v", k, got, want)
		}
	}
}

// TestMatchAllocs: Match of topics seen before allocates nothing with a
// caller's slice, for every kind of pattern edge and the memo.
func TestMatchAllocs(t *testing.T) {
	var ix Index[int]
	for i, s := range []string{"M.D.{s}", "M.*.>", "M.D./^Z1$/", `M.D./^Z\d+$/`, "M.D./a/", "M.D./b/", "M.D./c/", "M.D./(?i)x/"} {
		ix.Insert(mustParse(t, s), i)
	}
	parsed := make([]int, 0, 16)
	for _, s := range []string{"M.D.Z1", "M.D.abc", "M.D.X", "M.D.Z77"} {
		e := mustParse(t, s)
		parsed = ix.Match(e, parsed[:0]) // first: fills the memo
		if n := testing.AllocsPerRun(100, func() { parsed = ix.Match(e, parsed[:0]) }); n != 0 {
			t.Errorf("Match(%s): %v allocations", s, n)
		}
	}
}

// TestMemoResize: a generation takes the size the number of interned
// topics asks for when it turns, up and down, and the answers stay right.
func TestMemoResize(t *testing.T) {
	want := 8
	m := testMemo(want)
	m.sizeFor = func() int { return want }
	for i, w := range []int{8, 64, 16, 16} {
		want = w
		for j := range 200 {
			lit := fmt.Sprintf("L%d", j%100)
			got := m.accepting(lit, 2, func(k int) bool { return (j%100+k)%2 == 0 })
			if len(got) != 1 || got[0] != int32((j%100)%2) {
				t.Fatalf("step %d, %q: %v", i, lit, got)
			}
		}
		if m.size != w || len(m.cur.m) > w {
			t.Fatalf("step %d: size %d with %d entries, want size %d", i, m.size, len(m.cur.m), w)
		}
	}
}

// TestMemoNewEdges: an entry made when there were fewer edges evaluates
// only the edges added since.
func TestMemoNewEdges(t *testing.T) {
	res := []*regexp.Regexp{regexp.MustCompile(`a`), regexp.MustCompile(`b`), regexp.MustCompile(`c`),
		regexp.MustCompile(`\d`), regexp.MustCompile(`^.{2}$`), regexp.MustCompile(`x`)}
	m := testMemo(64)
	lits := []string{"ab", "c1", "xyz", "q", "a9"}
	for n := 2; n <= len(res); n++ {
		for _, lit := range lits {
			var evaluated []int
			got := m.accepting(lit, n, func(i int) bool { evaluated = append(evaluated, i); return res[i].MatchString(lit) })
			var want []int32
			for i, re := range res[:n] {
				if re.MatchString(lit) {
					want = append(want, int32(i))
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%d edges, %q: %v, want %v", n, lit, got, want)
			}
			if wantEval := []int{n - 1}; n > 2 && !slices.Equal(evaluated, wantEval) {
				t.Fatalf("%d edges, %q: evaluated %v, want only the new edge %v", n, lit, evaluated, wantEval)
			}
		}
	}
}

// TestMemoAcrossChanges: at a node with a memo, adding and removing
// unfilterable regexps keeps Match equal to brute force, and keeps the
// memo (until holes are most of the edges).
func TestMemoAcrossChanges(t *testing.T) {
	var ix Index[string]
	add := func(s string) { ix.Insert(mustParse(t, s), s) }
	for _, s := range []string{"A./a/", "A./b/", "A./c/", "A./(?i)d/", "A./e|f/"} {
		add(s)
	}
	lits := []string{"ab", "cd", "D", "ef", "zz", "abcdef"}
	check := func(step string) {
		t.Helper()
		for _, l := range lits {
			e := mustParse(t, "A."+l)
			if got, want := matchBoth(&ix, ix.All(), e); !slices.Equal(got, want) {
				t.Fatalf("%s: Match(%v) = %q, brute force %q", step, e, got, want)
			}
		}
	}
	check("start")
	ps := ix.root.exact["A"].patterns
	m := ps.memo
	if m == nil {
		t.Fatal("no memo at a node with 5 unfilterable regexps")
	}
	add("A./z|a/")
	check("after adding one")
	ix.Remove(mustParse(t, "A./b/"), "A./b/")
	check("after removing one")
	if ps.memo != m {
		t.Fatal("a change dropped the memo")
	}
	for _, s := range []string{"A./a/", "A./c/", "A./(?i)d/"} {
		ix.Remove(mustParse(t, s), s)
		check("after removing " + s)
	}
	if ps.memo != nil || ps.dead != 0 || len(ps.scan) != 2 {
		t.Fatalf("after removing most edges: memo %v, %d holes in %d", ps.memo != nil, ps.dead, len(ps.scan))
	}
}

// TestMemoExtensionsBounded: entries extended over and over (an edge added
// between every two lookups) fill generations like new entries do: the
// arenas stay bounded.
func TestMemoExtensionsBounded(t *testing.T) {
	m := testMemo(64)
	lits := []string{"a", "bb", "ccc", "dddd", "eeeee"}
	for n := 1; n <= 2000; n++ {
		for _, lit := range lits {
			got := m.accepting(lit, n, func(i int) bool { return (i+len(lit))%100 == 0 })
			if want := (n + len(lit) - 1) / 100; len(got) != want {
				t.Fatalf("%d edges, %q: %d accepting, want %d", n, lit, len(got), want)
			}
		}
		if c := max(cap(m.cur.keys), cap(m.old.keys)); c > 1024 {
			t.Fatalf("%d edges: key arena of %d bytes", n, c)
		}
		if c := max(cap(m.cur.acc), cap(m.old.acc)); c > 4096 {
			t.Fatalf("%d edges: accepting-edge arena of %d", n, c)
		}
	}
}

// TestConcurrentMatch: Match calls from several goroutines at once, at
// nodes with memos that fill and turn, give the answers one goroutine
// gets (run it with -race).
func TestConcurrentMatch(t *testing.T) {
	var ix Index[int]
	for i, s := range []string{"M./a/", "M./b/", "M./c/", "M./(?i)d/", "M./e|f/", "M./[0-9]/", "M.{x}", "M./^a1$/", `M./^b\d/`} {
		ix.Insert(mustParse(t, s), i)
	}
	var topics []topic.Topic
	var want [][]int
	for i := range 3000 { // more literals than a generation holds (minMemo)
		e := mustParse(t, fmt.Sprintf("M.%c%d", "abcdefxyz"[i%9], i%1500))
		topics = append(topics, e)
		got := ix.Match(e, nil)
		slices.Sort(got)
		want = append(want, got)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dst := make([]int, 0, 16)
			for k := range 3 * len(topics) {
				i := (k*7 + g*1013) % len(topics)
				dst = ix.Match(topics[i], dst[:0])
				slices.Sort(dst)
				if !slices.Equal(dst, want[i]) {
					errs <- fmt.Sprintf("goroutine %d: Match(%v) = %v, want %v", g, topics[i], dst, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
