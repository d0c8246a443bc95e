package ui

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
)

// work is everything the console runs off the Update loop: commands
// (polls, plans, verifies, hooks, timers) and step runs. All of it gets
// one context, derived from the program's; close cancels it and waits,
// so nothing the console started outlives it.
type work struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func newWork(parent context.Context) *work {
	ctx, cancel := context.WithCancel(parent)
	return &work{ctx: ctx, cancel: cancel}
}

// enter counts a goroutine in; false once closed.
func (w *work) enter() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return false
	}
	w.wg.Add(1)
	return true
}

// cmd is f as a command with the console's context; after close it does
// nothing.
func (w *work) cmd(f func(ctx context.Context) tea.Msg) tea.Cmd {
	return func() tea.Msg {
		if !w.enter() {
			return nil
		}
		defer w.wg.Done()
		return f(w.ctx)
	}
}

// goroutine starts f in a goroutine close waits for.
func (w *work) goroutine(f func(ctx context.Context)) {
	if !w.enter() {
		return
	}
	go func() {
		defer w.wg.Done()
		f(w.ctx)
	}()
}

// after is tea.Tick ending with the console: msg after d, or nothing.
func (w *work) after(d time.Duration, msg tea.Msg) tea.Cmd {
	return w.cmd(func(ctx context.Context) tea.Msg {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return msg
		case <-ctx.Done():
			return nil
		}
	})
}

// close cancels the context and waits for every goroutine counted in.
func (w *work) close() {
	w.cancel()
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.wg.Wait()
}
