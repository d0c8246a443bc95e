//go:build !linux

package backup

import "syscall"

// childAttr puts the scratch server in its own process group; without
// Linux's parent-death signal, stop is what ends it.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
