package engine

import (
	"context"
	"sync"
)

// timers holds the engine's timers (see Timer). Placeholder until the timer
// issue lands.
type timers struct {
	mu sync.Mutex
	wg sync.WaitGroup
	n  int
}

func (ts *timers) start(e *Engine, ctx context.Context) {}
func (ts *timers) wait()                                { ts.wg.Wait() }
func (ts *timers) count() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.n
}
