package seed

import (
	"math/rand/v2"
	"strconv"
)

// gen makes realistic-looking values from a deterministic source.
type gen struct {
	r   *rand.Rand
	buf []byte
}

func newGen(seed1, seed2 uint64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed1, seed2)), buf: make([]byte, 0, 1024)}
}

var (
	firstNames = []string{"ada", "alan", "grace", "linus", "ken", "dennis", "barbara", "margaret", "edsger", "donald", "frances", "john"}
	cities     = []string{"Berlin", "Lisbon", "Osaka", "Austin", "Nairobi", "Lima", "Oslo", "Pune", "Seoul", "Lyon"}
	statuses   = []string{"created", "paid", "shipped", "delivered", "refunded"}
	words      = []string{"alpha", "bravo", "delta", "echo", "kilo", "lima", "nova", "oscar", "papa", "sierra", "tango", "zulu"}
	hexDigits  = "0123456789abcdef"
)

func (g *gen) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g *gen) between(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

// hex returns n random hex digits.
func (g *gen) hex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = hexDigits[g.r.IntN(16)]
	}
	return string(b)
}

// profileJSON is a ~150 byte JSON document.
func (g *gen) profileJSON(id int) string {
	b := g.buf[:0]
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(id), 10)
	b = append(b, `,"name":"`...)
	b = append(b, g.pick(firstNames)...)
	b = append(b, `","city":"`...)
	b = append(b, g.pick(cities)...)
	b = append(b, `","plan":"`...)
	b = append(b, g.pick([]string{"free", "pro", "team"})...)
	b = append(b, `","created":`...)
	b = strconv.AppendInt(b, 1_600_000_000+int64(g.r.IntN(100_000_000)), 10)
	b = append(b, `,"avatar":"https://cdn.example.com/a/`...)
	b = append(b, g.hex(16)...)
	b = append(b, `.png"}`...)
	g.buf = b
	return string(b)
}

// text returns about n bytes of words.
func (g *gen) text(n int) string {
	b := g.buf[:0]
	for len(b) < n {
		b = append(b, g.pick(words)...)
		b = append(b, ' ')
	}
	g.buf = b
	return string(b[:n])
}
