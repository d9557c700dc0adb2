package topic

import (
	"hash/maphash"
	"iter"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
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
//     is collected when none of its topics, nor a string one of them
//     returned, is referenced any more. Most topics (up to four exact or
//     wildcard parts) go to narrow slabs (see items and newSlab): a single
//     allocation without pointers, which the collector does not scan, of
//     their 40-byte data followed by their texts, sized for slabSize texts
//     as long as the recent ones (1024 bytes for texts of 22 bytes; at most
//     640+MaxLen). The others need pointers and go to wide slabs of 2304
//     bytes (136 bytes a topic, texts in the slab's tail or in chunks, see
//     copyText). The price is that a live topic keeps the other topics of
//     its slab (at most slabSize-1) alive and interned with it, with their
//     texts: memory stays within about slabSize times that of the live
//     topics. A topic never keeps the caller's string. (Measured: each byte
//     of slab per topic costs about 1 ns in BenchmarkParseNew4Parts, in
//     allocation and collection.)
//   - Removing dead entries one at a time (a weak.Pointer.Value and a map
//     delete per entry) cost as much again. Instead each shard rebuilds its
//     table, when it is three quarters full, from the slabs still alive
//     (see rebuild): dead entries are dropped wholesale, at an amortised
//     constant cost per insert and with no background goroutine. (A
//     runtime.AddCleanup per topic, measured earlier, more than doubled the
//     cost of interning.) The price: a table and its slab records shrink
//     only when a later insert into the same shard rebuilds it, so after a
//     burst of new topics and none since, they stay sized for the burst
//     (about 16 bytes per topic of the burst; the topics themselves are
//     collected).
//   - A Go map hashes the text again on each access and needs a lock for
//     reading. Each shard is instead an open-addressing table keyed by the
//     hash Parse computes anyway; readers load it atomically and never lock,
//     writers (new topics) lock their shard. The table holds no pointers
//     (a slot is one word: part of the hash and the number of a slab
//     record), so the collector never scans it and storing into it needs no
//     write barrier.
//
// A table only grows between rebuilds: a slot is never emptied, only given
// a new topic with the same tag once its own topic is dead, so a probe stops
// at the first empty slot. A topic's data is written before its record's
// count publishes it (an atomic store), and a record before its number;
// published data never changes. A reader may follow a slot of an
// older table to a record number since given to a newer slab: it checks the
// text behind every slot it follows, and an interned topic is the only live
// topic with its text.
var shards [numShards]shard

const (
	numShards = 64 // chosen by the top bits of the hash; slots by the low bits
	slabSize  = 16 // topics per slab (a power of two: a slot's item is loc%slabSize)
	minSlots  = 64 // per shard table
)

var seed = maphash.MakeSeed()

type shard struct {
	tab  atomic.Pointer[table]    // read without the lock
	recs atomic.Pointer[recTable] // read without the lock

	mu     sync.Mutex // guards the rest, and writes to tab and recs
	cur    *rec       // the record of the narrow slab being filled (nil when full)
	slab   *items     // that slab, held until it is full
	room   []byte     // its room for texts: len bytes used
	avg16  int        // 16 times a moving average of the lengths of narrow texts
	wcur   *rec       // the record of the wide slab being filled (nil when full)
	wslab  *wslab     // that slab, held until it is full
	wtext  []byte     // where the texts of its topics are copied (see copyText)
	live   []*rec     // the slabs that were alive at the last rebuild, and newer ones
	free   []uint32   // numbers of records of dead slabs, to reuse
	filled int        // non-empty slots of tab
	slabs  []*byte    // rebuild's scratch: the live slabs, held while it reads them
	_      [64]byte   // keep shards on separate cache lines
}

// table is an open-addressing hash table with linear probing, at most three
// quarters full (measured: smaller, fuller tables beat larger, emptier ones,
// since the first probe for a new topic is a cache miss either way). A slot
// is one word, 0 when empty: a 32-bit tag from the topic's hash (never 0) and
// the topic's location, record number * slabSize + item. A slot's tag never
// changes once set.
type table struct {
	mask  uint64
	slots []atomic.Uint64
}

// tagOf returns the tag of hash h in a slot: bits that neither the shard
// (the top bits) nor, in tables of up to 2^26 slots, the slot index (the
// low bits) depend on; never 0.
func tagOf(h uint64) uint64 { return (h>>26)&0xffffffff | 1 }

// slotOf returns the slot for hash h and location loc.
func slotOf(h, loc uint64) uint64 { return tagOf(h)<<32 | loc }

// recTable maps record numbers to records; it is replaced by a larger copy
// when it is full.
type recTable struct{ r []atomic.Pointer[rec] }

// items is the start of a narrow slab: one allocation without pointers
// (which the collector does not scan) of slabSize data followed by room for
// the texts of its topics (see newSlab). A topic's data says where its text
// is. Nothing else keeps the topics' hashes: rebuild reads them here (and
// from wide slabs).
type items [slabSize]data

const itemsSize = int(unsafe.Sizeof(items{})) // 640

// wslab is a wide slab: the data of slabSize topics that need a wideData,
// and room for their texts in a pointer-free tail (the others go to chunks,
// see copyText).
type wslab struct {
	items [slabSize]wideData
	text  [wslabText]byte
}

// wslabText fills the 2304-byte size class after the items and the 8-byte
// header the allocator puts before objects with pointers larger than 512
// bytes.
const wslabText = 2304 - 8 - slabSize*unsafe.Sizeof(wideData{})

// rec is the table's strong record of a slab: its weak pointer and the
// number of its topics published. The weak pointer is to the slab's first
// byte, and its item k is the data k*stride bytes further (see off and at),
// so that both kinds of slab are read the same way.
type rec struct {
	wp     weak.Pointer[byte]
	stride uint32 // the size of a data (narrow slab) or wideData (wide slab)
	no     uint32
	n      atomic.Int32
}

// off returns the offset of item k in the slab of r.
func (r *rec) off(k int32) uintptr { return uintptr(k) * uintptr(r.stride) }

// at returns the item at offset off of slab p.
func at(p *byte, off uintptr) *data { return (*data)(unsafe.Add(unsafe.Pointer(p), off)) }

func init() {
	for i := range shards {
		shards[i].tab.Store(newTable(minSlots))
		shards[i].recs.Store(&recTable{})
	}
}

func newTable(slots int) *table {
	return &table{mask: uint64(slots - 1), slots: make([]atomic.Uint64, slots)}
}

func hashText(text string) uint64 { return maphash.String(seed, text) }

func shardOf(h uint64) *shard { return &shards[h>>58] }

// item returns the topic data at the location in slot v, or nil if its
// record is gone, its slab was collected or the item is not published yet.
func (rt *recTable) item(v uint64) *data {
	loc := v & 0xffffffff
	no, k := loc/slabSize, int32(loc%slabSize)
	if no >= uint64(len(rt.r)) {
		return nil
	}
	r := rt.r[no].Load()
	if r == nil || k >= r.n.Load() {
		return nil
	}
	// off before the call, so that only off is kept across it, not r and
	// k: that cost ParseSeen 5% (measured).
	off := r.off(k)
	p := r.wp.Value()
	if p == nil {
		return nil
	}
	return at(p, off)
}

// Lookup returns the interned topic whose canonical text is text, if one is
// alive (the reference's get_internal_topic).
func Lookup(text string) (Topic, bool) {
	return lookup(text, hashText(text))
}

func lookup(text string, h uint64) (Topic, bool) {
	s := shardOf(h)
	t := s.tab.Load()
	rt := s.recs.Load() // after t: at least as new as the records t refers to
	tag := tagOf(h)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		v := t.slots[i].Load()
		if v>>32 == tag {
			if d := rt.item(v); d != nil && d.text() == text {
				return Topic{d}, true
			}
		} else if v == 0 {
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
			rt := shards[i].recs.Load()
			for j := range t.slots {
				v := t.slots[j].Load()
				if v == 0 {
					continue
				}
				if d := rt.item(v); d != nil && !yield(Topic{d}) {
					return
				}
			}
		}
	}
}

