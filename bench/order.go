package bench

import (
	"sync/atomic"

	"github.com/eventengine/eventengine/internal/scenario"
)

// orderCheck wraps a system so that every delivery is also checked for
// order: each subscriber must see every producer's messages in the order
// that producer published them. Run gives producer p the sequence numbers
// [p*share, (p+1)*share) and publishes them in increasing order, so a
// delivery is out of order when its sequence number is below the last one
// the subscriber saw from the same producer.
type orderCheck struct {
	scenario.System
	// outOfOrder is set by Open; it counts the deliveries of the last
	// opened pipe that came out of order.
	outOfOrder *atomic.Int64
}

type lastSeen struct {
	seq atomic.Int64
	_   [56]byte // one cache line per (subscriber, producer)
}

// Open implements scenario.System: the inner system's pipe, with deliver
// wrapped by the order check.
func (o orderCheck) Open(s scenario.Scenario, deliver scenario.Deliver) (scenario.Pipe, error) {
	o.outOfOrder.Store(0)
	share := s.Messages / int64(s.Producers)
	last := make([]lastSeen, s.Subscribers*s.Producers)
	for i := range last {
		last[i].seq.Store(-1)
	}
	return o.System.Open(s, func(sub int, m *scenario.Msg) {
		p := s.Producers - 1
		if share > 0 {
			p = min(int(m.Seq/share), s.Producers-1)
		}
		// Swap, not Load and Store: a system may call deliver for one
		// subscriber from several goroutines at once.
		if prev := last[sub*s.Producers+p].seq.Swap(m.Seq); prev > m.Seq {
			o.outOfOrder.Add(1)
		}
		deliver(sub, m)
	})
}
