// Package natsserver runs a nats-server inside the process, for tests, demos
// and single-binary deployments. It is a package of its own so that a program
// that only connects to a NATS server (package natsbridge) does not link the
// server.
//
// By default the server has no network listener at all: clients connect
// through [Server.ConnectOption] (an in-process pipe). [Options.Port] adds a
// loopback listener for other processes; JetStream keeps its files in a
// temporary directory that [Server.Shutdown] removes.
package natsserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// ErrNotReady is returned when the server does not become ready in time.
var ErrNotReady = errors.New("natsserver: server not ready")

// Options configure an embedded server. The zero value is an in-process
// core NATS server without a listener.
type Options struct {
	// Port, if not zero, makes the server listen on Host:Port; -1 picks a
	// free port (see Server.ClientURL).
	Port int
	// Host is the listener's address; default 127.0.0.1 (loopback only).
	Host string
	// JetStream turns JetStream on, with its files in StoreDir.
	JetStream bool
	// StoreDir is where JetStream keeps its files; if empty, a new
	// temporary directory, removed by Shutdown.
	StoreDir string
	// Name is the server's name (required to be unique in a cluster;
	// default chosen by the server).
	Name string
	// Cluster, if not nil, joins a cluster of servers.
	Cluster *Cluster
	// ReadyTimeout bounds the wait for the server to accept connections
	// (default 10 s).
	ReadyTimeout time.Duration
}

// Cluster configures clustering: servers with the same Name that list each
// other's route URLs form a cluster (needed for JetStream replicas).
type Cluster struct {
	Name string
	// Port is the loopback port of this server's route listener; -1 picks
	// a free one.
	Port int
	// Routes are the route URLs of the other servers
	// (nats-route://127.0.0.1:PORT).
	Routes []string
}

// Server is a running embedded server. Its methods are safe for concurrent
// use; a restarted server (Restart) keeps its port, store directory and
// in-process connection option, so clients reconnect to it.
type Server struct {
	mu      sync.Mutex
	srv     *server.Server
	opts    Options
	port    int
	cport   int
	tempDir string
}

// Start starts a server and waits until it accepts connections.
func Start(opts Options) (*Server, error) {
	s := &Server{opts: opts}
	if opts.JetStream && opts.StoreDir == "" {
		dir, err := os.MkdirTemp("", "natsserver-js-")
		if err != nil {
			return nil, fmt.Errorf("natsserver: store directory: %w", err)
		}
		s.tempDir = dir
		s.opts.StoreDir = dir
	}
	if err := s.start(); err != nil {
		s.removeTemp()
		return nil, err
	}
	return s, nil
}

func (s *Server) start() error {
	o := &server.Options{
		ServerName: s.opts.Name,
		Host:       s.opts.Host,
		NoLog:      true,
		NoSigs:     true,
		JetStream:  s.opts.JetStream,
		StoreDir:   s.opts.StoreDir,
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	s.mu.Lock()
	port, cport := s.port, s.cport
	s.mu.Unlock()
	switch {
	case port != 0:
		o.Port = port // a restart keeps the port clients know
	case s.opts.Port == 0:
		o.DontListen = true
	case s.opts.Port < 0:
		o.Port = server.RANDOM_PORT
	default:
		o.Port = s.opts.Port
	}
	if c := s.opts.Cluster; c != nil {
		o.Cluster.Name = c.Name
		o.Cluster.Host = o.Host
		o.Cluster.Port = c.Port
		if cport != 0 {
			o.Cluster.Port = cport
		} else if c.Port < 0 {
			o.Cluster.Port = server.RANDOM_PORT
		}
		for _, r := range c.Routes {
			u := server.RoutesFromStr(r)
			if len(u) == 0 {
				return fmt.Errorf("natsserver: route %q: not a route URL", r)
			}
			o.Routes = append(o.Routes, u...)
		}
	}
	srv, err := server.NewServer(o)
	if err != nil {
		return fmt.Errorf("natsserver: %w", err)
	}
	srv.Start()
	wait := s.opts.ReadyTimeout
	if wait <= 0 {
		wait = 10 * time.Second
	}
	if !srv.ReadyForConnections(wait) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return fmt.Errorf("%w after %v", ErrNotReady, wait)
	}
	s.mu.Lock()
	if a, ok := srv.Addr().(*net.TCPAddr); ok && !o.DontListen {
		s.port = a.Port
	}
	if a := srv.ClusterAddr(); a != nil {
		s.cport = a.Port
	}
	s.srv = srv
	s.mu.Unlock()
	return nil
}

// ClientURL returns the URL of the loopback listener (nats://127.0.0.1:PORT),
// or "" for a server without one.
func (s *Server) ClientURL() string {
	s.mu.Lock()
	port := s.port
	s.mu.Unlock()
	if port == 0 {
		return ""
	}
	host := s.opts.Host
	if host == "" {
		host = "127.0.0.1"
	}
	return fmt.Sprintf("nats://%s", net.JoinHostPort(host, fmt.Sprint(port)))
}

// RouteURL returns this server's cluster route URL, or "" if it is not
// clustered.
func (s *Server) RouteURL() string {
	s.mu.Lock()
	cport := s.cport
	s.mu.Unlock()
	if cport == 0 {
		return ""
	}
	return fmt.Sprintf("nats-route://127.0.0.1:%d", cport)
}

// StoreDir returns the JetStream store directory ("" without JetStream).
func (s *Server) StoreDir() string { return s.opts.StoreDir }

// InProcessConn opens an in-process connection to the server now running;
// it makes Server a nats.InProcessConnProvider that survives Restart.
func (s *Server) InProcessConn() (net.Conn, error) {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil, fmt.Errorf("natsserver: server is down")
	}
	return srv.InProcessConn()
}

// ConnectOption is the nats.Option that connects a client through an
// in-process pipe (no network). Use it with any URL, for example
// nats.DefaultURL; reconnects reach the server after a Restart.
func (s *Server) ConnectOption() nats.Option { return nats.InProcessServer(s) }

// Stop shuts the server down and waits for it, keeping its store directory
// (for Restart). Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// Restart starts a stopped server again on the same port, route port and
// store directory.
func (s *Server) Restart() error {
	s.mu.Lock()
	running := s.srv != nil
	s.mu.Unlock()
	if running {
		return fmt.Errorf("natsserver: restart: server is running")
	}
	return s.start()
}

// Running reports whether the server is up.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv != nil
}

// Shutdown stops the server and removes the temporary store directory
// Start created.
func (s *Server) Shutdown() {
	s.Stop()
	s.removeTemp()
}

func (s *Server) removeTemp() {
	if s.tempDir != "" {
		os.RemoveAll(s.tempDir)
		s.tempDir = ""
	}
}