// InternedLen returns about how many topics are interned: the live ones,
// and those collected since their part of the table last dropped its dead
// entries (which it does as it grows). It takes a lock per shard; a cache
// that holds something per topic in use can size itself with it (the
// index's regexp memo does).
func InternedLen() int { return tableLen() }

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
		s.rebuild()
		s.mu.Unlock()
	}
}

// intern returns the live topic with canonical text (whose hash is h), or
// builds one from parts (which are copied), stores it and returns it.
func intern(canonical string, h uint64, parts []Part) Topic {
	return insert(canonical, h, parts, nil)
}

// internExact is intern for an exact topic of at most inlineParts parts
// described by ps (see parseSimple).
func internExact(canonical string, h uint64, ps []pinfo) Topic {
	return insert(canonical, h, nil, ps)
}

// insert is intern, building the topic from parts or, if ps is not nil,
// from ps (see fill and fillExact).
func insert(canonical string, h uint64, parts []Part, ps []pinfo) Topic {
	s := shardOf(h)
	s.mu.Lock()
	t, rt := s.tab.Load(), s.recs.Load()
	free, reuse := uint64(0), false
	tag := tagOf(h)
	i := h & t.mask
	for ; ; i = (i + 1) & t.mask {
		v := t.slots[i].Load()
		if v == 0 {
			break
		}
		if v>>32 != tag {
			continue
		}
		if d := rt.item(v); d == nil {
			if !reuse {
				free, reuse = i, true // a dead topic: its slot can be reused
			}
		} else if d.text() == canonical {
			s.mu.Unlock()
			return Topic{d} // another goroutine interned it first
		}
	}
	if !reuse {
		free = i
		s.filled++
	}
	var d *data
	var r *rec
	var k int32
	if ps == nil && needsWide(parts) {
		if s.wcur == nil {
			s.newWideSlab()
		}
		r = s.wcur
		k = r.n.Load()
		w := &s.wslab.items[k]
		w.fillWide(s.copyText(canonical), h, parts)
		if k+1 == slabSize {
			s.wcur, s.wslab, s.wtext = nil, nil, nil // full: only its topics keep it alive now
		}
		d = &w.data
	} else {
		if s.cur == nil || len(canonical) > cap(s.room)-len(s.room) {
			s.newSlab(len(canonical))
		}
		r = s.cur
		k = r.n.Load()
		d = &s.slab[k]
		if ps != nil {
			d.fillExact(h, ps)
		} else {
			d.fill(h, parts)
		}
		// The room follows the items: the text is that far from d.
		d.toff = uint16(itemsSize - int(k)*int(unsafe.Sizeof(data{})) + len(s.room))
		d.tlen = uint16(len(canonical))
		s.room = append(s.room, canonical...) // it fits: no new allocation
		s.avg16 += len(canonical) - s.avg16/slabSize
		if k+1 == slabSize {
			s.cur, s.slab, s.room = nil, nil, nil // full: only its topics keep it alive now
		}
	}
	r.n.Store(k + 1) // publishes d
	t.slots[free].Store(slotOf(h, uint64(r.no)*slabSize+uint64(k)))
	if 4*s.filled > 3*len(t.slots) {
		s.rebuild()
	}
	s.mu.Unlock()
	return Topic{d}
}

