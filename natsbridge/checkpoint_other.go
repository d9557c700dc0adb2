//go:build !linux

package natsbridge

import "os"

// seqWriter stores the checkpoint's sequence in the file.
type seqWriter interface {
	store(seq uint64)
	close() error
}

// newSeqWriter returns the portable writer: an 8-byte pwrite a message
// (the Linux build maps the file instead: checkpoint_linux.go). The write
// goes to the page cache, which survives the process; a machine crash may
// lose what was written since the last sync.
func newSeqWriter(f *os.File) (seqWriter, error) { return &pwriteSeq{f: f}, nil }

// lockFile does nothing here: two bridges must not share a checkpoint
// file, and nothing but the documentation says so on this platform.
func lockFile(*os.File) error { return nil }
