package bench

import (
	"runtime"
	"time"

	"github.com/smarty/go-disruptor"

	"github.com/eventengine/eventengine/internal/scenario"
)

// Disruptor is github.com/smarty/go-disruptor: the ring buffer alone, with
// one handler goroutine per subscriber (a handler group) and as many
// writers as producers. It has no topics. Writers waiting for a full ring
// yield instead of the default 1 ns sleep; readers keep the default wait
// (a 500 ns sleep when idle, which shows in its latency).
type Disruptor struct{}

// Name implements scenario.System.
func (Disruptor) Name() string { return "smarty/go-disruptor (queue only)" }

// Supports implements scenario.System.
func (Disruptor) Supports(s scenario.Scenario) (bool, string) {
	if s.Wildcard {
		return false, "a queue: no topics"
	}
	return true, ""
}

const ringSize = 4096

type disruptorPipe struct {
	d    disruptor.Disruptor
	ring *[ringSize]*scenario.Msg
	done chan struct{}
}

type ringHandler struct {
	sub     int
	ring    *[ringSize]*scenario.Msg
	deliver scenario.Deliver
}

func (h ringHandler) Handle(lower, upper int64) {
	for ; lower <= upper; lower++ {
		h.deliver(h.sub, h.ring[lower&(ringSize-1)])
	}
}

// Open implements scenario.System.
func (Disruptor) Open(s scenario.Scenario, deliver scenario.Deliver) (scenario.Pipe, error) {
	ring := new([ringSize]*scenario.Msg)
	handlers := make([]disruptor.Handler, s.Subscribers)
	for i := range handlers {
		handlers[i] = ringHandler{sub: i, ring: ring, deliver: deliver}
	}
	d, err := disruptor.New(
		disruptor.Options.BufferCapacity(ringSize),
		disruptor.Options.WriterCount(uint8(s.Producers)),
		disruptor.Options.WaitStrategy(yielding{}),
		disruptor.Options.NewHandlerGroup(handlers...))
	if err != nil {
		return nil, err
	}
	p := &disruptorPipe{d: d, ring: ring, done: make(chan struct{})}
	go func() { d.Listen(); close(p.done) }()
	return p, nil
}

func (p *disruptorPipe) Publish(_ int, m *scenario.Msg) error {
	seq := p.d.Reserve(1)
	p.ring[seq&(ringSize-1)] = m
	p.d.Commit(seq, seq)
	return nil
}

func (p *disruptorPipe) Close() error {
	err := p.d.Close()
	<-p.done
	return err
}

// yielding is a disruptor.WaitStrategy that yields the processor instead
// of sleeping: on a machine with fewer cores than goroutines, the default
// strategy's time.Sleep(1ns) for a waiting writer costs a timer each time.
type yielding struct{}

func (yielding) Gate(int64)    { runtime.Gosched() }
func (yielding) Idle(int64)    { time.Sleep(500 * time.Nanosecond) }
func (yielding) Reserve(int64) { runtime.Gosched() }
