package livesync

import (
	"sync"

	"github.com/redis/go-redis/v9"
)

// side is one end of the copy: a client per database, made on first use.
type side struct {
	dial Dialer
	pool int

	mu  sync.Mutex
	dbs map[int]*redis.Client
}

func newSide(d Dialer, pool int) *side {
	return &side{dial: d, pool: pool, dbs: map[int]*redis.Client{}}
}

func (sd *side) db(n int) *redis.Client {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	c, ok := sd.dbs[n]
	if !ok {
		c = sd.dial("livesync-copy", n, sd.pool)
		sd.dbs[n] = c
	}
	return c
}

func (sd *side) close() {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	for _, c := range sd.dbs {
		c.Close()
	}
	clear(sd.dbs)
}
