package topic

import (
	"hash/maphash"
	"iter"
	"sync"
	"sync/atomic"
	"weak"
)

// The intern table never keeps a topic alive: it reaches topics only
// through weak pointers. It is designed around three costs measured with
// pprof on BenchmarkParseNew4Parts:
//
//   - weak.Make is the most expensive step of interning (the runtime adds a
//     special record to the object's span and allocates a handle), and the
//     collector pays again for each weakly referenced object. So topics are
//     allocated in slabs of slabSize, with one weak pointer per slab: a slab
//     is collected when none of its topics is referenced any more. The price
//     is that a live topic keeps the other topics of its slab (at most
//     slabSize-1, 2 KiB in all) alive and interned with it; memory
//     stays within slabSize times that of the live topics.
//   - Removing dead entries one at a time (a weak.Pointer.Value and a map
//     delete per entry) cost as much again. Instead each shard rebuilds its
//     table, when it is three quarters full, from the slabs still alive: dead entries
//     are dropped wholesale, at an amortised constant cost per insert and
//     with no background goroutine. (A runtime.AddCleanup per topic, measured
//     earlier, more than doubled the cost of interning.)
//   - A Go map hashes the text again on each access and needs a lock for
//     reading. Each shard is instead an open-addressing table keyed by the
//     hash Parse computes anyway; readers load it atomically and never lock,
//     writers (new topics) lock their shard.
//
// A table only grows between rebuilds: an entry is never removed, only
// replaced in place by a new topic with the same hash once its own slab is
// dead, so a probe stops at the first empty slot. Entries and slab items are
// written before they are published by an atomic store, and never change
// afterwards.
var shards [numShards]shard

const (
	numShards = 64 // chosen by the top bits of the hash; slots by the low bits
	slabSize  = 16 // topics per slab
	minSlots  = 64 // per shard table
)

var seed = maphash.MakeSeed()

type shard struct {
	tab atomic.Pointer[table] // read without the lock

	mu     sync.Mutex             // guards the rest, and writes to tab
	cur    *slab                  // the slab being filled (nil when full)
	curRec *rec                   // its record
	recs   []*rec                 // the slabs that were alive at the last rebuild, and newer ones
	filled int                    // non-empty slots of tab
	gc     weak.Pointer[gcMarker] // cleared by the first collection since the last look for dead slabs
	_      [64]byte               // keep shards on separate cache lines
}

// table is an open-addressing hash table with linear probing, at most three
// quarters full (measured: smaller, fuller tables beat larger, emptier ones,
// since the first probe for a new topic is a cache miss either way). Each
// slot keeps the hash of its entry next to the pointer, so that a probe
// reads one cache line instead of following a pointer per slot. A writer
// stores the hash before the entry, so a reader that finds an entry behind
// a matching hash checks it (entry.hash) before using it.
type table struct {
	mask  uint64
	slots []slot
}

type slot struct {
	hash atomic.Uint64
	e    atomic.Pointer[entry]
}

// entry locates one interned topic: item idx of the slab behind wp.
type entry struct {
	hash uint64
	wp   weak.Pointer[slab]
	idx  uint32
}

// slab holds the data of slabSize topics; see the comment above.
type slab struct{ items [slabSize]data }

// rec is the table's strong record of a slab: its weak pointer and the
// entries of its topics (the first n are in use).
type rec struct {
	wp      weak.Pointer[slab]
	n       int
	entries [slabSize]entry
}

// gcMarker is allocated, and dropped at once, when a shard looks for dead
// slabs: while its weak pointer is still set, no collection has completed
// since, so no slab can have been found dead and rebuild need not look.
// (It has a pointer so that it is not a tiny allocation, whose life would
// be tied to that of its neighbours.)
type gcMarker struct{ _ *int }

func init() {
	for i := range shards {
		shards[i].tab.Store(newTable(minSlots))
	}
}

func newTable(slots int) *table {
	return &table{mask: uint64(slots - 1), slots: make([]slot, slots)}
}

// set stores e in slot i.
func (t *table) set(i uint64, e *entry) {
	t.slots[i].hash.Store(e.hash)
	t.slots[i].e.Store(e)
}

func hashText(text string) uint64 { return maphash.String(seed, text) }

func shardOf(h uint64) *shard { return &shards[h>>58] }

// item returns the topic data an entry locates, or nil if its slab was
// collected.
func (e *entry) item() *data {
	s := e.wp.Value()
	if s == nil {
		return nil
	}
	return &s.items[e.idx%slabSize]
}