// copyText returns a copy of the text of a topic of the wide slab being
// filled, so that a topic keeps no part of the caller's memory alive (text
// may be a slice of a large input). The copies go to the slab's tail, then
// to chunks of textChunk bytes shared by its other topics: one allocation
// for several topics instead of one each. A chunk lives as long as a topic
// whose text is in it; its bytes are never written again once a string
// refers to them. Called with s.mu held.
func (s *shard) copyText(text string) string {
	if len(text) > cap(s.wtext)-len(s.wtext) {
		s.wtext = make([]byte, 0, max(textChunk, len(text)))
	}
	off := len(s.wtext)
	s.wtext = append(s.wtext, text...)
	return unsafe.String(&s.wtext[off], len(text))
}

// textChunk is the size of the chunks copyText copies texts into.
const textChunk = 512

// newSlab starts a new narrow slab with room for a text of textLen bytes
// and for the texts of its other topics, if they are about as long as the
// recent ones: the slab is one allocation, of the size class that holds
// the items and slabSize average texts (or at most MaxLen bytes of texts,
// or the one text), all of which is used. When a text does not fit in the
// room left, the slab keeps fewer than slabSize topics and a new one is
// started. s.mu must be held.
func (s *shard) newSlab(textLen int) {
	if s.avg16 == 0 {
		s.avg16 = slabSize * 32
	}
	b := slices.Grow([]byte(nil), itemsSize+max(textLen, min(s.avg16, MaxLen)))
	b = b[:cap(b)] // the whole size class, zeroed (by append's clear, and growslice's beyond)
	s.slab = (*items)(unsafe.Pointer(unsafe.SliceData(b)))
	s.room = b[itemsSize:itemsSize]
	s.cur = &rec{wp: weak.Make(&b[0]), stride: uint32(unsafe.Sizeof(data{}))}
	s.addRec(s.cur)
}

