package backup

import "syscall"

// childAttr ties the scratch server to this process: if cutover dies, the
// kernel kills it, so no copy of the data is left running.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
