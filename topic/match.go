package topic

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
		return false // interned: two different exact topics differ in text
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

// accepts is the matching rule between part a of da (whose text is ta) and
// part b of db (text tb) at position i: one side must be exact and the
// other must accept its literal.
func accepts(da *data, ta string, a *pinfo, db *data, tb string, b *pinfo, i int) bool {
	if a.kind == KindExact {
		lit := ta[a.off : a.off+a.n]
		switch b.kind {
		case KindExact:
			return lit == tb[b.off:b.off+b.n]
		case KindAny:
			return true
		}
		return db.extra(i).accepts(b.kind, lit)
	}
	if b.kind == KindExact {
		switch a.kind {
		case KindAny:
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
	Nodes   []MatchNode // one per position; nil when the lengths differ
}

// MatchNode reports one position of a match.
type MatchNode struct {
	Matched bool   // this position matched
	A, B    Part   // the parts of the two topics
	Literal string // the exact literal at this position ("" if neither side is exact)
}

// Match matches t against other and reports each position and the values
// bound by named wildcards (Values). Either side may be the generic one.
func (t Topic) Match(other Topic) MatchResult {
	if t.d == nil || other.d == nil || t.d.n != other.d.n {
		return MatchResult{}
	}
	a, b := t.d.parts(), other.d.parts()
	r := MatchResult{Matched: true, Nodes: make([]MatchNode, len(a))}
	ta, tb := t.d.text(), other.d.text()
	same := t.d == other.d
	for i := range a {
		n := MatchNode{A: t.d.part(i, &a[i]), B: other.d.part(i, &b[i]), Matched: same || accepts(t.d, ta, &a[i], other.d, tb, &b[i], i)}
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
// nothing was bound. If one name appears at several positions, the first
// binding is kept.
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

// Len returns the number of nodes.
func (r MatchResult) Len() int { return len(r.Nodes) }
