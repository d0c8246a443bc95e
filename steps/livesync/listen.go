package livesync

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// subscribe opens the events connection and waits until the server has
// confirmed both subscriptions: from then on every change is notified.
func (s *Sync) subscribe() (*redis.PubSub, error) {
	ctx, cancel := s.call()
	defer cancel()
	ps := s.events.PSubscribe(ctx, Pattern)
	if err := ps.Subscribe(ctx, s.o.MarkerKey); err != nil {
		ps.Close()
		return nil, fmt.Errorf("SUBSCRIBE %s on the source: %w", s.o.MarkerKey, err)
	}
	for confirmed := 0; confirmed < 2; {
		msg, err := ps.ReceiveTimeout(ctx, s.o.Timeout)
		if err != nil {
			ps.Close()
			return nil, fmt.Errorf("PSUBSCRIBE %s on the source: %w", Pattern, err)
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			confirmed++
		case *redis.Message:
			s.onMessage(m)
		}
	}
	s.mu.Lock()
	s.ps = ps
	s.mu.Unlock()
	return ps, nil
}

// listen reads the events connection until the sync stops. A lost
// connection, or one that stays silent and does not answer a PING, is an
// incident: events may have been missed, so it resubscribes and rescans.
func (s *Sync) listen(ps *redis.PubSub) {
	defer func() { ps.Close() }()
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(s.ctx, s.o.Silence)
		if s.ctx.Err() != nil {
			return
		}
		var ne net.Error
		switch {
		case err != nil && errors.As(err, &ne) && ne.Timeout() && !pinged:
			// Quiet: the marker is late (a paused source) or the link is
			// dead. A PING tells which.
			if err := ps.Ping(s.ctx, "alive"); err == nil {
				pinged = true
				continue
			}
			fallthrough
		case err != nil:
			reason := fmt.Sprintf("the pub/sub connection failed: %v", err)
			if pinged {
				reason = fmt.Sprintf("the pub/sub connection did not answer a PING within %s", s.o.Silence)
			}
			ps.Close()
			if ps = s.resubscribe(reason); ps == nil {
				return
			}
			pinged = false
			continue
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Message:
			s.onMessage(m)
		case *redis.Pong:
			s.onPong(m.Payload)
		}
	}
}

// resubscribe records the incident and subscribes again, retrying every
// second until it works or the sync stops; then a rescan catches up.
func (s *Sync) resubscribe(reason string) *redis.PubSub {
	s.mk.reset()
	s.mu.Lock()
	s.ps = nil
	s.mu.Unlock()
	s.record(reason)
	s.o.Log("live sync: events may have been lost (%s): the target may be inconsistent; resubscribing, then a catch-up rescan", reason)
	for {
		ps, err := s.subscribe()
		if err == nil {
			s.o.Log("live sync: subscribed to keyspace events again")
			s.askRescan(reason)
			return ps
		}
		s.o.Log("live sync: cannot subscribe again: %v; retrying", err)
		select {
		case <-s.ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// onMessage queues the notified key, and checks the marker: each marker
// write is a SET of the marker key followed by a PUBLISH of its sequence
// number in one MULTI, so the PUBLISH must come right after the key's
// notification and one number after the previous one.
func (s *Sync) onMessage(m *redis.Message) {
	if m.Channel == s.o.MarkerKey {
		seq, err := strconv.ParseInt(m.Payload, 10, 64)
		if err != nil {
			return
		}
		if problem := s.mk.arrived(seq); problem != "" {
			s.incident(problem)
		}
		return
	}
	k, ok := parseChannel(m.Channel)
	if !ok {
		return
	}
	if k.db == 0 && k.key == s.o.MarkerKey {
		s.mk.notified()
	}
	if !s.t.notify(k) {
		s.t.clear()
		s.incident(fmt.Sprintf("more than %d keys waited to be copied", s.o.MaxQueue))
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// fence returns once every event the source sent before now has been read
// from the events connection: a PING's PONG comes after them.
func (s *Sync) fence() error {
	s.mu.Lock()
	ps := s.ps
	s.fenceSeq++
	id := "fence-" + strconv.Itoa(s.fenceSeq)
	ch := make(chan struct{})
	s.fences[id] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.fences, id)
		s.mu.Unlock()
	}()
	if ps == nil {
		return errors.New("the events connection is being re-established")
	}
	ctx, cancel := s.call()
	defer cancel()
	if err := ps.Ping(ctx, id); err != nil {
		return fmt.Errorf("PING on the events connection: %w", err)
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("no PONG on the events connection within %s", s.o.Timeout)
	}
}

func (s *Sync) onPong(payload string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.fences[payload]; ok {
		close(ch)
		delete(s.fences, payload)
	}
}
