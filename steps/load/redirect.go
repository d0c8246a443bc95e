package load

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cutover/cutover/rediscluster"
)

// maxHops bounds the redirects one key may follow.
const maxHops = 5

// redirect is a cluster's MOVED or ASK reply: the slot is served
// elsewhere, for good (MOVED) or for this command, during a migration (ASK).
type redirect struct {
	ask  bool
	slot int
	addr string
}

// parseRedirect reads "MOVED 3999 127.0.0.1:6381" or "ASK 3999 ...".
func parseRedirect(e replyError) (redirect, bool) {
	f := strings.Fields(string(e))
	if len(f) != 3 || (f[0] != "MOVED" && f[0] != "ASK") {
		return redirect{}, false
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 0 || n >= rediscluster.Count {
		return redirect{}, false
	}
	return redirect{ask: f[0] == "ASK", slot: n, addr: f[2]}, true
}

// hops are one checker's connections to the nodes redirects point at,
// used one key at a time: redirects are rare (a slot moving), so they need
// no pipeline of their own.
type hops struct {
	r     *run
	conns map[string]*conn
	buf   []byte
}

func (h *hops) close() {
	for _, c := range h.conns {
		c.close()
	}
}

func (h *hops) conn(addr string) (*conn, error) {
	if c := h.conns[addr]; c != nil {
		return c, nil
	}
	c, err := dialConn(h.r.ctx, h.r.to.opt(addr))
	if err == nil && !h.r.track(c) {
		err = h.r.ctx.Err()
	}
	if err != nil {
		return nil, &ioError{err, addr}
	}
	if h.conns == nil {
		h.conns = map[string]*conn{}
	}
	h.conns[addr] = c
	return c, nil
}

// follow sends a key's n commands (cmds) where to points, with ASKING
// before each for an ASK, following further redirects; a MOVED also
// updates the slot map so the readers send the slot's next keys there. It
// returns the first per-key refusal and the node that took the key.
func (h *hops) follow(cmds []byte, n int32, to redirect) (replyError, string, error) {
	for hop := 1; ; hop++ {
		if hop > maxHops {
			return "", "", &fatalError{fmt.Sprintf("slot %d redirected %d times (last to %s): the cluster's slot map keeps changing; re-run the load when the resharding is over", to.slot, maxHops, to.addr), to.addr}
		}
		if to.ask {
			h.r.asked.Add(1)
		} else {
			h.r.moved.Add(1)
			h.r.to.slots.moved(h.r.ctx, to.slot, to.addr, h.r.o.Logf)
		}
		if hop > 1 {
			// A slot changing hands can bounce a key between its two
			// nodes for a moment: give it a breath.
			if err := sleep(h.r.ctx, 50*time.Millisecond); err != nil {
				return "", "", err
			}
		}
		c, err := h.conn(to.addr)
		if err != nil {
			return "", "", err
		}
		out, replies := cmds, n
		if to.ask {
			h.buf = withAsking(h.buf[:0], cmds)
			out, replies = h.buf, 2*n
		}
		if err := c.write(out); err != nil {
			return "", "", &ioError{err, c.addr}
		}
		first, next, err := h.r.replies(c, replies)
		if err != nil || next == nil {
			return first, c.addr, err
		}
		to = *next
	}
}

// withAsking puts ASKING before each command of cmds, which are whole
// RESP arrays of bulk strings as this package encodes them.
func withAsking(b, cmds []byte) []byte {
	for len(cmds) > 0 {
		n := commandLen(cmds)
		b = append(b, "*1\r\n$6\r\nASKING\r\n"...)
		b = append(b, cmds[:n]...)
		cmds = cmds[n:]
	}
	return b
}

// commandLen is the length of the first command of b: "*N\r\n" then N
// bulk strings "$L\r\n<L bytes>\r\n".
func commandLen(b []byte) int {
	line := func(i int) (int, int) { // the number after b[i]'s type byte, and where the next line starts
		j := i + 1
		for b[j] != '\r' {
			j++
		}
		v, _ := strconv.Atoi(string(b[i+1 : j]))
		return v, j + 2
	}
	n, i := line(0)
	for range n {
		l, next := line(i)
		i = next + l + 2
	}
	return i
}
