package servers

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
)

// Block is a 127.A.B.0/24 loopback block. Linux routes all of 127.0.0.0/8 to
// lo, so a random block lets parallel labs and test packages use the same port
// numbers on distinct addresses without colliding.
type Block struct{ A, B uint8 }

// PickBlock returns a random block with A in 1..254 (never 127.0.x.x, where
// the usual services live).
func PickBlock() Block {
	return Block{A: uint8(1 + rand.IntN(254)), B: uint8(rand.IntN(256))}
}

// Host returns the address 127.A.B.i.
func (b Block) Host(i int) string {
	return fmt.Sprintf("127.%d.%d.%d", b.A, b.B, i)
}

// Prefix returns "127.A.B.", which every host of the block starts with.
func (b Block) Prefix() string {
	return fmt.Sprintf("127.%d.%d.", b.A, b.B)
}

func (b Block) String() string { return b.Prefix() + "0/24" }

// FreePort returns a TCP port that is free on every given host at the time of
// the call (the first host picks it, the others are checked), so servers on
// distinct hosts can share one port number.
func FreePort(hosts ...string) (int, error) {
	if len(hosts) == 0 {
		return 0, fmt.Errorf("free port: no host given")
	}
	var lastErr error
	for range 50 {
		port, err := listenPort(hosts[0], 0)
		if err != nil {
			return 0, fmt.Errorf("free port on %s: %w", hosts[0], err)
		}
		if lastErr = portFree(port, hosts[1:]...); lastErr == nil {
			return port, nil
		}
	}
	return 0, fmt.Errorf("no port free on all of %v: %w", hosts, lastErr)
}

// PortFree reports whether port can be bound on every host.
func PortFree(port int, hosts ...string) bool {
	return portFree(port, hosts...) == nil
}

func portFree(port int, hosts ...string) error {
	for _, h := range hosts {
		if _, err := listenPort(h, port); err != nil {
			return err
		}
	}
	return nil
}

func listenPort(host string, port int) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
