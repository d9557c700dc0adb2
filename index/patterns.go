package index

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"

	"github.com/eventengine/eventengine/topic"
)

// patterns holds the pattern edges of a node, indexed so that a literal
// evaluates only the regular expressions that may accept it, not all of
// them (BenchmarkMatchNewTopic500Regexps: 500 subscriptions
// Market.Data./^Z<i>$/, a new topic each time).
//
// Each regexp is analysed once, when its edge is created (see analyse):
//   - a fully anchored regexp whose language is a small finite set of
//     literals (^Z12$, ^(AAPL|MSFT)$, ^[ab]x$) is stored under each of
//     them, like a range, and never evaluated;
//   - an anchored regexp that starts with a literal (^Z1\d+$) is stored
//     under that prefix; only a literal with the prefix evaluates it;
//   - any other is in scan and evaluated for every literal.
type patterns[V comparable] struct {
	bySrc  map[string]*patternEdge[V]   // every edge, by the source of its regexp
	exact  map[string][]*patternEdge[V] // finite languages: literal -> edges whose language holds it
	prefix map[string][]*patternEdge[V] // anchored literal prefixes -> edges
	lens   []int                        // the distinct lengths of the keys of prefix, ascending
	scan   []*patternEdge[V]            // edges without a filter
}

type patternEdge[V comparable] struct {
	part  topic.Part
	re    *regexp.Regexp
	child *node[V]
	f     filter
}

// filter is what analyse found out about a regexp.
type filter struct {
	lits   []string // finite: the whole language (fully anchored)
	prefix string   // anchored: every match starts with it ("" if unknown)
	finite bool
}

// maxLanguage bounds the finite languages analyse enumerates: a regexp
// with more literals is filtered by its prefix or scanned.
const maxLanguage = 64

// analyse returns the filter of the regexp src (RE2 syntax, as
// regexp.Compile parses it: syntax.Perl). Both kinds of filter are exact
// descriptions, never guesses: a literal outside a finite language is
// refused by the regexp too, and so is one without the prefix
// (TestFilterAgreesWithRegexp, FuzzFilter).
func analyse(src string) filter {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return filter{}
	}
	re = re.Simplify()
	if lits, ok := anchoredLanguage(re); ok {
		slices.Sort(lits)
		return filter{lits: slices.Compact(lits), finite: true}
	}
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 || re.Sub[0].Op != syntax.OpBeginText {
		return filter{}
	}
	var b strings.Builder
	for _, s := range re.Sub[1:] {
		if s.Op != syntax.OpLiteral || s.Flags&syntax.FoldCase != 0 {
			break
		}
		b.WriteString(string(s.Rune))
	}
	return filter{prefix: b.String()}
}

// anchoredLanguage returns the literals re matches if re is anchored at
// both ends (\A...\z or ^...$ without (?m)) and matches at most
// maxLanguage literals: an alternation of such regexps, or \A, a regexp
// of finite language and \z.
func anchoredLanguage(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpAlternate:
		var all []string
		for _, s := range re.Sub {
			l, ok := anchoredLanguage(s)
			if !ok || len(all)+len(l) > maxLanguage {
				return nil, false
			}
			all = append(all, l...)
		}
		return all, true
	case syntax.OpCapture:
		return anchoredLanguage(re.Sub[0])
	case syntax.OpConcat:
		n := len(re.Sub)
		if n < 2 || re.Sub[0].Op != syntax.OpBeginText || re.Sub[n-1].Op != syntax.OpEndText {
			return nil, false
		}
		return concatLanguage(re.Sub[1 : n-1])
	}
	return nil, false
}

// language returns the literals re matches, if they are at most
// maxLanguage, for a regexp without anchors or other assertions.
func language(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return []string{""}, true
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil, false
		}
		return []string{string(re.Rune)}, true
	case syntax.OpCharClass:
		var l []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if int(hi-lo)+1+len(l) > maxLanguage {
				return nil, false
			}
			for r := lo; r <= hi; r++ {
				l = append(l, string(r))
			}
		}
		return l, true
	case syntax.OpCapture:
		return language(re.Sub[0])
	case syntax.OpQuest:
		l, ok := language(re.Sub[0])
		if !ok || len(l)+1 > maxLanguage {
			return nil, false
		}
		return append(l, ""), true
	case syntax.OpConcat:
		return concatLanguage(re.Sub)
	case syntax.OpAlternate:
		var all []string
		for _, s := range re.Sub {
			l, ok := language(s)
			if !ok || len(all)+len(l) > maxLanguage {
				return nil, false
			}
			all = append(all, l...)
		}
		return all, true
	}
	return nil, false // repetitions without bound, assertions, any character
}