// newWideSlab starts a new wide slab; s.mu must be held.
func (s *shard) newWideSlab() {
	s.wslab = new(wslab)
	s.wtext = s.wslab.text[:0]
	s.wcur = &rec{wp: weak.Make((*byte)(unsafe.Pointer(s.wslab))), stride: uint32(unsafe.Sizeof(wideData{}))}
	s.addRec(s.wcur)
}

// addRec gives r a free record number or a new one, and publishes it;
// s.mu must be held.
func (s *shard) addRec(r *rec) {
	rt := s.recs.Load()
	if n := len(s.free); n > 0 {
		r.no, s.free = s.free[n-1], s.free[:n-1]
	} else {
		r.no = uint32(len(s.live))
		if int(r.no) >= len(rt.r) { // no free number below len(live): all in use
			bigger := &recTable{r: make([]atomic.Pointer[rec], max(16, 2*len(rt.r)))}
			for i := range rt.r {
				bigger.r[i].Store(rt.r[i].Load())
			}
			s.recs.Store(bigger)
			rt = bigger
		}
	}
	rt.r[r.no].Store(r)
	s.live = append(s.live, r)
}

// rebuild replaces the table of s with one that holds only the topics of
// the slabs still alive; s.mu must be held. Every topic of a live slab is in
// the table (a slot is reused only once its slab is dead), so nothing live
// is lost. It asks the weak pointer of every slab since the last rebuild
// whether it is alive (and a live one for its topics' hashes): dead slabs
// give their record numbers back. A rebuild leaves the table at most half
// full, so its cost, linear in the old table, is paid once per at least a
// quarter of the table's size in inserts.
func (s *shard) rebuild() {
	rt := s.recs.Load()
	live := s.live[:0]
	n := 0
	for _, r := range s.live {
		p := r.wp.Value()
		if p == nil {
			rt.r[r.no].Store(nil)
			s.free = append(s.free, r.no)
			continue
		}
		live = append(live, r)
		s.slabs = append(s.slabs, p)
		n += int(r.n.Load())
	}
	clear(s.live[len(live):]) // let the records of dead slabs go
	s.live = live
	// At least two slots per topic. A table is halved only if it would stay
	// at most an eighth full: halved after every collection of short-lived
	// topics, it regrew at the next rebuild (measured in
	// BenchmarkParseNew4Parts: 2.5 slots allocated and 0.8 topics reinserted
	// per insert, against 1.75 and 0.34 this way). After a burst, each
	// later rebuild halves the table until it fits its live topics.
	size := len(s.tab.Load().slots)
	if 16*n < size {
		size = max(minSlots, size/2)
	}
	for size < 2*n {
		size *= 2
	}
	t := newTable(size)
	for j, r := range s.live {
		p := s.slabs[j]
		for k := range r.n.Load() {
			h := at(p, r.off(k)).hash
			i := h & t.mask
			for t.slots[i].Load() != 0 {
				i = (i + 1) & t.mask
			}
			t.slots[i].Store(slotOf(h, uint64(r.no)*slabSize+uint64(k)))
		}
	}
	clear(s.slabs) // hold no slab
	s.slabs = s.slabs[:0]
	s.tab.Store(t)
	s.filled = n
}
