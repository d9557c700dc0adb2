// API CONTRACT (stub). The implementer replaces this file with the real
// implementation. Names and signatures below are fixed: the engine compiles
// against them.

// Package queue provides a bounded, lock-free, multi-producer multi-consumer
// FIFO queue with exact capacity, spin-then-park blocking and sequence ids.
package queue

import (
	"context"
	"errors"
)

// Sentinel errors.
var (
	ErrFull     = errors.New("queue full")
	ErrEmpty    = errors.New("queue empty")
	ErrClosed   = errors.New("queue closed")
	ErrCapacity = errors.New("invalid capacity")
)

// DefaultMaxSpin is the default number of spins before a blocked Put or Get parks.
const DefaultMaxSpin = 1024

// Option configures a Queue.
type Option func(*config)

type config struct{}

// WithMaxSpin sets how many times a blocking Put/Get retries before parking.
func WithMaxSpin(n int) Option { return nil }

// Queue is a bounded MPMC FIFO queue of T.
type Queue[T any] struct{}

// New returns a queue holding at most capacity items (capacity >= 1).
func New[T any](capacity int, opts ...Option) (*Queue[T], error) { return nil, nil }

func (q *Queue[T]) Cap() int                                             { return 0 }
func (q *Queue[T]) Len() int                                             { return 0 }
func (q *Queue[T]) Accepted() uint64                                     { return 0 }
func (q *Queue[T]) TryPut(v T) (seq uint64, err error)                   { return 0, nil }
func (q *Queue[T]) Put(ctx context.Context, v T) (uint64, error)         { return 0, nil }
func (q *Queue[T]) TryGet() (v T, seq uint64, err error)                 { return v, 0, nil }
func (q *Queue[T]) Get(ctx context.Context) (v T, seq uint64, err error) { return v, 0, nil }
func (q *Queue[T]) Close()                                               {}
func (q *Queue[T]) Reopen()                                              {}
func (q *Queue[T]) Closed() bool                                         { return false }
