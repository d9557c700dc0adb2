package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/expvarstats"
	"github.com/eventengine/eventengine/prommetrics"
)

// metricsServer serves an engine's metrics over HTTP: Prometheus's
// exposition on /metrics and expvar's variables on /debug/vars.
type metricsServer struct {
	ln   net.Listener
	srv  *http.Server
	done chan struct{}
}

// serveMetrics listens on addr and serves e's metrics, and those of the
// NATS bridges bs, until Close.
func serveMetrics(addr string, e *engine.Engine, bs ...namedBridge) (*metricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	reg := prometheus.NewRegistry()
	opts := []prommetrics.Option{prommetrics.WithHooks(), prommetrics.WithHandlers()}
	for _, b := range bs {
		opts = append(opts, prommetrics.WithBridge(b.name, promStats(b.b)))
	}
	reg.MustRegister(
		prommetrics.NewCollector(e, opts...),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	vopts := []expvarstats.Option{expvarstats.WithHandlers()}
	for _, b := range bs {
		vopts = append(vopts, expvarstats.WithBridge(b.name, expvarStats(b.b)))
	}
	mux.Handle("/debug/vars", expvarstats.Handler("eventengine", e, vopts...))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "eventengine demo: /metrics (Prometheus), /debug/vars (expvar)")
	})
	m := &metricsServer{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.Logger().Error("metrics server", "err", err)
		}
	}()
	return m, nil
}

// Addr is the address the server listens on (with the port picked for
// port 0).
func (m *metricsServer) Addr() string { return m.ln.Addr().String() }

// Close stops the server, waiting a few seconds at most for scrapes under
// way.
func (m *metricsServer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if m.srv.Shutdown(ctx) != nil {
		m.srv.Close()
	}
	<-m.done
}
