package scenario

import (
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
