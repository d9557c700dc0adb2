//go:build !race

package queue

import "sync/atomic"

// publish stores v into a slot's stamp with release semantics only: the
// item written into the slot before it becomes visible no later than the
// stamp, but the producer does not wait, as it would at a sequentially
// consistent store (an XCHG on amd64), for its earlier stores to reach
// the cache. Those stores miss whenever the consumer's core last read the
// slot's line, so one producer and one consumer on two cores move an item
// markedly faster with the release store: BenchmarkQueue1P1CConsume (the
// engine's Engine1P1C too) shows it; figures in docs/benchmarks.md.
//
// Nothing may rely on the stamp being visible before a later load by the
// same producer (a release store does not order them): the consumer's
// check before it parks therefore reads tail, written by the producer's
// compare-and-swap, not the stamp (see canGet).
//
// The race detector does not see stores made in assembly, so race builds
// use atomic.Uint64.Store (publish_other.go).
//
//go:noescape
func publish(stamp *atomic.Uint64, v uint64)
