package engine

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
)

// Recorder batches execution records into the store so that no call waits
// on a database round trip. Records not yet written are readable through
// Pending, so a client can read its execution right after the call.
type Recorder struct {
	store    core.ExecutionStore
	log      *zap.Logger
	maxBatch int
	interval time.Duration

	mu      sync.Mutex
	pending map[string]core.Execution // by id, not yet written
	order   []string                  // ids in arrival order
	bytes   int                       // waitingBytes of pending
	wake    chan struct{}
	done    chan struct{}
	stopped bool
	written chan struct{} // closed (and replaced) after each successful write
}

// maxBatchBytes bounds a batch by what its records carry, so that a batch
// of records with large inputs, outputs or logs stays small in memory
// however many records maxBatch allows.
const maxBatchBytes = 16 << 20

// recordBytes estimates what e holds in memory and takes to write.
func recordBytes(e *core.Execution) int {
	n := 512 + len(e.Input) + len(e.Output) + len(e.Logs)
	if e.Error != nil {
		n += len(e.Error.Message)
		for _, l := range e.Error.Stack {
			n += len(l)
		}
	}
	return n
}

// waitingBytes is what e adds to the bytes that wake the writer: running
// records are held (runningHold) and replaced, and their memory is bounded
// by the calls running, so only the others count.
func waitingBytes(e *core.Execution) int {
	if e.Status == core.ExecRunning {
		return 0
	}
	return recordBytes(e)
}

// NewRecorder returns a recorder writing batches of at most maxBatch
// records and maxBatchBytes, at least every interval while records wait.
func NewRecorder(store core.ExecutionStore, log *zap.Logger, maxBatch int, interval time.Duration) *Recorder {
	return &Recorder{
		store: store, log: log, maxBatch: maxBatch, interval: interval,
		pending: map[string]core.Execution{}, wake: make(chan struct{}, 1), done: make(chan struct{}),
		written: make(chan struct{}),
	}
}

// ErrRecorderClosed is returned by Add after Close; the record was not kept.
var ErrRecorderClosed = errors.New("engine: recorder closed")

// Add queues a record; a later Add with the same id replaces it, unless
// the pending record supersedes it (core.Execution.Supersedes).
func (r *Recorder) Add(e core.Execution) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return ErrRecorderClosed
	}
	if cur, ok := r.pending[e.ID]; !ok {
		r.order = append(r.order, e.ID)
	} else if !e.Supersedes(&cur) {
		return nil
	} else {
		r.bytes -= waitingBytes(&cur)
	}
	r.pending[e.ID] = e
	r.bytes += waitingBytes(&e)
	if len(r.order) >= r.maxBatch || r.bytes >= maxBatchBytes {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// Pending returns a record queued but not yet written.
func (r *Recorder) Pending(id string) (core.Execution, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.pending[id]
	return e, ok
}

// AwaitWritten waits until no record with id is pending: the latest one
// added has been written to the store (or none was ever added). It returns
// ctx's error if ctx ends first.
func (r *Recorder) AwaitWritten(ctx context.Context, id string) error {
	for {
		r.mu.Lock()
		_, pending := r.pending[id]
		written := r.written
		r.mu.Unlock()
		if !pending {
			return nil
		}
		select {
		case <-written:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// PendingOf returns the records of a function not yet written, newest
// first, so a list can show calls that just finished.
func (r *Recorder) PendingOf(ownerID, functionID string) []core.Execution {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []core.Execution
	for i := len(r.order) - 1; i >= 0; i-- {
		if e, ok := r.pending[r.order[i]]; ok && e.OwnerID == ownerID && e.FunctionID == functionID {
			out = append(out, e)
		}
	}
	return out
}

// Run writes batches until ctx ends, then writes what is left (with a
// context detached from ctx, bounded by a timeout) and returns. Records
// added afterwards are refused.
func (r *Recorder) Run(ctx context.Context) {
	defer close(r.done)
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			r.mu.Lock()
			r.stopped = true
			r.mu.Unlock()
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			for r.flush(final) {
			}
			return
		case <-tick.C:
		case <-r.wake:
		}
		// A write in progress finishes even if ctx ends meanwhile: an
		// aborted transaction would only be written again by the final
		// flush.
		write, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		for r.flush(write) {
		}
		cancel()
	}
}

// Done is closed when Run has returned, after its final flush.
func (r *Recorder) Done() <-chan struct{} { return r.done }

// runningHold is how long the record of a running call waits before it is
// written. Most calls end sooner, and their final record then replaces it
// unwritten: writing it would cost a row that the final record rewrites
// (6 % of the rows under load). This server's readers see it meanwhile
// (Pending); other servers see a long call as running after this.
const runningHold = time.Second

// flush writes one batch and reports whether more records wait to be
// written now. On a store error the batch stays pending for the next tick.
// The records of calls running for less than runningHold stay pending,
// unless the recorder is stopping.
func (r *Recorder) flush(ctx context.Context) bool {
	r.mu.Lock()
	taken := len(r.order)
	held := make([]string, 0, 16)
	ids := make([]string, 0, min(taken, r.maxBatch))
	now := time.Now()
	full, size := false, 0
	for i, id := range r.order {
		e := r.pending[id]
		if !r.stopped && e.Status == core.ExecRunning && now.Sub(e.StartedAt) < runningHold {
			held = append(held, id)
			continue
		}
		n := recordBytes(&e)
		if len(ids) == r.maxBatch || (len(ids) > 0 && size+n > maxBatchBytes) {
			taken, full = i, true
			break
		}
		ids = append(ids, id)
		size += n
	}
	if len(ids) == 0 {
		r.mu.Unlock()
		return false
	}
	batch := make([]core.Execution, len(ids))
	for i, id := range ids {
		batch[i] = r.pending[id]
	}
	r.mu.Unlock()

	if err := r.store.SaveExecutions(ctx, batch); err != nil {
		r.log.Error("write execution records; will retry", zap.Int("records", len(batch)), zap.Error(err))
		return false
	}
	r.mu.Lock()
	// Held records keep their place, ahead of the records added meanwhile.
	order := append(held, r.order[taken:]...)
	for i, id := range ids {
		// A record replaced while it was being written stays pending.
		if cur, ok := r.pending[id]; ok && cur.Status == batch[i].Status && cur.FinishedAt.Equal(batch[i].FinishedAt) {
			delete(r.pending, id)
			r.bytes -= waitingBytes(&cur)
		} else if ok {
			order = append(order, id)
		}
	}
	r.order = order
	more := full
	close(r.written)
	r.written = make(chan struct{})
	r.mu.Unlock()
	return more
}
