package seed

import "github.com/redis/go-redis/v9"

// kind is one family of keys: how many there are and how to write key i.
type kind struct {
	name  string
	count int
	// write queues the commands that create key i of this kind; values come
	// from g so a chunk always produces the same data.
	write func(p redis.Pipeliner, g *gen, i int)
}

// Share of each ordinary family in the keys left after the fixed ones.
var weights = []struct {
	name  string
	share float64
	write func(p redis.Pipeliner, g *gen, i int)
}{
	{"profile", 0.35, writeProfile}, // the remainder goes here too
	{"session", 0.20, writeSession},
	{"page", 0.10, writePage},
	{"cart", 0.10, writeCart},
	{"settings", 0.05, writeSettings},
	{"feed", 0.05, writeFeed},
	{"tags", 0.05, writeTags},
	{"scores", 0.05, writeScores},
	{"counter", 0.05, writeCounter},
}

// bigKeys are the few large keys written when n is large enough to hold
// them: a stream with consumer groups and four big keys.
var bigKeys = []string{StreamKey, BigStringKey, BigListKey, BigHashKey, BigZSetKey}

// ProfileCount returns how many user:N:profile strings Seed(n) writes; they
// are numbered 0..ProfileCount-1 (see ProfileKey).
func ProfileCount(n int) int { return plan(n)[0].count }

// plan splits n keys over the families. The counts add up to n exactly.
func plan(n int) []kind {
	n = max(n, 0)
	fixed := 0
	short := 0
	big := n >= minForBig
	if big {
		fixed = len(bigKeys)
		short = max(1, n/5000) // well under the parity tolerance of 0.1%
	}
	rest := n - fixed - short
	kinds := make([]kind, 0, len(weights)+2)
	used := 0
	for _, w := range weights {
		c := int(float64(rest) * w.share)
		kinds = append(kinds, kind{name: w.name, count: c, write: w.write})
		used += c
	}
	kinds[0].count += rest - used
	kinds = append(kinds, kind{name: "otp", count: short, write: writeOTP})
	return kinds
}

// minForBig is the smallest n that gets the stream and the big keys.
const minForBig = 100

// bigSize scales the big keys with n: 100k elements and 5 MB at the lab's
// default 200k keys, small enough at test sizes to stay fast.
func bigSize(n int) (elements, bytes int) {
	return min(max(n/2, 10), 100_000), min(max(n*25, 1<<10), 5<<20)
}
