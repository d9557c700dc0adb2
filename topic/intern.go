package topic

import (
	"hash/maphash"
	"iter"
	"maps"
	"sync"
	"weak"
)

// The intern table maps canonical text to a weak pointer to the topic's
// data, so it never keeps a topic alive. It is split into shards chosen by
// the hash of the text, each a plain map under its own lock: lookups of
// different topics rarely share a lock, and inserting or deleting an entry
// costs a map operation.
//
// Entries whose topic was collected are swept out of a shard by the insert
// that finds the shard has grown by as many entries as it held after its
// previous sweep (and at least sweepMin), so each shard stays within about
// twice its live topics plus sweepMin, at an amortised constant cost per
// insert and with no background goroutine. A runtime.AddCleanup per topic
// would remove entries sooner but, measured, it more than doubles the cost
// of interning a new topic (the runtime attaches and later runs a special
// record per object); the sweep removes the same entries in batches, with
// the same rule: an entry is deleted only while it still holds the dead weak
// pointer, never a newer entry for the same text.
var shards [numShards]shard

const (
	numShards = 64
	sweepMin  = 256 // per shard
)

type shard struct {
	mu      sync.RWMutex
	m       map[string]weak.Pointer[data]
	inserts int // since the last sweep
	next    int // inserts that trigger the next sweep
	_       [64]byte
}

func init() {
	for i := range shards {
		shards[i].m = make(map[string]weak.Pointer[data])
		shards[i].next = sweepMin
	}
}

func hashText(text string) uint64 { return maphash.String(seed, text) }

func shardOf(h uint64) *shard { return &shards[h%numShards] }

// Lookup returns the interned topic whose canonical text is text, if one is
// alive (the reference's get_internal_topic).
func Lookup(text string) (Topic, bool) {
	return lookup(text, hashText(text))
}

func lookup(text string, h uint64) (Topic, bool) {
	s := shardOf(h)
	s.mu.RLock()
	wp, ok := s.m[text]
	s.mu.RUnlock()
	if !ok {
		return Topic{}, false
	}
	d := wp.Value()
	return Topic{d}, d != nil
}

// Interned iterates the topics currently alive in the intern table (the
// reference's get_internal_map). The order is unspecified; topics interned
// or collected during the iteration may or may not be seen.
func Interned() iter.Seq[Topic] {
	return func(yield func(Topic) bool) {
		var batch []*data
		for i := range shards {
			s := &shards[i]
			batch = batch[:0]
			s.mu.RLock()
			for _, wp := range s.m {
				if d := wp.Value(); d != nil {
					batch = append(batch, d)
				}
			}
			s.mu.RUnlock()
			for _, d := range batch { // yield without holding the lock
				if !yield(Topic{d}) {
					return
				}
			}
		}
	}
}

// tableLen returns the number of entries in the table, dead or alive.
func tableLen() int {
	n := 0
	for i := range shards {
		s := &shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// sweepAll removes the entries of collected topics from every shard.
func sweepAll() {
	for i := range shards {
		s := &shards[i]
		s.mu.Lock()
		s.sweep()
		s.mu.Unlock()
	}
}

// sweep removes the entries of collected topics; s.mu must be held. When
// most entries are dead it copies the live ones into a new map rather than
// deleting in place: a Go map never shrinks and deleted slots lengthen the
// probes of later lookups, so after a burst of short-lived topics the old
// map would stay large and slow. (The copy costs at most one insert per
// deleted entry.)
func (s *shard) sweep() {
	dead := 0
	for k, wp := range s.m {
		if wp.Value() == nil {
			dead++
			delete(s.m, k)
		}
	}
	if dead > len(s.m) && dead > sweepMin {
		s.m = maps.Clone(s.m)
	}
	s.inserts = 0
	s.next = max(len(s.m), sweepMin)
}

// intern returns the live topic with canonical text (whose hash is h), or
// builds one from a copy of parts, stores it and returns it.
func intern(canonical string, h uint64, parts []Part) Topic {
	d := newData(canonical, h, parts)
	wp := weak.Make(d)
	s := shardOf(h)
	s.mu.Lock()
	if old, ok := s.m[canonical]; ok {
		if od := old.Value(); od != nil {
			s.mu.Unlock()
			return Topic{od} // another goroutine interned it first
		}
	}
	s.m[canonical] = wp // new, or replacing the entry of a collected topic
	if s.inserts++; s.inserts >= s.next {
		s.sweep()
	}
	s.mu.Unlock()
	return Topic{d}
}
