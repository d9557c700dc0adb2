package engine

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/index"
	"github.com/eventengine/eventengine/topic"
)

// slot is one registered hook, its registration order and the hook's
// panic and error counts when it was registered: the engine counts the
// panics a hook recovers while it is registered (Stats.HandlerPanics), so
// registering a hook again does not count its earlier panics twice; and
// its handlers' errors alike (Stats.HandlerErrors).
type slot struct {
	hook   *event.Hook
	order  uint64
	panics uint64
	errors uint64
}

// panicsHere returns the panics s's hook recovered since it was registered.
func (s *slot) panicsHere() uint64 { return s.hook.Panics() - s.panics }

// errorsHere returns the errors s's hook's handlers returned since it was
// registered.
func (s *slot) errorsHere() uint64 { return s.hook.Errors() - s.errors }

// registry holds the hooks. Writers and route resolution take mu; gen
// changes with every change that can alter a route, so the loop's cache
// knows when to forget.
type registry struct {
	mu      sync.Mutex
	exact   map[topic.Topic]*slot
	generic map[topic.Topic]*slot
	ix      index.Index[*slot]
	order   uint64
	gen     atomic.Uint64
	// log holds the topic of the hook added or removed at each of the last
	// changeLog generations, at gen % changeLog, so the loop's route cache
	// forgets only the routes a change concerns (see routeCache).
	log [changeLog]topic.Topic
	// scratch is appendRoute's buffer of matching slots.
	scratch []*slot
	// panics of hooks no longer registered, so the engine total never drops
	panicsGone uint64
	errorsGone uint64 // and their errors
	// added is told of every hook added, under mu (timers.registered)
	added func(topic.Topic)
}

func (r *registry) init() {
	r.exact = make(map[topic.Topic]*slot)
	r.generic = make(map[topic.Topic]*slot)
}

// add registers h under its topic; the caller holds mu.
func (r *registry) add(h *event.Hook) {
	r.order++
	s := &slot{hook: h, order: r.order, panics: h.Panics(), errors: h.Errors()}
	t := h.Topic()
	if t.IsExact() {
		r.exact[t] = s
	} else {
		r.generic[t] = s
		r.ix.Insert(t, s)
	}
	r.record(t)
	if r.added != nil {
		r.added(t)
	}
}

// changeLog is how many registry changes the route cache can catch up with
// by checking each against a cached topic; an entry older than that is
// recomputed.
const changeLog = 64

// record logs a change to the hook of t and starts a new generation; the
// caller holds mu.
func (r *registry) record(t topic.Topic) {
	g := r.gen.Load() + 1
	r.log[g%changeLog] = t
	r.gen.Store(g)
}

// copyLog brings c's copy of the change log up to the current generation.
func (r *registry) copyLog(c *routeCache) {
	r.mu.Lock()
	c.gen = r.gen.Load()
	c.log = r.log
	r.mu.Unlock()
	c.logFrom = c.gen - min(c.gen, changeLog)
}

// remove drops the hook of t; the caller holds mu.
func (r *registry) remove(t topic.Topic) *event.Hook {
	var s *slot
	if t.IsExact() {
		s = r.exact[t]
		delete(r.exact, t)
	} else {
		s = r.generic[t]
		if s != nil {
			delete(r.generic, t)
			r.ix.Remove(t, s)
		}
	}
	if s == nil {
		return nil
	}
	r.panicsGone += s.panicsHere()
	r.errorsGone += s.errorsHere()
	r.record(t)
	return s.hook
}

func (r *registry) lookup(t topic.Topic) *slot {
	if t.IsExact() {
		return r.exact[t]
	}
	return r.generic[t]
}

// resolve appends the hooks an exact topic reaches, in delivery order, to
// dst, and returns the generation they are valid for. It allocates only to
// grow dst or its scratch slice of matching slots.
func (r *registry) resolve(t topic.Topic, dst []*event.Hook) ([]*event.Hook, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.appendRoute(dst, t), r.gen.Load()
}

// route computes the delivery list of exact topic t; the caller holds mu.
func (r *registry) route(t topic.Topic) []*event.Hook { return r.appendRoute(nil, t) }

// appendRoute appends the delivery list of exact topic t to hooks; the
// caller holds mu.
func (r *registry) appendRoute(hooks []*event.Hook, t topic.Topic) []*event.Hook {
	if s := r.exact[t]; s != nil {
		hooks = append(hooks, s.hook)
	}
	gen := r.ix.Match(t, r.scratch[:0])
	slices.SortFunc(gen, func(a, b *slot) int { return compareOrder(a.order, b.order) })
	for i, s := range gen {
		if i > 0 && gen[i-1] == s {
			continue
		}
		hooks = append(hooks, s.hook)
	}
	clear(gen) // no slot kept alive by the scratch slice
	r.scratch = gen[:0]
	return hooks
}

