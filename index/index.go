// Package index holds generic (wildcard) subscriptions in a tree keyed by
// topic part, so that finding the subscriptions an exact topic reaches costs
// time in proportion to the topic's length and the number of branches that
// really accept it, not to the number of subscriptions.
//
// The tree has one level per topic position. A node branches on:
//   - exact literals and range options (a map from literal to child: a range
//     (a|b) is stored under both a and b),
//   - one child for all named wildcards and stars ({x}, {y} and * share it:
//     names do not change what matches),
//   - one child per distinct regular expression, indexed by what the
//     regexp says about the literals it accepts (see patterns),
//   - one child for >, whose values every topic with at least one more part
//     reaches, without descending further.
//
// An Index is not safe for concurrent use; the engine guards it with its
// registry lock and caches the results per exact topic.
package index

import (
	"iter"
	"slices"

	"github.com/eventengine/eventengine/topic"
)

// Index maps generic topics to values of type V.
type Index[V comparable] struct {
	root node[V]
	n    int
}

type node[V comparable] struct {
	exact    map[string]*node[V]
	any      *node[V]     // {name} and *
	rest     *node[V]     // >: a leaf, one level down
	patterns *patterns[V] // nil when there are none
	leaf     []leafEntry[V]
	// size is the number of (topic, value) pairs stored at or below this node,
	// counting a range subscription once per option; an empty node is pruned.
	size int
}

type leafEntry[V comparable] struct {
	t topic.Topic
	v V
}

// Len returns the number of (topic, value) pairs in the index.
func (ix *Index[V]) Len() int { return ix.n }

// Insert adds v under t. Inserting the same pair twice stores it once; the
// result reports whether the pair was new.
func (ix *Index[V]) Insert(t topic.Topic, v V) bool {
	if t.IsZero() || ix.contains(t, v) {
		return false
	}
	ix.walk(&ix.root, t, 0, func(n *node[V]) { n.leaf = append(n.leaf, leafEntry[V]{t, v}) }, true)
	ix.n++
	return true
}

// Remove deletes the pair (t, v) and reports whether it was there.
func (ix *Index[V]) Remove(t topic.Topic, v V) bool {
	if t.IsZero() || !ix.contains(t, v) {
		return false
	}
	ix.walk(&ix.root, t, 0, func(n *node[V]) {
		for i, e := range n.leaf {
			if e.t == t && e.v == v {
				n.leaf = append(n.leaf[:i], n.leaf[i+1:]...)
				break
			}
		}
	}, false)
	ix.n--
	return true
}

// contains reports whether (t, v) is stored, by following t's first path.
func (ix *Index[V]) contains(t topic.Topic, v V) bool {
	found := false
	ix.visitPaths(&ix.root, t, 0, func(n *node[V]) bool {
		for _, e := range n.leaf {
			if e.t == t && e.v == v {
				found = true
			}
		}
		return false // the first path suffices: every path holds the pair
	})
	return found
}

// walk visits, creating them when add is set, the leaf nodes of every path of
// t (more than one when t has ranges), applies fn to each and keeps the size
// counts; on removal it prunes nodes that become empty.
func (ix *Index[V]) walk(n *node[V], t topic.Topic, depth int, fn func(*node[V]), add bool) {
	if add {
		n.size++
	} else {
		n.size--
	}
	if depth == t.Len() {
		fn(n)
		return
	}
	p := t.Part(depth)
	switch p.Kind() {
	case topic.KindExact:
		ix.walkExact(n, p.Literal(), t, depth, fn, add)
	case topic.KindRange:
		opts := p.Options()
		for i, opt := range opts {
			if !slices.Contains(opts[:i], opt) { // a repeated option is one path
				ix.walkExact(n, opt, t, depth, fn, add)
			}
		}
	case topic.KindAny, topic.KindStar:
		if n.any == nil {
			n.any = &node[V]{}
		}
		ix.walk(n.any, t, depth+1, fn, add)
		if !add && n.any.size == 0 {
			n.any = nil
		}
	case topic.KindRest: // the last part: the child is the leaf
		if n.rest == nil {
			n.rest = &node[V]{}
		}
		ix.walk(n.rest, t, depth+1, fn, add)
		if !add && n.rest.size == 0 {
			n.rest = nil
		}
	case topic.KindPattern:
		if n.patterns == nil {
			n.patterns = &patterns[V]{}
		}
		e := n.patterns.edge(p, true)
		ix.walk(e.child, t, depth+1, fn, add)
		if !add && e.child.size == 0 {
			n.patterns.drop(e)
			if n.patterns.empty() {
				n.patterns = nil
			}
		}
	}
}

