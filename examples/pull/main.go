// Command pull uses the engine's queue without its dispatch loop: producers
// put, and the program takes messages itself with Get.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/topic"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	e := engine.MustNew(engine.WithCapacity(8))
	jobs := topic.MustParse("Jobs.Build")
	var wg sync.WaitGroup
	for p := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				e.Put(jobs, p, i) // blocks while the queue is full
			}
		}()
	}
	sum := 0
	for range 10 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		m, err := e.Get(ctx)
		cancel()
		if err != nil {
			return err
		}
		i := m.Args[1].(int)
		sum += i
	}
	wg.Wait()
	if _, err := e.TryGet(); !errors.Is(err, engine.ErrEmpty) {
		return fmt.Errorf("queue not empty: %v", err)
	}
	fmt.Fprintf(w, "took 10 messages, sum of indexes %d, queue empty\n", sum)
	return nil
}
