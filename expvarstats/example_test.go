package expvarstats_test

import (
	"encoding/json"
	"expvar"
	"fmt"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/expvarstats"
	"github.com/eventengine/eventengine/topic"
)

// Publish an engine's statistics; /debug/vars then shows them under
// "eventengine" (serve it with http.ListenAndServe(addr, nil) after
// importing expvar, or mount expvar.Handler()).
func Example() {
	e := engine.MustNew(engine.WithCapacity(16))
	if err := expvarstats.Publish("eventengine", e); err != nil {
		fmt.Println(err)
		return
	}
	e.Put(topic.MustParse("Market.Data.AAPL"), 187.5)

	var v map[string]any
	json.Unmarshal([]byte(expvar.Get("eventengine").String()), &v)
	fmt.Println(v["messages_accepted_total"], v["queue_depth"], v["queue_capacity"])
	fmt.Println(expvarstats.Publish("eventengine", e))
	// Output:
	// 1 1 16
	// expvarstats: publishing "eventengine": expvar variable already published
}

// Add a bridge's statistics to the engine's variable, under "bridges".
func ExampleWithBridge() {
	e := engine.MustNew(engine.WithCapacity(16))
	v := expvarstats.Func(e, expvarstats.WithBridge("feed", func() any {
		return map[string]uint64{"sent_total": 42} // a bridge's counters, read now
	}))
	var got struct {
		Bridges map[string]map[string]uint64 `json:"bridges"`
	}
	json.Unmarshal([]byte(v.String()), &got)
	fmt.Println(got.Bridges["feed"]["sent_total"])
	// Output:
	// 42
}
