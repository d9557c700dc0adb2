package queue

import (
	"context"
	"sync"
	"testing"
	"unsafe"
)

// item is the size of the engine's queued message (24 bytes: a topic, a
// pointer to the arguments and their length, so that a slot is half a
// 64-byte cache line).
type item struct {
	p unsafe.Pointer
	a unsafe.Pointer
	n uint64
}

// BenchmarkTryPutTryGet is the uncontended cost of one put and one get on
// one goroutine.
func BenchmarkTryPutTryGet(b *testing.B) {
	q, _ := New[item](4096)
	b.ReportAllocs()
	for b.Loop() {
		q.TryPut(item{n: 1})
		q.TryGet()
	}
}

// BenchmarkTryPutAtTryGet is BenchmarkTryPutTryGet with a position callback
// writing beside the queue, as the engine's publish does (TryPutAt): what
// calling it through callAt, whose deferred publish covers a panicking
// callback, costs.
func BenchmarkTryPutAtTryGet(b *testing.B) {
	q, _ := New[item](4096)
	side := make([]uint64, 4096)
	at := func(pos uint64) { side[pos&4095] = pos }
	b.ReportAllocs()
	for b.Loop() {
		q.TryPutAt(item{n: 1}, at)
		q.TryGet()
	}
}

// BenchmarkChannel1P1C is the baseline: a buffered channel between two
// goroutines.
func BenchmarkChannel1P1C(b *testing.B) {
	ch := make(chan item, 4096)
	done := make(chan struct{})
	go func() {
		for range b.N {
			<-ch
		}
		close(done)
	}()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ch <- item{n: 1}
	}
	<-done
}

// BenchmarkChannel4P1C is BenchmarkChannel1P1C with four producers.
func BenchmarkChannel4P1C(b *testing.B) {
	ch := make(chan item, 4096)
	done := make(chan struct{})
	go func() {
		for range b.N {
			<-ch
		}
		close(done)
	}()
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for p := range 4 {
		n := b.N / 4
		if p == 0 {
			n += b.N % 4
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				ch <- item{n: 1}
			}
		}()
	}
	wg.Wait()
	<-done
}

// BenchmarkQueue1P1C moves the same items through a Queue with blocking Put
// and Get.
func BenchmarkQueue1P1C(b *testing.B) { benchQueue(b, 1) }

// BenchmarkQueue4P1C is BenchmarkQueue1P1C with four producers.
func BenchmarkQueue4P1C(b *testing.B) { benchQueue(b, 4) }

// BenchmarkQueue1P1CNoSpin is BenchmarkQueue1P1C with WithMaxSpin(0):
// both sides park at once, as a channel does.
func BenchmarkQueue1P1CNoSpin(b *testing.B) { benchQueue(b, 1, WithMaxSpin(0)) }

// BenchmarkQueue1P1CConsume is BenchmarkQueue1P1C with the consumer taking
// batches with Consume, as the engine's loop does.
func BenchmarkQueue1P1CConsume(b *testing.B) {
	q, _ := New[item](4096)
	ctx := context.Background()
	done := make(chan struct{})
	go func() {
		for n := 0; n < b.N; {
			k, _ := q.Consume(ctx, 64, func(*item, uint64) bool { return true })
			n += k
		}
		close(done)
	}()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		q.Put(ctx, item{n: 1})
	}
	<-done
}

func benchQueue(b *testing.B, producers int, opts ...Option) {
	q, _ := New[item](4096, opts...)
	ctx := context.Background()
	done := make(chan struct{})
	go func() {
		for range b.N {
			q.Get(ctx)
		}
		close(done)
	}()
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for p := range producers {
		n := b.N / producers
		if p == 0 {
			n += b.N % producers
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				q.Put(ctx, item{n: 1})
			}
		}()
	}
	wg.Wait()
	<-done
}
