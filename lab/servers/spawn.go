package servers

import (
	"os/exec"
	"runtime"
	"sync"
)

// Pdeathsig is delivered when the *thread* that forked the child exits, not
// the process. The Go runtime may retire threads, so every child is started
// from one goroutine locked to its OS thread for the life of the process.

type spawnRequest struct {
	cmd *exec.Cmd
	err chan error
}

var (
	spawnOnce sync.Once
	spawnCh   = make(chan spawnRequest)
)

func spawner() {
	runtime.LockOSThread() // never unlocked: the thread must outlive every child
	for r := range spawnCh {
		r.err <- r.cmd.Start()
	}
}

// startChild starts cmd from the locked spawner thread.
func startChild(cmd *exec.Cmd) error {
	spawnOnce.Do(func() { go spawner() })
	r := spawnRequest{cmd: cmd, err: make(chan error, 1)}
	spawnCh <- r
	return <-r.err
}