// Lookup returns the interned topic whose canonical text is text, if one is
// alive (the reference's get_internal_topic).
func Lookup(text string) (Topic, bool) {
	return lookup(text, hashText(text))
}

func lookup(text string, h uint64) (Topic, bool) {
	t := shardOf(h).tab.Load()
	slots := t.slots[:t.mask+1]
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		sl := &slots[i]
		if sl.hash.Load() == h {
			if e := sl.e.Load(); e != nil && e.hash == h {
				if d := e.item(); d != nil && d.text == text {
					return Topic{d}, true
				}
			}
		}
		if sl.e.Load() == nil {
			return Topic{}, false
		}
	}
}

// Interned iterates the topics currently alive in the intern table (the
// reference's get_internal_map). The order is unspecified; topics interned
// or collected during the iteration may or may not be seen.
func Interned() iter.Seq[Topic] {
	return func(yield func(Topic) bool) {
		for i := range shards {
			t := shards[i].tab.Load()
			for j := range t.slots {
				e := t.slots[j].e.Load()
				if e == nil {
					continue
				}
				if d := e.item(); d != nil && !yield(Topic{d}) {
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
		s.mu.Lock()
		n += s.filled
		s.mu.Unlock()
	}
	return n
}

// sweepAll drops the entries of collected topics from every shard.
func sweepAll() {
	for i := range shards {
		s := &shards[i]
		s.mu.Lock()
		s.rebuild(true)
		s.mu.Unlock()
	}
}

// intern returns the live topic with canonical text (whose hash is h), or
// builds one from parts (which are copied), stores it and returns it.
func intern(canonical string, h uint64, parts []Part) Topic {
	s := shardOf(h)
	s.mu.Lock()
	t := s.tab.Load()
	free, reuse := uint64(0), false
	i := h & t.mask
	for ; ; i = (i + 1) & t.mask {
		e := t.slots[i].e.Load()
		if e == nil {
			break
		}
		if t.slots[i].hash.Load() == h && e.hash == h {
			d := e.item()
			if d == nil {
				if !reuse {
					free, reuse = i, true // a dead entry: its slot can be reused
				}
			} else if d.text == canonical {
				s.mu.Unlock()
				return Topic{d} // another goroutine interned it first
			}
		}
	}
	if !reuse {
		free = i
		s.filled++
	}
	if s.cur == nil {
		s.cur = new(slab)
		s.curRec = &rec{wp: weak.Make(s.cur)}
		s.recs = append(s.recs, s.curRec)
	}
	r := s.curRec
	d := &s.cur.items[r.n]
	d.fill(canonical, h, parts)
	e := &r.entries[r.n]
	e.hash, e.wp, e.idx = h, r.wp, uint32(r.n)
	if r.n++; r.n == slabSize {
		s.cur, s.curRec = nil, nil // full: only its topics keep it alive now
	}
	t.set(free, e)
	if 4*s.filled > 3*len(t.slots) {
		s.rebuild(false)
	}
	s.mu.Unlock()
	return Topic{d}
}

// rebuild replaces the table of s with one that holds only the entries of
// the slabs still alive; s.mu must be held. Every entry of a live slab is in
// the table (an entry is replaced only once its slab is dead), so nothing
// live is lost. Unless sweep is set, it looks for dead slabs only if a
// collection has completed since it last looked (otherwise it just grows
// the table): a slab found dead a little late only keeps its dead entries a
// little longer. A rebuild leaves the table at most half full, so its cost,
// linear in the old table, is paid once per at least a quarter of the
// table's size in inserts.
func (s *shard) rebuild(sweep bool) {
	n := 0
	if sweep || s.gc.Value() == nil {
		live := s.recs[:0]
		for _, r := range s.recs {
			if r.wp.Value() != nil {
				live = append(live, r)
				n += r.n
			}
		}
		clear(s.recs[len(live):]) // let the records of dead slabs go
		s.recs = live
		s.gc = weak.Make(&gcMarker{})
	} else {
		for _, r := range s.recs {
			n += r.n
		}
	}
	// At least two slots per entry; and, so that a table does not regrow
	// through every size after each collection of short-lived topics, at
	// least half the old size (two rebuilds halve an idle table).
	size := max(minSlots, len(s.tab.Load().slots)/2)
	for size < 2*n {
		size *= 2
	}
	t := newTable(size)
	for _, r := range s.recs {
		for k := range r.n {
			e := &r.entries[k]
			i := e.hash & t.mask
			for t.slots[i].e.Load() != nil {
				i = (i + 1) & t.mask
			}
			t.set(i, e)
		}
	}
	s.tab.Store(t)
	s.filled = n
}
