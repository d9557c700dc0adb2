package bench

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/eventengine/eventengine/internal/leakcheck"
	"github.com/eventengine/eventengine/internal/scenario"
)

// TestMain fails the package if a test leaves a goroutine running (a
// system whose Close does not stop what it started).
func TestMain(m *testing.M) { leakcheck.Main(m) }

// testConfig is the quick mode shrunk to a few thousand messages per run:
// the correctness checks without the timing.
func testConfig() Config {
	c := Quick()
	c.Mode = "test"
	c.Messages, c.Pilot = 2_000, 500
	c.Budget = 0 // no pilot: every run gets Messages
	c.Paced = 20 * time.Millisecond
	if testing.Short() {
		c.Messages, c.Pilot = 500, 100
	}
	return c
}

// fifo lists the systems that promise per-producer FIFO delivery to each
// subscriber, so the test holds them to it. The others' order is reported
// by peerbench, not asserted.
var fifo = map[string]bool{
	scenario.Channel{}.Name(): true,
	scenario.Engine{}.Name():  true,
	NATS{}.Name():             true,
	Disruptor{}.Name():        true,
	Kelindar{}.Name():         true,
}

// TestEverySystemDeliversEverything runs the quick mode's correctness
// checks: every system, every scenario, a small number of messages, every
// delivery counted. No timing is asserted.
func TestEverySystemDeliversEverything(t *testing.T) {
	c := testConfig()
	var log bytes.Buffer
	results := c.Run(&log)
	if want := len(Systems()) * len(scenario.Standard()); len(results) != want {
		t.Fatalf("%d results, want %d", len(results), want)
	}
	for _, r := range results {
		s := scenarioNamed(t, r.Scenario)
		switch {
		case r.NA != "":
			if !s.Wildcard {
				t.Errorf("%s cannot run %q: %s", r.System, r.Scenario, r.NA)
			}
		case r.Failed():
			t.Errorf("%s / %s: %s", r.System, r.Scenario, r.Error)
		case r.Delivered != r.Messages*int64(s.Subscribers) || s.PacedRate == 0 && r.Messages != c.Messages:
			t.Errorf("%s / %s: delivered %d for %d messages to %d subscribers", r.System, r.Scenario, r.Delivered, r.Messages, s.Subscribers)
		case fifo[r.System] && r.OutOfOrder != 0:
			t.Errorf("%s / %s: %d deliveries out of order", r.System, r.Scenario, r.OutOfOrder)
		case s.PacedRate > 0 && (r.P50 <= 0 || r.P99 < r.P50 || r.P999 < r.P99):
			t.Errorf("%s / %s: latency percentiles %v %v %v", r.System, r.Scenario, r.P50, r.P99, r.P999)
		}
	}
	if t.Failed() {
		t.Log(log.String())
	}
}

func scenarioNamed(t *testing.T, name string) scenario.Scenario {
	t.Helper()
	for _, s := range scenario.Standard() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no scenario %q", name)
	return scenario.Scenario{}
}

// lossy is a channel that drops message 7.
type lossy struct{ scenario.Channel }

func (lossy) Name() string { return "lossy" }
func (l lossy) Open(s scenario.Scenario, deliver scenario.Deliver) (scenario.Pipe, error) {
	return l.Channel.Open(s, func(sub int, m *scenario.Msg) {
		if m.Seq != 7 {
			deliver(sub, m)
		}
	})
}

// swapping is a channel that publishes every pair of messages in reverse.
type swapping struct{ scenario.Channel }

func (swapping) Name() string { return "swapping" }

type swapPipe struct {
	scenario.Pipe
	held *scenario.Msg
}

func (w swapping) Open(s scenario.Scenario, deliver scenario.Deliver) (scenario.Pipe, error) {
	p, err := w.Channel.Open(s, deliver)
	return &swapPipe{Pipe: p}, err
}

func (p *swapPipe) Publish(prod int, m *scenario.Msg) error {
	if p.held == nil {
		p.held = m
		return nil
	}
	held := p.held
	p.held = nil
	if err := p.Pipe.Publish(prod, m); err != nil {
		return err
	}
	return p.Pipe.Publish(prod, held)
}

