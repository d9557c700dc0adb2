package main

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// histogram records durations in logarithmic buckets (16 sub-buckets per
// power of two, so a percentile is within about 6%). Record is safe for one
// writer and concurrent readers.
type histogram struct {
	counts [64 * 16]atomic.Uint64
	n      atomic.Uint64
}

func bucketOf(ns int64) int {
	if ns < 16 {
		return int(max(ns, 0))
	}
	e := bits.Len64(uint64(ns)) - 1 // 2^e <= ns < 2^(e+1), e >= 4
	sub := int(uint64(ns)>>(e-4)) & 15
	return (e-3)*16 + sub
}

// bucketValue returns the upper bound of bucket b in nanoseconds.
func bucketValue(b int) int64 {
	if b < 16 {
		return int64(b)
	}
	e := b/16 + 3
	sub := b % 16
	return int64(16+sub+1) << (e - 4)
}

// Record adds one observation.
func (h *histogram) Record(d time.Duration) {
	h.counts[bucketOf(int64(d))].Add(1)
	h.n.Add(1)
}

// snapshot copies the counts.
func (h *histogram) snapshot() (counts []uint64, n uint64) {
	counts = make([]uint64, len(h.counts))
	for i := range h.counts {
		counts[i] = h.counts[i].Load()
		n += counts[i]
	}
	return counts, n
}

// percentiles returns the given quantiles of counts, whose total is n.
func percentiles(counts []uint64, n uint64, qs ...float64) []time.Duration {
	out := make([]time.Duration, len(qs))
	if n == 0 {
		return out
	}
	for i, q := range qs {
		rank := uint64(q * float64(n))
		if rank >= n {
			rank = n - 1
		}
		var seen uint64
		for b, c := range counts {
			seen += c
			if seen > rank {
				out[i] = time.Duration(bucketValue(b))
				break
			}
		}
	}
	return out
}

// diff returns a - b per bucket.
func diff(a, b []uint64) ([]uint64, uint64) {
	out := make([]uint64, len(a))
	var n uint64
	for i := range a {
		out[i] = a[i] - b[i]
		n += out[i]
	}
	return out, n
}