// concatLanguage returns the language of the concatenation of subs.
func concatLanguage(subs []*syntax.Regexp) ([]string, bool) {
	l := []string{""}
	for _, s := range subs {
		m, ok := language(s)
		if !ok || len(l)*len(m) > maxLanguage {
			return nil, false
		}
		next := make([]string, 0, len(l)*len(m))
		for _, a := range l {
			for _, b := range m {
				next = append(next, a+b)
			}
		}
		l = next
	}
	return l, true
}

// edge returns the edge of pattern part p, creating it if add is set (nil
// if it is not there and add is not set).
func (ps *patterns[V]) edge(p topic.Part, add bool) *patternEdge[V] {
	if e := ps.bySrc[p.Pattern()]; e != nil || !add {
		return e
	}
	e := &patternEdge[V]{part: p, re: p.Regexp(), child: &node[V]{}, f: analyse(p.Pattern())}
	if ps.bySrc == nil {
		ps.bySrc = make(map[string]*patternEdge[V])
	}
	ps.bySrc[p.Pattern()] = e
	switch {
	case e.f.finite:
		if ps.exact == nil {
			ps.exact = make(map[string][]*patternEdge[V])
		}
		for _, l := range e.f.lits {
			ps.exact[l] = append(ps.exact[l], e)
		}
	case e.f.prefix != "":
		if ps.prefix == nil {
			ps.prefix = make(map[string][]*patternEdge[V])
		}
		ps.prefix[e.f.prefix] = append(ps.prefix[e.f.prefix], e)
		if i, found := slices.BinarySearch(ps.lens, len(e.f.prefix)); !found {
			ps.lens = slices.Insert(ps.lens, i, len(e.f.prefix))
		}
	default:
		ps.scan = append(ps.scan, e)
	}
	return e
}

// drop removes edge e, whose subtree is empty.
func (ps *patterns[V]) drop(e *patternEdge[V]) {
	delete(ps.bySrc, e.part.Pattern())
	remove := func(m map[string][]*patternEdge[V], k string) {
		l := slices.DeleteFunc(m[k], func(x *patternEdge[V]) bool { return x == e })
		if len(l) == 0 {
			delete(m, k)
		} else {
			m[k] = l
		}
	}
	switch {
	case e.f.finite:
		for _, l := range e.f.lits {
			remove(ps.exact, l)
		}
	case e.f.prefix != "":
		remove(ps.prefix, e.f.prefix)
		n := len(e.f.prefix)
		for k := range ps.prefix {
			if len(k) == n {
				return // another prefix of that length
			}
		}
		ps.lens = slices.DeleteFunc(ps.lens, func(l int) bool { return l == n })
	default:
		ps.scan = slices.DeleteFunc(ps.scan, func(x *patternEdge[V]) bool { return x == e })
	}
}

// empty reports whether ps has no edge left.
func (ps *patterns[V]) empty() bool { return len(ps.bySrc) == 0 }

// match appends the values under every edge of ps that accepts lit, the
// literal of t at depth.
func (ix *Index[V]) matchPatterns(ps *patterns[V], lit string, t topic.Topic, depth int, dst []V) []V {
	for _, e := range ps.exact[lit] {
		dst = ix.match(e.child, t, depth+1, dst)
	}
	for _, n := range ps.lens {
		if n > len(lit) {
			break
		}
		for _, e := range ps.prefix[lit[:n]] {
			if e.re.MatchString(lit) {
				dst = ix.match(e.child, t, depth+1, dst)
			}
		}
	}
	for _, e := range ps.scan {
		if e.re.MatchString(lit) {
			dst = ix.match(e.child, t, depth+1, dst)
		}
	}
	return dst
}
