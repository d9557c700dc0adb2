package natsbridge

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// ErrCheckpoint reports a JetStream.Checkpoint file that cannot be used:
// unreadable, not a checkpoint, damaged, or the checkpoint of another
// stream or filter. The error names the file and says what is wrong.
var ErrCheckpoint = errors.New("natsbridge: checkpoint")

// The checkpoint file, all integers little endian:
//
//	0   8 bytes  magic "EECKPT\x00\x01" (format 1)
//	8   8 bytes  stream sequence of the last message taken (0: none), with
//	             bit 63 set (ckptDirty) while a bridge delivers
//	16  8 bytes  creation time of the stream, Unix nanoseconds
//	24  4 bytes  n, the length of the identity
//	28  n bytes  identity: "stream NAME\nfilter F1\nfilter F2..." (the filters sorted)
//	28+n 4 bytes CRC-32 (IEEE) of bytes 16 to 28+n: the header, not the sequence
//
// The sequence is the only field written after creation, in place, 8
// bytes aligned on 8 in the file's first page: a process killed at any
// point leaves the old value or the new one, never a mix (see
// checkpoint.store).
const (
	ckptMagic   = "EECKPT\x00\x01"
	ckptSeqOff  = 8
	ckptHeadLen = 28
)

// ckptDirty is set in the stored sequence by every store and cleared by a
// Shutdown that closes the file: a file found with it set is one whose
// process died while delivering, so the message after its sequence may
// have reached handlers already (Delivery.Redelivered). Stream sequences
// never reach it. A file of a process that died before it stored
// anything keeps what it had.
const ckptDirty = uint64(1) << 63

// checkpoint is an open checkpoint file. Its value is written on the
// engine's loop once every handler of a message is done with it
// (Bridge.afterDelivery), and by the consumer's goroutine for
// messages it drops), always under the importer's mutex, so stores are
// ordered; closed stops them once the file is closed.
type checkpoint struct {
	path   string
	f      *os.File
	w      seqWriter // platform: a shared mapping, or pwrite
	seq    atomic.Uint64
	closed bool
	// dirty says the file was found with ckptDirty set, stored that this
	// bridge stored a sequence (then close may clear the flag).
	dirty, stored bool
}

// ckptIdentity is what a checkpoint file must match.
type ckptIdentity struct {
	stream  string
	filters []string // sorted
	created time.Time
}

func (id ckptIdentity) text() string {
	var sb strings.Builder
	sb.WriteString("stream " + id.stream)
	for _, f := range id.filters {
		sb.WriteString("\nfilter " + f)
	}
	return sb.String()
}

// openCheckpoint opens the checkpoint file at path, checking that it is
// one of id's stream and filters, or creates it holding seq if it does
// not exist. It locks the file (where the platform can) so that two
// bridges do not share it.
func openCheckpoint(path string, id ckptIdentity, seq uint64) (*checkpoint, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := createCheckpoint(path, id, seq); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("%w %s: %w", ErrCheckpoint, path, err)
	default:
		if seq, err = parseCheckpoint(path, data, id); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrCheckpoint, path, err)
	}
	c := &checkpoint{path: path, f: f}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w %s: in use by another bridge or process (%w): give every importing bridge its own file", ErrCheckpoint, path, err)
	}
	// Read the value again under the lock: the file may have changed
	// since it was read (another process held it meanwhile).
	var b [8]byte
	if _, err := f.ReadAt(b[:], ckptSeqOff); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w %s: %w", ErrCheckpoint, path, err)
	}
	seq = binary.LittleEndian.Uint64(b[:])
	c.dirty, seq = seq&ckptDirty != 0, seq&^ckptDirty
	if c.w, err = newSeqWriter(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w %s: %w", ErrCheckpoint, path, err)
	}
	c.seq.Store(seq)
	return c, nil
}

// createCheckpoint writes a new checkpoint file: to a temporary file,
// synced, then renamed, so that a crash leaves no half-written one.
func createCheckpoint(path string, id ckptIdentity, seq uint64) error {
	text := id.text()
	buf := make([]byte, ckptHeadLen, ckptHeadLen+len(text)+4)
	copy(buf, ckptMagic)
	binary.LittleEndian.PutUint64(buf[ckptSeqOff:], seq)
	binary.LittleEndian.PutUint64(buf[16:], uint64(id.created.UnixNano()))
	binary.LittleEndian.PutUint32(buf[24:], uint32(len(text)))
	buf = append(buf, text...)
	buf = binary.LittleEndian.AppendUint32(buf, crc32.ChecksumIEEE(buf[16:]))
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("%w %s: cannot create it: %w", ErrCheckpoint, path, err)
	}
	_, err = tmp.Write(buf)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("%w %s: cannot create it: %w", ErrCheckpoint, path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // the rename survives a machine crash (best effort)
		d.Close()
	}
	return nil
}

