// Package dnsserver is the lab's loopback DNS server: it answers A and CNAME
// queries from a zone.Store, over UDP and TCP on one address.
package dnsserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/cutover/cutover/lab/zone"
)

// Server serves one store on one loopback host:port, UDP and TCP.
type Server struct {
	addr      string
	servers   []*dns.Server // UDP, TCP
	closeOnce sync.Once
	closeErr  error
}

// Start listens on addr (a loopback IP and a port; port 0 picks a port that
// is free for both UDP and TCP) and serves store until Close.
func Start(addr string, store *zone.Store) (*Server, error) {
	if store == nil {
		return nil, errors.New("dnsserver: nil zone store: pass zone.NewStore() with the lab's zones")
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsLoopback() {
		return nil, fmt.Errorf("dnsserver: address %q is not a loopback IP:port: use one such as 127.0.0.53:0", addr)
	}
	pc, l, err := listen(ap)
	if err != nil {
		return nil, err
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) { reply(store, w, req) })
	s := &Server{
		addr: pc.LocalAddr().String(),
		servers: []*dns.Server{
			{PacketConn: pc, Handler: h},
			{Listener: l, Handler: h},
		},
	}
	if err := s.serve(); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// listen opens UDP and TCP on the same port; with port 0 it retries when the
// port picked for UDP is taken for TCP.
func listen(ap netip.AddrPort) (net.PacketConn, net.Listener, error) {
	for range 20 {
		pc, err := net.ListenPacket("udp", ap.String())
		if err != nil {
			return nil, nil, fmt.Errorf("dnsserver: listen udp %s: %w", ap, err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l, nil
		}
		_ = pc.Close()
		if ap.Port() != 0 || !errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, fmt.Errorf("dnsserver: listen tcp %s: %w", ap, err)
		}
	}
	return nil, nil, fmt.Errorf("dnsserver: no port on %s is free for both UDP and TCP", ap.Addr())
}

// serve starts both servers and waits until they accept queries.
func (s *Server) serve() error {
	started := make(chan struct{}, len(s.servers))
	failed := make(chan error, len(s.servers))
	for _, srv := range s.servers {
		srv.NotifyStartedFunc = func() { started <- struct{}{} }
		go func() {
			if err := srv.ActivateAndServe(); err != nil {
				failed <- err
			}
		}()
	}
	timeout := time.After(5 * time.Second)
	for range s.servers {
		select {
		case <-started:
		case err := <-failed:
			return fmt.Errorf("dnsserver: serve %s: %w", s.addr, err)
		case <-timeout:
			return fmt.Errorf("dnsserver: %s did not start within 5s", s.addr)
		}
	}
	return nil
}

// Addr returns the host:port the server answers on.
func (s *Server) Addr() string { return s.addr }

// Close stops both listeners. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		for _, srv := range s.servers {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			// The error of a server that never started is expected and
			// ignored; its sockets are closed below either way.
			if err := srv.ShutdownContext(ctx); errors.Is(err, context.DeadlineExceeded) {
				errs = append(errs, fmt.Errorf("dnsserver: stop %s: %w", s.addr, err))
			}
			cancel()
			if srv.PacketConn != nil {
				_ = srv.PacketConn.Close()
			}
			if srv.Listener != nil {
				_ = srv.Listener.Close()
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// reply answers one query, truncating UDP answers to the client's buffer.
func reply(store *zone.Store, w dns.ResponseWriter, req *dns.Msg) {
	m := answer(store, req)
	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		m.SetEdns0(1232, false)
		size = max(int(opt.UDPSize()), dns.MinMsgSize)
	}
	if _, isTCP := w.RemoteAddr().(*net.TCPAddr); isTCP {
		size = dns.MaxMsgSize
	}
	m.Truncate(size)
	_ = w.WriteMsg(m)
}
