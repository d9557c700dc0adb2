//go:build !amd64

package engine

import "github.com/eventengine/eventengine/internal/goid"

// self returns an identity of the calling goroutine that no other live
// goroutine has: its id (about a microsecond; amd64 reads the runtime's
// descriptor instead, see self_amd64.go).
func self() uintptr { return uintptr(goid.Get()) }
