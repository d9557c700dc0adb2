// Package goid reports the id of the calling goroutine. It is slow (it parses
// the first line of runtime.Stack, about a microsecond) and meant for rare
// slow paths only, such as telling whether a blocking call is made from the
// goroutine it would wait for.
package goid

import "runtime"

// Get returns the id of the calling goroutine, or 0 if it cannot be read.
func Get() uint64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	b := buf[:n]
	const prefix = "goroutine "
	if len(b) < len(prefix) || string(b[:len(prefix)]) != prefix {
		return 0
	}
	var id uint64
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