func TestLossAndDisorderAreReported(t *testing.T) {
	c := testConfig()
	c.Messages, c.Pilot, c.Budget = 100, 100, time.Hour // with a pilot run
	c.Timeout = 100 * time.Millisecond                  // lossy never delivers message 7
	one := scenario.Standard()[0]

	r := c.RunOne(lossy{}, one)
	if !r.Failed() || r.Delivered != 99 || !strings.Contains(r.Error, "pilot") {
		t.Errorf("a lost message went unnoticed: %+v", r)
	}
	rep := Report{Results: []Result{r}}
	if f := rep.Failures(); len(f) != 1 {
		t.Errorf("Failures() = %v", f)
	}

	c.Repeats = 2
	r = c.RunOne(swapping{}, one)
	if r.Failed() || r.OutOfOrder != 100 || r.Repeats != 2 || r.Min > r.MsgsPerSec || r.MsgsPerSec > r.Max {
		t.Errorf("swapping pairs of 100 messages, twice: %d out of order (want 100), %d repeats, %v <= %v <= %v, error %q",
			r.OutOfOrder, r.Repeats, r.Min, r.MsgsPerSec, r.Max, r.Error)
	}
}

func TestReports(t *testing.T) {
	rep := Report{Meta: Meta{Date: "2026-01-02T03:04:05Z", Go: "go1.26", CPU: "Test CPU <&>", GOMAXPROCS: 2, Mode: "test"}}
	add := func(sys, scen string, r scenario.Result, ooo int64) {
		r.System, r.Scenario = sys, scen
		rep.Results = append(rep.Results, Result{Result: r, OutOfOrder: ooo})
	}
	add(baseline, "one", scenario.Result{Messages: 10, Delivered: 10, MsgsPerSec: 1e7, AllocsPerOp: 0}, 0)
	rep.Results[0].Repeats, rep.Results[0].Min, rep.Results[0].Max = 3, 9e6, 1.1e7
	add("eventengine", "one", scenario.Result{Messages: 10, Delivered: 10, MsgsPerSec: 5e6, AllocsPerOp: 0.5}, 0)
	add("peer | x", "one", scenario.Result{Messages: 10, Delivered: 9, Error: "lost | one"}, 0)
	add(baseline, "wild", scenario.Result{NA: "no topics"}, 0)
	add("eventengine", "wild", scenario.Result{Messages: 10, Delivered: 10, MsgsPerSec: 2e3}, 3)
	add("peer | x", "wild", scenario.Result{Messages: 10, Delivered: 10, MsgsPerSec: 2e3}, 0)
	add(baseline, "latency", scenario.Result{Messages: 10, Delivered: 10, MsgsPerSec: 1e5, P50: 1500, P99: 25_000, P999: 2e6}, 0)
	add("eventengine", "latency", scenario.Result{Messages: 10, Delivered: 10, MsgsPerSec: 1e5, P50: 900, P99: 9000, P999: 90_000}, 0)
	add("peer | x", "latency", scenario.Result{NA: "none"}, 0)

	var md strings.Builder
	WriteMarkdown(&md, rep)
	for _, want := range []string{
		"| system | one | wild | p50 | p99 | p99.9 | allocs/msg | order |",
		"| eventengine | 5.00 M | 2.0 k | 0.9 µs | 9.0 µs | 90 µs | 0.50 | not kept (3 deliveries in 1 of 3 scenarios) |",
		"| Go channel (baseline) | 10.00 M | n/a | 1.5 µs | 25 µs | 2.00 ms | 0.00 | kept |",
		"| one | eventengine | 10 | 5.00 M | 0.50× |",
		"3 out of order",
		"| 10.00 M | 1.00× | 0.00 |  |  |  | 9.00 M – 11.00 M |  | kept |",
		"**FAILED**: lost / one",
		"- Go channel (baseline), wild: no topics.",
		"## Failures",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}

	var svg strings.Builder
	WriteSVG(&svg, rep)
	d := xml.NewDecoder(strings.NewReader(svg.String()))
	rects := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, svg.String())
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
	// background + 2 + 2 throughput bars + 6 latency bars
	if rects != 11 {
		t.Errorf("%d rects, want 11", rects)
	}
	for _, want := range []string{"n/a: no topics", "FAILED", "Test CPU &lt;&amp;&gt;", "p99.9"} {
		if !strings.Contains(svg.String(), want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

func benchmark(b *testing.B, sys scenario.System, s scenario.Scenario) {
	if ok, why := sys.Supports(s); !ok {
		b.Skip(why)
	}
	b.ReportAllocs()
	r := scenario.Run(sys, s, int64(b.N), time.Minute)
	if r.Error != "" {
		b.Fatal(r.Error)
	}
	b.ReportMetric(r.MsgsPerSec, "msgs/s")
	if r.P50 > 0 {
		b.ReportMetric(r.P50, "p50-ns")
		b.ReportMetric(r.P99, "p99-ns")
		b.ReportMetric(r.P999, "p99.9-ns")
	}
}

// BenchmarkPeers runs every system on every throughput scenario; one op is
// one message published and delivered to every subscriber. For benchstat:
//
//	cd bench && go test -run '^$' -bench Peers -count 6 | tee new.txt
func BenchmarkPeers(b *testing.B) {
	for _, s := range scenario.Standard() {
		if s.PacedRate > 0 {
			continue
		}
		for _, sys := range Systems() {
			b.Run(benchName(s.Name)+"/"+benchName(sys.Name()), func(b *testing.B) { benchmark(b, sys, s) })
		}
	}
}

// BenchmarkLatency runs the paced latency scenario on every system and
// reports p50, p99 and p99.9 in nanoseconds (b.N messages at the paced
// rate; use -benchtime 100000x for a stable p99.9).
func BenchmarkLatency(b *testing.B) {
	for _, s := range scenario.Standard() {
		if s.PacedRate == 0 {
			continue
		}
		for _, sys := range Systems() {
			b.Run(benchName(sys.Name()), func(b *testing.B) { benchmark(b, sys, s) })
		}
	}
}

// benchName makes a sub-benchmark name without spaces or slashes.
func benchName(s string) string {
	r := strings.NewReplacer(" → ", "-to-", " ", "_", "/", "-", ",", "", "(", "", ")", "")
	return r.Replace(s)
}

// TestEngineProducersKeepTheirOrder publishes enough messages from four
// producers for the engine adapter's argument rings (8192 slots per
// producer) to wrap several times: a slot reused while its message is still
// queued would show up as a delivery out of order (and a data race under
// -race).
func TestEngineProducersKeepTheirOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("100k messages")
	}
	c := testConfig()
	c.Messages = 4 * 5 * 8192
	r := c.RunOne(scenario.Engine{}, scenario.Standard()[1])
	if r.Failed() || r.OutOfOrder != 0 {
		t.Fatalf("%d out of order, error %q", r.OutOfOrder, r.Error)
	}
}

