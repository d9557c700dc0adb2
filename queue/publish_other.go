//go:build !amd64 || race

package queue

import "sync/atomic"

// publish stores v into a slot's stamp (see publish_amd64.go). Outside
// amd64, and under the race detector, it is a sequentially consistent
// store.
func publish(stamp *atomic.Uint64, v uint64) { stamp.Store(v) }
