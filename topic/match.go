package topic

import "strings"

// Matches reports whether t and other match (see the package doc), without
// computing the bound values. It does not allocate.
func (t Topic) Matches(other Topic) bool {
	if t.d == nil || other.d == nil {
		return false
	}
	if t.d == other.d {
		return true // identical text
	}
	if t.d.n != other.d.n || t.d.exact && other.d.exact {
		// Interned: two different exact topics differ in text. Topics of
		// different lengths match only through a > (matchesRest).
		return t.d.n != other.d.n && matchesRest(t.d, other.d)
	}
	a, b := t.d.parts(), other.d.parts()
	ta, tb := t.d.text(), other.d.text()
	b = b[:len(a)]
	for i := range a {
		pa, pb := &a[i], &b[i]
		switch {
		case pa.kind == KindExact && pb.kind == KindExact:
			if ta[pa.off:pa.off+pa.n] != tb[pb.off:pb.off+pb.n] {
				return false
			}
		case pa.kind == KindAny && pb.kind == KindExact, pa.kind == KindExact && pb.kind == KindAny:
		default: // ranges, patterns, two generic parts: the rest of accepts
			if !accepts(t.d, ta, pa, other.d, tb, pb, i) {
				return false
			}
		}
	}
	return true
}

// matchesRest reports whether topics of different lengths match: the
// shorter one must end in > and match the longer one part by part before
// it, and the parts of the longer one that the > covers (at least one)
// must be exact (two generic parts never match).
func matchesRest(a, b *data) bool {
	if a.n > b.n {
		a, b = b, a
	}
	if a.exact {
		return false
	}
	pa, pb := a.parts(), b.parts()
	k := len(pa) - 1 // the position of a's >
	if pa[k].kind != KindRest {
		return false
	}
	ta, tb := a.text(), b.text()
	for i := range k {
		if !accepts(a, ta, &pa[i], b, tb, &pb[i], i) {
			return false
		}
	}
	if b.exact {
		return true
	}
	for i := k; i < len(pb); i++ {
		if pb[i].kind != KindExact {
			return false
		}
	}
	return true
}

// accepts is the matching rule between part a of da (whose text is ta) and
// part b of db (text tb) at position i: one side must be exact and the
// other must accept its literal. A range or a pattern is always at
// position i of its topic (a > may stand for a later position of the
// other side, see Match).
func accepts(da *data, ta string, a *pinfo, db *data, tb string, b *pinfo, i int) bool {
	if a.kind == KindExact {
		lit := ta[a.off : a.off+a.n]
		switch b.kind {
		case KindExact:
			return lit == tb[b.off:b.off+b.n]
		case KindAny, KindStar, KindRest:
			return true
		}
		return db.extra(i).accepts(b.kind, lit)
	}
	if b.kind == KindExact {
		switch a.kind {
		case KindAny, KindStar, KindRest:
			return true
		}
		return da.extra(i).accepts(a.kind, tb[b.off:b.off+b.n])
	}
	return false
}

// MatchResult is the outcome of Match: whether the topics matched and, per
// position, what each side had there.
type MatchResult struct {
	Matched bool        // every position matched (or the texts are identical)
	Nodes   []MatchNode // one per position of the longer topic; nil when the lengths differ without a > to cover them
}

// MatchNode reports one position of a match.
type MatchNode struct {
	Matched bool   // this position matched
	A, B    Part   // the parts of the two topics
	Literal string // the exact literal at this position ("" if neither side is exact)
}

// Match matches t against other and reports each position and the values
// bound by named wildcards (Values) and the parts a > covered (Rest).
// Either side may be the generic one. When a > covers several parts of the
// other topic, the result has a node for each of them, all with the > on
// its side: Market.> against Market.Data.AAPL gives three nodes.
func (t Topic) Match(other Topic) MatchResult {
	if t.d == nil || other.d == nil {
		return MatchResult{}
	}
	a, b := t.d.parts(), other.d.parts()
	n := max(len(a), len(b))
	if len(a) < n && a[len(a)-1].kind != KindRest || len(b) < n && b[len(b)-1].kind != KindRest {
		return MatchResult{}
	}
	r := MatchResult{Matched: true, Nodes: make([]MatchNode, n)}
	ta, tb := t.d.text(), other.d.text()
	same := t.d == other.d
	for i := range n {
		ia, ib := min(i, len(a)-1), min(i, len(b)-1) // a > stands for the positions after it
		n := MatchNode{A: t.d.part(ia, &a[ia]), B: other.d.part(ib, &b[ib]), Matched: same || accepts(t.d, ta, &a[ia], other.d, tb, &b[ib], i)}
		if n.A.kind == KindExact {
			n.Literal = n.A.text
		} else if n.B.kind == KindExact {
			n.Literal = n.B.text
		}
		if !n.Matched {
			r.Matched = false
		}
		r.Nodes[i] = n
	}
	return r
}

// Values returns the literals bound by named wildcards, by name (the
// reference's to_dict). It is empty, not nil, when nothing matched or
// nothing was bound. (A name appears at most once in a topic; should both
// topics name one, the first binding is kept.)
func (r MatchResult) Values() map[string]string {
	v := map[string]string{}
	if !r.Matched {
		return v
	}
	for _, n := range r.Nodes {
		var name string
		switch {
		case n.A.kind == KindAny && n.B.kind == KindExact:
			name = n.A.text
		case n.B.kind == KindAny && n.A.kind == KindExact:
			name = n.B.text
		default:
			continue
		}
		if _, ok := v[name]; !ok {
			v[name] = n.Literal
		}
	}
	return v
}

// Rest returns the literals a > covered, joined by '.' (Data.AAPL for
// Market.> against Market.Data.AAPL); "" when nothing matched or no > took
// part. Values does not include them: a > has no name.
func (r MatchResult) Rest() string {
	if !r.Matched {
		return ""
	}
	var b strings.Builder
	for _, n := range r.Nodes {
		if n.A.kind == KindRest && n.B.kind == KindExact || n.B.kind == KindRest && n.A.kind == KindExact {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(n.Literal)
		}
	}
	return b.String()
}

// Len returns the number of nodes.
func (r MatchResult) Len() int { return len(r.Nodes) }
