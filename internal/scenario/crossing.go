package scenario

import (
	"runtime"
	"slices"
	"sync/atomic"
	"time"
)

// LineRoundTrip measures how long one cache line takes to go from one core
// to another and back: two goroutines, each on its own thread, take turns
// storing a counter that the other spins on. It returns the median round
// trip, in nanoseconds, of a few bursts, each cut short after a few
// milliseconds; 0 if GOMAXPROCS is below 2.
//
// The figure says where the machine put the two threads: a VM's two vCPUs
// may sit on cores that share a cache or on cores that do not, and the host
// moves them. On the AMD host of 2026-12-02 the round trip was either about
// 100 – 250 ns or about 500 – 600 ns, and an engine run with one producer
// took about 35 – 45 or about 85 – 100 ns a message accordingly (the
// engine's loop and its producers run on two cores, so every message's
// cache line crosses between them), while a channel run did not follow it
// (its two goroutines mostly share one processor). docs/benchmarks.md has
// the table; eventengine bench prints the figure before each run.
func LineRoundTrip() float64 {
	if runtime.GOMAXPROCS(0) < 2 {
		return 0
	}
	const bursts = 5
	trips := make([]float64, 0, bursts)
	for range bursts {
		if v := lineBurst(2000, 4*time.Millisecond); v > 0 {
			trips = append(trips, v)
		}
	}
	if len(trips) == 0 {
		return 0
	}
	slices.Sort(trips)
	return trips[len(trips)/2]
}

// lineBurst makes up to n round trips, for at most limit, and returns the
// mean round trip in nanoseconds, or 0 if fewer than a quarter of them
// were made in time.
func lineBurst(n int64, limit time.Duration) float64 {
	var lines struct {
		_    [128]byte
		ping atomic.Int64
		_    [128]byte
		pong atomic.Int64
		_    [128]byte
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for want := int64(1); ; want++ {
			v := lines.ping.Load()
			for ; v != want && v >= 0; v = lines.ping.Load() {
			}
			if v < 0 {
				return
			}
			lines.pong.Store(want)
		}
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := time.Now()
	deadline := start.Add(limit)
	made := int64(0)
	for i := int64(1); i <= n; i++ {
		lines.ping.Store(i)
		for lines.pong.Load() != i {
			if time.Now().After(deadline) {
				goto out // the other thread is not running: it shares this core or waits for one
			}
		}
		made = i
		if i%64 == 0 && time.Now().After(deadline) {
			break
		}
	}
out:
	elapsed := time.Since(start)
	lines.ping.Store(-1)
	<-done
	if made < n/4 {
		return 0 // the two threads did not both run for most of the burst
	}
	return float64(elapsed.Nanoseconds()) / float64(made)
}
