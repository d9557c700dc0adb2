// Command schedgaps measures how often this machine takes a CPU away from a
// busy thread: two goroutines (as many as GOMAXPROCS) spin on the monotonic
// clock and record every gap between consecutive readings longer than a
// threshold, time in which they were not running.
//
// It bounds what any design that hands messages from one thread to another
// can reach here: a message that arrives while its consumer is descheduled
// waits out the gap, so when the gaps longer than 20 µs add up to more than
// 1% of the time, no such design has a p99 latency under 20 µs on this
// machine. The same two threads are what a paced latency benchmark runs:
// one producer busy-waiting between messages, one consumer spinning.
//
// Usage: go run ./bench/cmd/schedgaps [--duration 2s] [--threshold 20us]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"
)

func main() {
	duration := flag.Duration("duration", 2*time.Second, "how long each goroutine spins")
	threshold := flag.Duration("threshold", 20*time.Microsecond, "shortest gap counted")
	flag.Parse()
	if *duration <= 0 || *threshold <= 0 {
		fmt.Fprintln(os.Stderr, "schedgaps: --duration and --threshold must be positive")
		os.Exit(2)
	}
	n := runtime.GOMAXPROCS(0)
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("schedgaps: %d goroutines spinning for %v, GOMAXPROCS=%d, load average %s", n, *duration, n, orNone(load))
	var wg sync.WaitGroup
	out := make([]string, n)
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[g] = spin(g, *duration, *threshold)
		}()
	}
	wg.Wait()
	for _, line := range out {
		fmt.Println(line)
	}
}

// spin reads the clock for d and describes the gaps longer than min.
func spin(g int, d, min time.Duration) string {
	start := time.Now()
	last := start
	var gaps []time.Duration
	var lost time.Duration
	for {
		now := time.Now()
		if gap := now.Sub(last); gap > min {
			gaps = append(gaps, gap)
			lost += gap
		}
		last = now
		if now.Sub(start) >= d {
			break
		}
	}
	slices.Sort(gaps)
	over := func(x time.Duration) int { i, _ := slices.BinarySearch(gaps, x); return len(gaps) - i }
	longest := time.Duration(0)
	if len(gaps) > 0 {
		longest = gaps[len(gaps)-1]
	}
	return fmt.Sprintf("goroutine %d: %d gaps > %v (%.0f/s; > 100µs: %d, > 1ms: %d), longest %v, not running %.2f%% of the time",
		g, len(gaps), min, float64(len(gaps))/d.Seconds(), over(100*time.Microsecond), over(time.Millisecond), longest,
		100*lost.Seconds()/d.Seconds())
}

func orNone(b []byte) string {
	if len(b) == 0 {
		return "unknown\n"
	}
	return string(b)
}
