package queue

import (
	"context"
	"sync"
	"testing"
	"unsafe"
)

// item is the size of the engine's message (48 bytes).
type item struct {
	p unsafe.Pointer
	s []any
	m map[string]any
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

// BenchmarkQueue1P1C moves the same items through a Queue with blocking Put
// and Get.
func BenchmarkQueue1P1C(b *testing.B) { benchQueue(b, 1) }

// BenchmarkQueue4P1C is BenchmarkQueue1P1C with four producers.
func BenchmarkQueue4P1C(b *testing.B) { benchQueue(b, 4) }

func benchQueue(b *testing.B, producers int) {
	q, _ := New[item](4096)
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
