package natsbridge

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/natsbridge/natsserver"
	"github.com/nats-io/nats.go"
)

// A process dies while a handler registered after Start (so after the
// bridge's hook) is in the middle of an imported message: the next
// process gets that message again (with Checkpoint: first, then the
// others in order), marked Delivery.Redelivered. The bridge acked the
// message, or stored it in the checkpoint, in its own hook, before such a
// handler ran, so the message was lost to that handler; now it does so
// once all the message's handlers are done (engine.AfterDelivery).
func TestAckAfterLateHandlers(t *testing.T) {
	for _, mode := range []string{"checkpoint", "durable"} {
		t.Run(mode, func(t *testing.T) {
			ctx := ctxFor(t)
			srv := startServer(t, natsserver.Options{JetStream: true})
			pat := mustParse(t, "Late.{x}")
			ea := startEngine(t)
			startBridge(t, ea, srv, WithExport(pat), WithJetStream(fastJS("")))
			const n, k = 10, 4 // the handler is in the middle of message k
			cfg := fastJS("late")
			if mode == "checkpoint" {
				cfg = ckptJS(filepath.Join(t.TempDir(), "ckpt"))
			}
			e1 := startEngine(t)
			b1 := startBridge(t, e1, srv, WithExport(), WithImport(pat), WithJetStream(cfg))
			blocked, block := signal()
			release := make(chan struct{})
			if _, err := e1.RegisterFunc(pat, func(m event.Message) {
				if id, _ := event.Arg[int64](m, 0); id == k {
					block()
					<-release
				}
			}); err != nil {
				t.Fatal(err)
			}
			putRange(t, ea, "Late.", 1, 0, n)
			waitFor(t, ctx, blocked, "the late handler in message k")

			// The process dies here: what it leaves is its checkpoint
			// file as it is now, and the acks it sent.
			if mode == "checkpoint" {
				if seq := ckptSeq(t, cfg.Checkpoint); seq != k {
					t.Errorf("checkpoint at stream sequence %d while a handler has message %d (sequence %d), want %d", seq, k, k+1, k)
				}
				data, err := os.ReadFile(cfg.Checkpoint)
				if err != nil {
					t.Fatal(err)
				}
				cfg.Checkpoint = filepath.Join(t.TempDir(), "copy")
				if err := os.WriteFile(cfg.Checkpoint, data, 0o600); err != nil {
					t.Fatal(err)
				}
			} else if err := b1.nc.Flush(); err != nil { // the acks sent so far reach the server
				t.Fatal(err)
			}
			b1.nc.Close()
			close(release)

			// The next process: which messages it gets, and which are
			// marked Redelivered.
			e2 := startEngine(t)
			b2, err := New(e2, nats.DefaultURL, quiet, WithNATSOptions(srv.ConnectOption()), WithExport(), WithImport(pat), WithJetStream(cfg))
			if err != nil {
				t.Fatal(err)
			}
			var ids, marked []int64 // written on the loop, read after all
			all := make(chan struct{})
			seen := map[int64]bool{}
			e2.RegisterFunc(pat, func(m event.Message) {
				id, _ := event.Arg[int64](m, 0)
				ids = append(ids, id)
				if d, ok := b2.Delivery(m); !ok || d.Redelivered {
					marked = append(marked, id)
				}
				seen[id] = true
				if len(seen) == n-k {
					close(all)
				}
			})
			if err := b2.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer b2.Shutdown(ctx)
			waitFor(t, ctx, all, "the messages from k on")
			var want []int64
			for id := int64(k); id < n; id++ {
				want = append(want, id)
			}
			if mode == "durable" {
				// Its order after a redelivery is the stream's (the durable
				// reorders); what it had given b1 comes again, marked (at
				// least k: the others may not have reached b1).
				slices.Sort(ids)
				if !slices.Equal(ids, want) || !slices.Contains(marked, k) {
					t.Errorf("got %v, marked Redelivered %v: want %v, %d marked", ids, marked, want, k)
				}
				return
			}
			if !slices.Equal(ids, want) || !slices.Equal(marked, []int64{k}) {
				t.Errorf("got %v, marked Redelivered %v: want %v, only %d marked", ids, marked, want, k)
			}
		})
	}
}