// recording is a channel that notes its name each time a run opens it.
type recording struct {
	scenario.Channel
	name string
	log  *[]string
}

func (r recording) Name() string { return r.name }
func (r recording) Open(s scenario.Scenario, deliver scenario.Deliver) (scenario.Pipe, error) {
	*r.log = append(*r.log, r.name)
	return r.Channel.Open(s, deliver)
}

// The measured runs of a scenario are interleaved across the systems
// (A B A B A B), not each system's repeats in a row, and a system that
// fails stops being run while the others go on.
func TestRunInterleavesSystems(t *testing.T) {
	var log []string
	c := Config{Messages: 1000, Repeats: 3, Timeout: time.Second, // the wait that tells lossy lost a message
		Systems:   []scenario.System{recording{name: "A", log: &log}, recording{name: "B", log: &log}, lossy{}},
		Scenarios: scenario.Standard()[:1]}
	results := c.Run(io.Discard)
	if got, want := strings.Join(log, " "), "A B A B A B"; got != want {
		t.Fatalf("runs opened in the order %q, want %q", got, want)
	}
	if len(results) != 3 || results[0].Repeats != 3 || results[1].Repeats != 3 {
		t.Fatalf("results %+v: want 3 repeats each of A and B", results)
	}
	if !results[2].Failed() || results[2].Repeats != 1 {
		t.Fatalf("lossy: %+v, want a failure after its first run", results[2])
	}
}
