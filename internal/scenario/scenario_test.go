package scenario

import (
	"sync"
	"testing"
	"time"
)

// lossy delivers all but the last message, to prove that Run notices.
type lossy struct{ Channel }

func (lossy) Name() string { return "lossy" }
func (l lossy) Open(s Scenario, deliver Deliver) (Pipe, error) {
	return l.Channel.Open(s, func(sub int, m *Msg) {
		if m.Seq != 99 {
			deliver(sub, m)
		}
	})
}

func TestRunCountsEveryDelivery(t *testing.T) {
	for _, sys := range []System{Channel{}, Engine{}} {
		for _, s := range Standard() {
			if s.PacedRate > 0 {
				s.PacedRate = 1_000_000
			}
			r := Run(sys, s, 2000, 30*time.Second)
			if r.NA != "" {
				if sys.Name() != "Go channel (baseline)" || !s.Wildcard {
					t.Errorf("%s: %s n/a: %s", sys.Name(), s.Name, r.NA)
				}
				continue
			}
			if r.Error != "" || r.Delivered != 2000*int64(s.Subscribers) {
				t.Errorf("%s / %s: %+v", sys.Name(), s.Name, r)
			}
			if s.PacedRate > 0 && (r.P50 <= 0 || r.P999 < r.P50) {
				t.Errorf("%s latency: %+v", sys.Name(), r)
			}
		}
	}
	r := Run(lossy{}, Standard()[0], 100, 200*time.Millisecond)
	if r.Error == "" || r.Delivered != 99 {
		t.Fatalf("a lost message went unnoticed: %+v", r)
	}
}

// TestEngineDeliversTheRightMessages checks, with several producers, that
// every delivered message is the one published (not a reused argument slot).
func TestEngineDeliversTheRightMessages(t *testing.T) {
	seen := make([]int, 40000)
	var mu sync.Mutex
	bad := 0
	s := Scenario{Name: "4p", Producers: 4, Subscribers: 1, Messages: 40000}
	pipe, err := Engine{}.Open(s, func(_ int, m *Msg) {
		mu.Lock()
		seen[m.Seq]++
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := make([]Msg, 40000)
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := p * 10000; i < (p+1)*10000; i++ {
				msgs[i].Seq = int64(i)
				pipe.Publish(p, &msgs[i])
			}
		}()
	}
	wg.Wait()
	pipe.Close()
	for i, c := range seen {
		if c != 1 {
			bad++
			if bad < 5 {
				t.Errorf("message %d delivered %d times", i, c)
			}
		}
	}
}
