//go:build linux

package natsbridge

import (
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// seqWriter stores the checkpoint's sequence in the file.
type seqWriter interface {
	store(seq uint64)
	close() error
}

// mmapSeq stores the sequence through a shared mapping of the file's
// first page: one atomic 8-byte store to memory a message, no system
// call. The page is the file's page in the page cache, so the value
// survives the process (a SIGKILL), and the store being one aligned
// 8-byte write, what survives is the old value or the new one. A machine
// crash may lose the values stored since the last sync (checkpoint.sync).
type mmapSeq struct {
	mem []byte
	p   *uint64
}

func newSeqWriter(f *os.File) (seqWriter, error) {
	mem, err := syscall.Mmap(int(f.Fd()), 0, ckptHeadLen, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &mmapSeq{mem: mem, p: (*uint64)(unsafe.Pointer(&mem[ckptSeqOff]))}, nil
}

func (m *mmapSeq) store(seq uint64) { atomic.StoreUint64(m.p, le64(seq)) }

func (m *mmapSeq) close() error {
	m.p = nil
	return syscall.Munmap(m.mem)
}

// lockFile takes an exclusive advisory lock of f, without waiting: held
// until f is closed, or the process ends (killed or not).
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}
