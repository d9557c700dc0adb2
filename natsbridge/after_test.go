package natsbridge

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/natsbridge/natsserver"
)

// A process dies while a handler registered after Start (so after the
// bridge's hook) is in the middle of an imported message: the next
// process gets that message again, first. The bridge acked the message,
// or stored it in the checkpoint, in its own hook, before such a handler
// ran, so the message was lost to that handler; now it does so once all
// the message's handlers are done (engine.AfterDelivery).
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

			got := newInOrder(n)
			got.next = k
			e2 := startEngine(t)
			e2.RegisterHandler(pat, got)
			startBridge(t, e2, srv, WithExport(), WithImport(pat), WithJetStream(cfg))
			waitFor(t, ctx, got.full, "the messages from k on")
			got.check(t)
		})
	}
}
