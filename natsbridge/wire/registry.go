package wire

import (
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
)

// Registry is a [Fallback] for types registered with [Register], each
// under a name that travels with its values. It is safe for concurrent
// use; encoding and decoding take no lock. The zero Registry is empty and
// ready to use.
type Registry struct {
	mu  sync.Mutex // serializes Register
	reg atomic.Pointer[registry]
}

type registry struct {
	byType map[reflect.Type]*regEntry
	byName map[string]*regEntry
}

type regEntry struct {
	name   string
	append func(dst []byte, v any) ([]byte, error)
	decode func(data []byte) (any, error)
}

// Register adds type T to r under name: enc appends the encoding of a T to
// dst, dec decodes one (data is valid only during the call, so dec must
// copy what it keeps). It returns an error if T or name is already
// registered, or name is empty. For a value of T, JSONCodec writes enc's
// bytes as JSON when they are valid JSON, so an enc that writes JSON keeps
// the JSON encoding readable.
func Register[T any](r *Registry, name string, enc func(dst []byte, v T) ([]byte, error), dec func(data []byte) (T, error)) error {
	if name == "" {
		return fmt.Errorf("wire: Register: empty name")
	}
	typ := reflect.TypeFor[T]()
	e := &regEntry{
		name:   name,
		append: func(dst []byte, v any) ([]byte, error) { return enc(dst, v.(T)) },
		decode: func(data []byte) (any, error) { return dec(data) },
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.reg.Load()
	if old == nil {
		old = &registry{}
	}
	if _, ok := old.byType[typ]; ok {
		return fmt.Errorf("wire: Register: type %v already registered", typ)
	}
	if _, ok := old.byName[name]; ok {
		return fmt.Errorf("wire: Register: name %s already registered", strconv.Quote(name))
	}
	n := &registry{byType: make(map[reflect.Type]*regEntry, len(old.byType)+1), byName: make(map[string]*regEntry, len(old.byName)+1)}
	for k, v := range old.byType {
		n.byType[k] = v
	}
	for k, v := range old.byName {
		n.byName[k] = v
	}
	n.byType[typ], n.byName[name] = e, e
	r.reg.Store(n)
	return nil
}

// AppendValue implements [Fallback] for the registered types.
func (r *Registry) AppendValue(dst []byte, v any) (string, []byte, error) {
	if reg := r.reg.Load(); reg != nil {
		if e, ok := reg.byType[reflect.TypeOf(v)]; ok {
			out, err := e.append(dst, v)
			return e.name, out, err
		}
	}
	return "", dst, ErrUnsupportedType
}

// DecodeValue implements [Fallback] for the registered names.
func (r *Registry) DecodeValue(name string, data []byte) (any, error) {
	if reg := r.reg.Load(); reg != nil {
		if e, ok := reg.byName[name]; ok {
			return e.decode(data)
		}
	}
	return nil, fmt.Errorf("%w: no type registered as %s", ErrUnsupportedType, strconv.Quote(name))
}