func (ix *Index[V]) walkExact(n *node[V], lit string, t topic.Topic, depth int, fn func(*node[V]), add bool) {
	child := n.exact[lit]
	if child == nil {
		if n.exact == nil {
			n.exact = make(map[string]*node[V])
		}
		child = &node[V]{}
		n.exact[lit] = child
	}
	ix.walk(child, t, depth+1, fn, add)
	if !add && child.size == 0 {
		delete(n.exact, lit)
	}
}

// visitPaths calls fn on the leaf node of each existing path of t (generic
// t, as stored) until fn returns false.
func (ix *Index[V]) visitPaths(n *node[V], t topic.Topic, depth int, fn func(*node[V]) bool) bool {
	if n == nil {
		return true
	}
	if depth == t.Len() {
		return fn(n)
	}
	p := t.Part(depth)
	switch p.Kind() {
	case topic.KindExact:
		return ix.visitPaths(n.exact[p.Literal()], t, depth+1, fn)
	case topic.KindRange:
		for _, opt := range p.Options() {
			if !ix.visitPaths(n.exact[opt], t, depth+1, fn) {
				return false
			}
		}
	case topic.KindAny, topic.KindStar:
		return ix.visitPaths(n.any, t, depth+1, fn)
	case topic.KindRest:
		return ix.visitPaths(n.rest, t, depth+1, fn)
	case topic.KindPattern:
		if n.patterns != nil {
			if e := n.patterns.edge(p, false); e != nil {
				return ix.visitPaths(e.child, t, depth+1, fn)
			}
		}
	}
	return true
}

// Match appends to dst the values of every stored topic that the exact topic
// t matches, and returns the extended slice. Each value appears once per
// stored topic that matches; the order is the tree's, not registration
// order. Match of a generic t finds nothing: generic topics match only
// themselves, and the caller knows those.
func (ix *Index[V]) Match(t topic.Topic, dst []V) []V {
	if t.IsZero() || !t.IsExact() || ix.n == 0 {
		return dst
	}
	return ix.match(&ix.root, t, 0, dst)
}

func (ix *Index[V]) match(n *node[V], t topic.Topic, depth int, dst []V) []V {
	if depth == t.Len() {
		for _, e := range n.leaf {
			dst = append(dst, e.v)
		}
		return dst
	}
	if n.rest != nil { // at least one part is left for the >
		for _, e := range n.rest.leaf {
			dst = append(dst, e.v)
		}
	}
	lit := t.Part(depth).Literal()
	if c := n.exact[lit]; c != nil {
		dst = ix.match(c, t, depth+1, dst)
	}
	if n.any != nil {
		dst = ix.match(n.any, t, depth+1, dst)
	}
	if n.patterns != nil {
		dst = ix.matchPatterns(n.patterns, lit, t, depth, dst)
	}
	return dst
}

// All iterates every stored (topic, value) pair once.
func (ix *Index[V]) All() iter.Seq2[topic.Topic, V] {
	return func(yield func(topic.Topic, V) bool) {
		seen := make(map[leafEntry[V]]bool)
		var visit func(n *node[V]) bool
		visit = func(n *node[V]) bool {
			for _, e := range n.leaf {
				if seen[e] {
					continue
				}
				seen[e] = true
				if !yield(e.t, e.v) {
					return false
				}
			}
			for _, c := range n.exact {
				if !visit(c) {
					return false
				}
			}
			if n.any != nil && !visit(n.any) {
				return false
			}
			if n.rest != nil && !visit(n.rest) {
				return false
			}
			if n.patterns != nil {
				for _, e := range n.patterns.bySrc {
					if !visit(e.child) {
						return false
					}
				}
			}
			return true
		}
		visit(&ix.root)
	}
}
