package queue_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eventengine/eventengine/queue"
)

func Example() {
	q, err := queue.New[string](2)
	if err != nil {
		panic(err)
	}
	for _, s := range []string{"a", "b", "c"} {
		seq, err := q.TryPut(s)
		fmt.Println(s, seq, err)
	}
	for range 3 {
		v, seq, err := q.TryGet()
		fmt.Printf("%q %d %v\n", v, seq, err)
	}
	// Output:
	// a 1 <nil>
	// b 2 <nil>
	// c 0 queue full
	// "a" 1 <nil>
	// "b" 2 <nil>
	// "" 0 queue empty
}

// A producer and a consumer goroutine: Get waits for items, and returns
// ErrClosed once the queue is closed and drained.
func ExampleQueue_Get() {
	q, _ := queue.New[int](4)
	go func() {
		for i := range 10 {
			q.Put(context.Background(), i*i)
		}
		q.Close()
	}()
	sum := 0
	for {
		v, _, err := q.Get(context.Background())
		if errors.Is(err, queue.ErrClosed) {
			break
		}
		sum += v
	}
	fmt.Println(sum, q.Accepted())
	// Output: 285 10
}

// Put on a full queue waits until the context ends; a put that can succeed
// at once does, even with an ended context.
func ExampleQueue_Put() {
	q, _ := queue.New[int](1, queue.WithMaxSpin(0))
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	fmt.Println(q.Put(ctx, 1))
	fmt.Println(q.Put(ctx, 2))
	fmt.Println(q.Put(ctx, 3)) // the refused put consumed no sequence id
	// Output:
	// 1 <nil>
	// 0 context deadline exceeded
	// 0 context deadline exceeded
}

func ExampleQueue_Close() {
	q, _ := queue.New[string](4)
	q.TryPut("kept")
	q.Close()
	_, err := q.TryPut("refused")
	fmt.Println(err)
	v, _, err := q.TryGet()
	fmt.Println(v, err)
	_, _, err = q.TryGet()
	fmt.Println(err)
	q.Reopen()
	seq, err := q.TryPut("again")
	fmt.Println(seq, err)
	// Output:
	// queue closed
	// kept <nil>
	// queue closed
	// 2 <nil>
}

// TryConsume hands items over in place, in batches.
func ExampleQueue_TryConsume() {
	q, _ := queue.New[int](8)
	for i := 1; i <= 5; i++ {
		q.TryPut(i * 10)
	}
	n, err := q.TryConsume(3, func(v *int, seq uint64) bool {
		fmt.Println(seq, *v)
		return true
	})
	fmt.Println(n, err, q.Len())
	// Output:
	// 1 10
	// 2 20
	// 3 30
	// 3 <nil> 2
}
