package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// Typed payloads. PublishValue[T] queues one value of type T with no []any
// and no boxing: the value is copied into a ring of T that the engine
// keeps for that type, at the message's queue position (as Kwargs wait in
// kw: the producer writes it after claiming the position and before the
// queue publishes the item), and the item points at the ring. The ring
// also holds, once and for good, one interface per position pointing at
// its value, so the loop hands the handlers Args of length one holding a
// *T into the ring without writing anything. A position's value is
// overwritten only by the put that claims the position a ring's length
// later, which the queue allows only once the loop has delivered that
// message and taken a capacity of messages more (see valueRing). A put
// finds its type's ring by a scan of the engine's rings (one per type
// ever published), comparing type words.

// hasValue marks an item whose payload is in a value ring (item.args
// points at its valueRing; the length in n is 0).
const hasValue = uint64(1) << 62

// lenMask keeps the length of Args from an item's n.
const lenMask = hasValue - 1

// valueRing is the type-independent head of a typedRing: the loop reads
// the Args of a typed message from it.
//
// A ring has twice as many positions as the queue can hold. The value of
// queue position p is read by the handlers while the loop delivers p; the
// put that overwrites it claims position p plus the ring's size, which
// the queue allows once the loop has taken more than that size less the
// capacity. One ring's size of positions would do while deliver runs,
// since the queue counts p as taken only when deliver returns. But a
// handler that ends the loop's goroutine (runtime.Goexit) has the queue
// count p as taken while the hooks after its own are still to get the
// message, from the loop's next goroutine (see loopExited): with twice
// the positions, producers cannot reach p's slot again before the loop
// takes another capacity of messages, which it does only after that.
type valueRing struct {
	// boxes[i] is a *T pointing at the ring's value i, set when the ring is
	// made and never changed: Args are boxes[i:i+1:i+1].
	boxes []any
	mask  uint64
	key   unsafe.Pointer // the type word of *T, to find the ring
	// copyOut returns a *T to a copy of value i, for Get, whose caller
	// keeps the message after the ring reuses the position.
	copyOut func(i uint64) any
	// clear zeroes value i after its delivery, so the ring keeps nothing
	// alive for the garbage collector (nil when T holds no pointers).
	clear func(i uint64)
}

// typedRing holds the typed payloads of one type, by queue position.
type typedRing[T any] struct {
	valueRing
	vals []T
}

// rings is the engine's set of value rings, one per payload type, made
// on the first put of that type and kept for the engine's life.
type rings struct {
	mu   sync.Mutex
	list []*valueRing                 // guarded by mu
	cur  atomic.Pointer[[]*valueRing] // list, for readers that take no lock
}

// load returns the rings made so far.
func (rs *rings) load() []*valueRing {
	if p := rs.cur.Load(); p != nil {
		return *p
	}
	return nil
}

// typeKey returns the type word of *T: one per type, known at compile
// time, so comparing two costs one comparison.
func typeKey[T any]() unsafe.Pointer {
	var a any = (*T)(nil)
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&a))[0]
}

// ringFor returns the engine's ring of T, making it on first use.
func ringFor[T any](e *Engine) *typedRing[T] {
	key := typeKey[T]()
	for _, r := range e.rings.load() {
		if r.key == key {
			return (*typedRing[T])(unsafe.Pointer(r))
		}
	}
	return newRing[T](e, key)
}

func newRing[T any](e *Engine, key unsafe.Pointer) *typedRing[T] {
	rs := &e.rings
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, r := range rs.list {
		if r.key == key {
			return (*typedRing[T])(unsafe.Pointer(r))
		}
	}
	// Twice kw's size (a power of two at least the capacity): see
	// valueRing.
	size := 2 * len(e.kw)
	r := &typedRing[T]{vals: make([]T, size)}
	r.boxes = make([]any, size)
	for i := range r.vals {
		r.boxes[i] = &r.vals[i]
	}
	r.mask, r.key = uint64(size-1), key
	r.copyOut = func(i uint64) any { v := r.vals[i]; return &v }
	if hasPointers[T]() {
		r.clear = func(i uint64) { var zero T; r.vals[i] = zero }
	}
	list := append(append([]*valueRing(nil), rs.list...), &r.valueRing)
	rs.list = list
	rs.cur.Store(&list)
	return r
}

// hasPointers reports whether a T holds pointers the garbage collector
// follows (a conservative answer: types the test cannot see through
// count as having them).
func hasPointers[T any]() bool {
	var zero T
	switch any(zero).(type) {
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr,
		float32, float64, complex64, complex128:
		return false
	}
	return true
}

// valueArgs sets the Args of the typed message m, taken from queue
// position seq-1 (the loop).
func valueArgs(m *event.Message, p unsafe.Pointer, seq uint64) {
	r := (*valueRing)(p)
	i := (seq - 1) & r.mask
	m.Args = r.boxes[i : i+1 : i+1]
}

// valueDone drops the payload of the typed message at queue position
// seq-1 once the loop has delivered it.
func valueDone(p unsafe.Pointer, seq uint64) {
	r := (*valueRing)(p)
	if r.clear != nil {
		r.clear((seq - 1) & r.mask)
	}
}

// valueTaken sets the Args of the typed message m, taken with Get: a *T
// to a copy, which the caller may keep.
func valueTaken(m *event.Message, p unsafe.Pointer, seq uint64) {
	r := (*valueRing)(p)
	i := (seq - 1) & r.mask
	m.Args = []any{r.copyOut(i)}
	if r.clear != nil {
		r.clear(i)
	}
}

