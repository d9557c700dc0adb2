package event

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
)

// AddErrorFunc appends f, a handler that can fail, and returns the ID of
// this registration, the only way to remove it. A nil f is not added and
// gets the invalid ID 0. The hook logs an error f returns, at Error level
// through the hook's logger (with the topic, the sequence id and the
// handler's name), and counts it in the handler's Stats.Errors and in the
// hook's Totals, as it does a panic; the remaining handlers still run.
func (h *Hook) AddErrorFunc(f func(Message) error) ID { return h.AddNamed("", f) }

// AddNamed is AddErrorFunc with the name that logs and Stats.Name give the
// handler; "" names it after f (see HandlerName). A wrapper that adds f's
// behaviour to another func (as the engine's subscriptions do) passes the
// name of the func it wraps.
func (h *Hook) AddNamed(name string, f func(Message) error) ID {
	if f == nil {
		return 0
	}
	c := &errorCall{hook: h, f: f}
	e := newEntry(c)
	c.e = e // e.h and e.fn are c
	if name == "" {
		name = HandlerName(f)
	}
	e.name = name
	return h.insert(e)
}

// errorCall is the Handler a hook registers for an ErrorFunc: it calls f
// and accounts an error to its registration.
type errorCall struct {
	hook *Hook
	e    *entry
	f    func(Message) error
}

func (c *errorCall) Handle(m Message) {
	if err := c.f(m); err != nil {
		c.hook.failed(c.e, &m, err)
	}
}

// failed counts and logs the error err of registration e, under the
// hook's panic log policy (WithPanicLog): the first errors of a handler in
// full, then summaries, so that a handler that fails on every message
// does not flood the log.
func (h *Hook) failed(e *entry, m *Message, err error) {
	n := e.errors.Add(1)
	h.errors.Add(1)
	h.logFailure(&errorFailure, &e.errorLog, n, e, m, err, nil)
}

// Errors returns the number of errors the hook's handlers returned in its
// lifetime, including those of handlers removed since.
func (h *Hook) Errors() uint64 { return h.errors.Load() }

// HandlerName returns the name logs and Stats give a handler registered
// without one: for a func (or a HandlerFunc) the name of its function as
// the runtime knows it, such as "main.onTick", "main.main.func1" for a
// function literal or "main.(*Book).OnTick-fm" for a method value; for
// any other handler its type, such as "*main.Book". It is computed once,
// when the handler is added, never per call.
func HandlerName(handler any) string {
	switch h := handler.(type) {
	case nil:
		return ""
	case HandlerFunc:
		return funcName(h)
	case *errorCall:
		return funcName(h.f)
	}
	if v := reflect.ValueOf(handler); v.Kind() == reflect.Func {
		return funcName(handler)
	}
	return fmt.Sprintf("%T", handler)
}

// funcName returns the runtime's name of the function f, a func value.
func funcName(f any) string {
	v := reflect.ValueOf(f)
	if v.Kind() != reflect.Func || v.IsNil() {
		return fmt.Sprintf("%T", f)
	}
	fn := runtime.FuncForPC(v.Pointer())
	if fn == nil {
		return fmt.Sprintf("%T", f)
	}
	// The module path is noise in a log line: keep the last path element.
	name := fn.Name()
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return name
}
