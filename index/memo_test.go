package index

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"testing"
	"unsafe"
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
	for k, v := range m.cur.m {
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
		pos, c := int(v>>32), int(uint32(v))
		if got := m.cur.acc[pos : pos+c]; !slices.Equal(got, want) {
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