func compareOrder(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func checkTopic(op string, t topic.Topic) error {
	if t.IsZero() {
		return fmt.Errorf("%s: %w", op, ErrZeroTopic)
	}
	return nil
}

// RegisterHook registers h for its topic. It is an error (ErrHookExists) if
// a different hook already holds that topic; registering the same hook again
// does nothing.
func (e *Engine) RegisterHook(h *event.Hook) error {
	if h == nil {
		return fmt.Errorf("register hook: %w", ErrNilHook)
	}
	t := h.Topic()
	if err := checkTopic("register hook", t); err != nil {
		return err
	}
	r := &e.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.lookup(t); s != nil {
		if s.hook == h {
			return nil
		}
		return fmt.Errorf("register hook for %q: %w", t.String(), ErrHookExists)
	}
	r.add(h)
	return nil
}

// UnregisterHook removes the hook of topic t and returns it (ErrNoHook if
// there is none).
func (e *Engine) UnregisterHook(t topic.Topic) (*event.Hook, error) {
	if err := checkTopic("unregister hook", t); err != nil {
		return nil, err
	}
	r := &e.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.remove(t)
	if h == nil {
		return nil, fmt.Errorf("unregister hook for %q: %w", t.String(), ErrNoHook)
	}
	return h, nil
}

// hookFor returns the hook of t, creating and registering it if needed; the
// caller holds the registry lock.
func (e *Engine) hookFor(t topic.Topic) *event.Hook {
	if s := e.reg.lookup(t); s != nil {
		return s.hook
	}
	opts := []event.Option{event.WithClock(e.cfg.clock)}
	if e.cfg.logger != nil {
		opts = append(opts, event.WithLogger(e.cfg.logger))
	}
	if e.cfg.stats {
		opts = append(opts, event.WithStats())
	}
	if e.cfg.slow > 0 {
		opts = append(opts, event.WithSlowHandler(e.cfg.slow))
	}
	h := event.NewHook(t, opts...)
	e.reg.add(h)
	return h
}

// RegisterHandler adds handler to the hook of t, creating the hook if there
// is none, and returns the ID of this registration (for UnregisterHandler).
// The same handler may be registered more than once; see RegisterUnique.
func (e *Engine) RegisterHandler(t topic.Topic, handler event.Handler) (event.ID, error) {
	if err := checkTopic("register handler", t); err != nil {
		return 0, err
	}
	if handler == nil {
		return 0, fmt.Errorf("register handler for %q: %w", t.String(), event.ErrNilHandler)
	}
	if e.middleware() {
		return e.registerWrapped(t, handler, false)
	}
	e.reg.mu.Lock()
	defer e.reg.mu.Unlock()
	return e.hookFor(t).Add(handler), nil
}

// registerWrapped registers handler, of a reference-shaped call, on the
// hook of t, wrapped in the engine's middleware (see WithMiddleware): the
// registration keeps handler's identity, so that RegisterUnique and
// UnregisterHandlerValue compare what the caller gave.
func (e *Engine) registerWrapped(t topic.Topic, handler event.Handler, unique bool) (event.ID, error) {
	s := &Subscription{e: e, topic: t, name: event.HandlerName(handler)}
	call, err := e.wrap(s, func(_ context.Context, m event.Message) error { handler.Handle(m); return nil })
	if err != nil {
		return 0, err
	}
	e.reg.mu.Lock()
	defer e.reg.mu.Unlock()
	existed := e.reg.lookup(t) != nil
	h := e.hookFor(t)
	id, _, err := h.AddCalling(handler, func(m event.Message) error { return call(e.runContext(), m) }, unique)
	if err != nil && !existed {
		e.reg.remove(t) // do not leave an empty hook behind
	}
	s.hook, s.id = h, id
	return id, err
}

// RegisterFunc is RegisterHandler for a func.
func (e *Engine) RegisterFunc(t topic.Topic, f func(event.Message)) (event.ID, error) {
	if f == nil {
		return 0, fmt.Errorf("register func for %q: %w", t.String(), event.ErrNilHandler)
	}
	return e.RegisterHandler(t, event.HandlerFunc(f))
}

// RegisterUnique is RegisterHandler with de-duplication (the reference's
// deduplicate=True): if the hook already holds handler (compared with ==),
// it returns the ID of that registration and adds nothing. The handler's
// dynamic type must be comparable (event.ErrNotComparable otherwise).
func (e *Engine) RegisterUnique(t topic.Topic, handler event.Handler) (event.ID, error) {
	if err := checkTopic("register handler", t); err != nil {
		return 0, err
	}
	if handler == nil {
		return 0, fmt.Errorf("register handler for %q: %w", t.String(), event.ErrNilHandler)
	}
	if e.middleware() {
		return e.registerWrapped(t, handler, true)
	}
	e.reg.mu.Lock()
	defer e.reg.mu.Unlock()
	s := e.reg.lookup(t)
	var h *event.Hook
	if s != nil {
		h = s.hook
	} else {
		h = e.hookFor(t)
	}
	id, _, err := h.AddUnique(handler)
	if err != nil && s == nil {
		e.reg.remove(t) // do not leave an empty hook behind
	}
	return id, err
}

// UnregisterHandler removes the registration id from the hook of t, and
// drops the hook when it becomes empty.
func (e *Engine) UnregisterHandler(t topic.Topic, id event.ID) error {
	return e.unregister(t, func(h *event.Hook) (bool, error) { return h.Remove(id), nil })
}

// UnregisterHandlerValue removes the first registration of handler (compared
// with ==, as the reference's unregister_handler) from the hook of t, and
// drops the hook when it becomes empty.
func (e *Engine) UnregisterHandlerValue(t topic.Topic, handler event.Handler) error {
	return e.unregister(t, func(h *event.Hook) (bool, error) { return h.RemoveHandler(handler) })
}

func (e *Engine) unregister(t topic.Topic, remove func(*event.Hook) (bool, error)) error {
	if err := checkTopic("unregister handler", t); err != nil {
		return err
	}
	r := &e.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.lookup(t)
	if s == nil {
		return fmt.Errorf("unregister handler from %q: %w", t.String(), ErrNoHook)
	}
	ok, err := remove(s.hook)
	if err != nil {
		return fmt.Errorf("unregister handler from %q: %w", t.String(), err)
	}
	if !ok {
		return fmt.Errorf("unregister handler from %q: %w", t.String(), ErrNoHandler)
	}
	if s.hook.Len() == 0 {
		r.remove(t)
	}
	return nil
}

// HooksFor returns the hooks a message on t would reach (the reference's
// engine[topic]). For an exact t: its exact hook first, then every matching
// generic hook in registration order. For a generic t: every registered hook
// whose topic matches t (its own hook, and exact hooks it accepts), in
// registration order.
func (e *Engine) HooksFor(t topic.Topic) []*event.Hook {
	if t.IsZero() {
		return nil
	}
	r := &e.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	if t.IsExact() {
		return r.route(t)
	}
	var found []*slot
	for _, m := range []map[topic.Topic]*slot{r.exact, r.generic} {
		for ht, s := range m {
			if ht.Matches(t) {
				found = append(found, s)
			}
		}
	}
	slices.SortFunc(found, func(a, b *slot) int { return compareOrder(a.order, b.order) })
	hooks := make([]*event.Hook, len(found))
	for i, s := range found {
		hooks[i] = s.hook
	}
	return hooks
}

// snapshot returns the registered slots in registration order.
func (e *Engine) snapshot() []*slot {
	r := &e.reg
	r.mu.Lock()
	all := slices.Collect(maps.Values(r.exact))
	all = slices.AppendSeq(all, maps.Values(r.generic))
	r.mu.Unlock()
	slices.SortFunc(all, func(a, b *slot) int { return compareOrder(a.order, b.order) })
	return all
}

// Hooks iterates the registered hooks in registration order. It iterates a
// snapshot, so the loop body may register and unregister.
func (e *Engine) Hooks() iter.Seq[*event.Hook] {
	return func(yield func(*event.Hook) bool) {
		for _, s := range e.snapshot() {
			if !yield(s.hook) {
				return
			}
		}
	}
}

// Topics iterates the topics of the registered hooks in registration order.
func (e *Engine) Topics() iter.Seq[topic.Topic] {
	return func(yield func(topic.Topic) bool) {
		for _, s := range e.snapshot() {
			if !yield(s.hook.Topic()) {
				return
			}
		}
	}
}

// All iterates (topic, hook) pairs in registration order (the reference's
// items()).
func (e *Engine) All() iter.Seq2[topic.Topic, *event.Hook] {
	return func(yield func(topic.Topic, *event.Hook) bool) {
		for _, s := range e.snapshot() {
			if !yield(s.hook.Topic(), s.hook) {
				return
			}
		}
	}
}

// ExactHooks returns a copy of the map of exact topics to hooks.
func (e *Engine) ExactHooks() map[topic.Topic]*event.Hook {
	return e.copyMap(func(r *registry) map[topic.Topic]*slot { return r.exact })
}

// GenericHooks returns a copy of the map of generic topics to hooks.
func (e *Engine) GenericHooks() map[topic.Topic]*event.Hook {
	return e.copyMap(func(r *registry) map[topic.Topic]*slot { return r.generic })
}

func (e *Engine) copyMap(which func(*registry) map[topic.Topic]*slot) map[topic.Topic]*event.Hook {
	r := &e.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	m := which(r)
	out := make(map[topic.Topic]*event.Hook, len(m))
	for t, s := range m {
		out[t] = s.hook
	}
	return out
}

// Len returns the number of registered topics (hooks).
func (e *Engine) Len() int {
	r := &e.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.exact) + len(r.generic)
}

// Clear removes every hook and every timer (as the reference's clear). It
// returns ErrRunning while the loop runs.
func (e *Engine) Clear() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.running {
		return fmt.Errorf("clear: %w: stop it first", ErrRunning)
	}
	r := &e.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	for t := range r.exact {
		r.remove(t)
	}
	for t := range r.generic {
		r.remove(t)
	}
	e.timers.clear()
	return nil
}