// PublishValue publishes v, a value of any type, as the payload of a
// message on the exact topic subject (a topic.Topic or its text), waiting
// while the queue is full as Put does. v travels without []any and without
// boxing: a Tick struct or a *Tick costs no allocation in the engine
// (BenchmarkPublishValue). Subscribe to it with SubscribeValue, which
// gets v back as a T; a plain handler finds a *T as the message's only
// argument (event.Value reads it), pointing at storage the engine reuses
// once the message has been delivered: copy the value to keep it.
func PublishValue[T any, S Subject](e *Engine, subject S, v T) error {
	return publishValue(context.Background(), e, subject, v, true)
}

// TryPublishValue is PublishValue without waiting: it returns ErrFull
// when the queue is full.
func TryPublishValue[T any, S Subject](e *Engine, subject S, v T) error {
	return publishValue(context.Background(), e, subject, v, false)
}

// PublishValueContext is PublishValue that gives up when ctx ends (the
// error wraps both ErrFull and ctx.Err()).
func PublishValueContext[T any, S Subject](ctx context.Context, e *Engine, subject S, v T) error {
	if ctx == nil {
		ctx = context.Background()
	}
	return publishValue(ctx, e, subject, v, true)
}

func publishValue[T any, S Subject](ctx context.Context, e *Engine, subject S, v T, block bool) error {
	t, err := subjectTopic("publish", subject)
	if err != nil {
		return e.refuse(err)
	}
	if !t.IsExact() {
		return e.refuse(badTopic(t))
	}
	r := ringFor[T](e)
	it := item{t: t, args: unsafe.Pointer(&r.valueRing), n: hasValue}
	at := func(pos uint64) { r.vals[pos&r.mask] = v }
	_, err = e.q.TryPutAt(it, at)
	if err == nil {
		return nil
	}
	if e.isFollowUp(err, block) {
		return e.followUp(boxedValue(t, v))
	}
	return e.waitRoom(ctx, it, at, err, block)
}

// boxedValue is the message of a typed put that becomes a follow-up (see
// Put): it waits beside the queue, where the ring has no position for it,
// so its one argument is a *T to a copy of v, which SubscribeValue and
// event.Value read as they read the ring's. Only this path allocates.
func boxedValue[T any](t topic.Topic, v T) event.Message {
	p := new(T)
	*p = v
	return event.Message{Topic: t, Args: []any{p}}
}

// SubscribeValue calls fn with the payload of every message on a topic
// matching pattern (a topic.Topic or its text) that carries one value of
// type T: one published with PublishValue[T], or with Put(t, v) or
// Put(t, &v). The type is checked when the program is compiled where it
// can be (fn and PublishValue name T), and otherwise when a message
// arrives: a message that carries anything else is not passed to fn; it
// is an error wrapping event.ErrType (or event.ErrMissing), logged and
// counted in the subscription's Stats.Errors, never a zero value.
func SubscribeValue[T any, S Subject](e *Engine, pattern S, fn func(event.Message, T), opts ...SubscribeOption) (*Subscription, error) {
	t, err := subjectTopic("subscribe", pattern)
	if err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, e.nilHandler(t)
	}
	call := func(m event.Message) error {
		v, err := valueOf[T](m)
		if err != nil {
			return err
		}
		fn(m, v)
		return nil
	}
	return e.subscribeErr(t, fn, opts, call)
}

// valueOf is event.ValueErr with event.Value's two type assertions
// written out: the call to event.Value, which is not inlined, doubled the
// cost of a typed handler's call (BenchmarkHandlerForm/SubscribeValue).
func valueOf[T any](m event.Message) (T, error) {
	if len(m.Args) == 1 {
		a := m.Args[0]
		if p, ok := a.(*T); ok && p != nil {
			return *p, nil
		}
		if v, ok := a.(T); ok {
			return v, nil
		}
	}
	return event.ValueErr[T](m)
}

// Typed is an engine seen for one payload type T: its Publish and
// Subscribe name T once, so that the compiler checks both sides against
// it. ticks := engine.TypedOf[Tick](e); ticks.Publish("Market.Data.AAPL",
// 187.5) does not compile, nor does a handler of another type. The view
// is a value holding the engine; it costs nothing over PublishValue and
// SubscribeValue, which it calls.
type Typed[T any] struct{ e *Engine }

// TypedOf returns the view of e for payloads of type T.
func TypedOf[T any](e *Engine) Typed[T] { return Typed[T]{e} }

// Engine returns the engine of the view.
func (x Typed[T]) Engine() *Engine { return x.e }

// Publish is PublishValue on the topic whose text is subject.
func (x Typed[T]) Publish(subject string, v T) error { return PublishValue(x.e, subject, v) }

// PublishTopic is PublishValue on t.
func (x Typed[T]) PublishTopic(t topic.Topic, v T) error { return PublishValue(x.e, t, v) }

// TryPublish is TryPublishValue on the topic whose text is subject.
func (x Typed[T]) TryPublish(subject string, v T) error { return TryPublishValue(x.e, subject, v) }

// PublishContext is PublishValueContext on the topic whose text is
// subject.
func (x Typed[T]) PublishContext(ctx context.Context, subject string, v T) error {
	return PublishValueContext(ctx, x.e, subject, v)
}

// Subscribe is SubscribeValue with the pattern's text.
func (x Typed[T]) Subscribe(pattern string, fn func(event.Message, T), opts ...SubscribeOption) (*Subscription, error) {
	return SubscribeValue(x.e, pattern, fn, opts...)
}

// SubscribeTopic is SubscribeValue with a parsed pattern.
func (x Typed[T]) SubscribeTopic(pattern topic.Topic, fn func(event.Message, T), opts ...SubscribeOption) (*Subscription, error) {
	return SubscribeValue(x.e, pattern, fn, opts...)
}
