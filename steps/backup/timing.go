package backup

import "time"

// Timing bounds the waits of the backup test; zero fields take the defaults.
type Timing struct {
	Save time.Duration // BGSAVE until LASTSAVE moves (default 10m)
	Load time.Duration // the scratch server loading the file (default 5m)
}

func (t Timing) save() time.Duration { return orDefault(t.Save, 10*time.Minute) }
func (t Timing) load() time.Duration { return orDefault(t.Load, 5*time.Minute) }

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