// parseCheckpoint checks the contents of the checkpoint file at path
// against id and returns its sequence.
func parseCheckpoint(path string, data []byte, id ckptIdentity) (uint64, error) {
	bad := func(format string, args ...any) (uint64, error) {
		return 0, fmt.Errorf("%w %s: "+format, append([]any{ErrCheckpoint, path}, args...)...)
	}
	if len(data) < ckptHeadLen+4 || !bytes.Equal(data[:8], []byte(ckptMagic)) {
		if len(data) >= 6 && bytes.Equal(data[:6], []byte(ckptMagic[:6])) {
			return bad("checkpoint format %d, this version reads format 1 (or the file is truncated: %d bytes)", data[7], len(data))
		}
		return bad("not a checkpoint file (%d bytes, no %q header): remove it, or give JetStream.Checkpoint another path", len(data), ckptMagic[:6])
	}
	n := int(binary.LittleEndian.Uint32(data[24:]))
	if len(data) != ckptHeadLen+n+4 {
		return bad("damaged: %d bytes, its header says %d", len(data), ckptHeadLen+n+4)
	}
	if crc := binary.LittleEndian.Uint32(data[ckptHeadLen+n:]); crc != crc32.ChecksumIEEE(data[16:ckptHeadLen+n]) {
		return bad("damaged: its header's checksum does not match")
	}
	if got, want := string(data[ckptHeadLen:ckptHeadLen+n]), id.text(); got != want {
		return bad("the checkpoint of another consumer:\n\t%s\nnot of this bridge's\n\t%s\ngive each stream and set of import patterns its own file, or remove it to start over",
			strings.ReplaceAll(got, "\n", "; "), strings.ReplaceAll(want, "\n", "; "))
	}
	created := int64(binary.LittleEndian.Uint64(data[16:]))
	if created != id.created.UnixNano() {
		return bad("stream %s was created again (at %s; the checkpoint is of the stream created at %s), so its sequences started over: remove the file to start over",
			id.stream, id.created.UTC().Format(time.RFC3339Nano), time.Unix(0, created).UTC().Format(time.RFC3339Nano))
	}
	return binary.LittleEndian.Uint64(data[ckptSeqOff:]) &^ ckptDirty, nil
}

// store records seq as the last message taken. The caller holds the
// importer's mutex.
func (c *checkpoint) store(seq uint64) {
	if c == nil || c.closed {
		return
	}
	c.seq.Store(seq)
	c.w.store(seq | ckptDirty)
	c.stored = true
}

// load returns the sequence last stored.
func (c *checkpoint) load() uint64 { return c.seq.Load() }

// sync writes the file's value to the disk. The caller holds the
// importer's mutex (or the checkpoint is not yet in use).
func (c *checkpoint) sync() error {
	if c == nil || c.closed {
		return nil
	}
	if err := c.f.Sync(); err != nil {
		return fmt.Errorf("%w %s: sync: %w", ErrCheckpoint, c.path, err)
	}
	return nil
}

// close marks the file clean if the bridge stored anything and clean is
// set (no imported message is on its way through the engine), syncs it
// and closes it. The caller holds the importer's mutex.
func (c *checkpoint) close(clean bool) error {
	if c == nil || c.closed {
		return nil
	}
	if c.stored && clean {
		c.w.store(c.seq.Load())
	}
	err := c.sync()
	c.closed = true
	if werr := c.w.close(); err == nil && werr != nil {
		err = fmt.Errorf("%w %s: %w", ErrCheckpoint, c.path, werr)
	}
	if cerr := c.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%w %s: %w", ErrCheckpoint, c.path, cerr)
	}
	return err
}

// le64 returns v as stored by a little-endian 64-bit store on this
// machine: the file is little endian on every platform.
func le64(v uint64) uint64 {
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
		return v
	}
	return bits.ReverseBytes64(v)
}

// pwriteSeq is the portable seqWriter: one 8-byte pwrite at the
// sequence's offset (a system call a message, against a store to memory
// for the mapping).
type pwriteSeq struct {
	f   io.WriterAt
	buf [8]byte
	err error // the first failed write, reported by close
}

func (p *pwriteSeq) store(seq uint64) {
	binary.LittleEndian.PutUint64(p.buf[:], seq)
	if _, err := p.f.WriteAt(p.buf[:], ckptSeqOff); err != nil && p.err == nil {
		p.err = err
	}
}

func (p *pwriteSeq) close() error { return p.err }
