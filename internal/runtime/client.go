package runtime

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// ErrExited means the sandbox side closed the response stream: the runtime
// exited or was killed by something other than this client (OOM killer,
// process.exit). The driver decides the Reason from the exit status.
var ErrExited = errors.New("runtime exited")

// errDeadline is the abort cause when a request's Deadline passes.
var errDeadline = errors.New("invocation deadline passed")

// drainWait bounds how long a call waits for its output markers after the
// result arrived, or for the streams to close after the sandbox died. The
// markers are written before the result frame, so this only expires when
// user code closed or redirected its own stdout/stderr.
const drainWait = time.Second

// ClientConfig connects a Client to one sandbox.
type ClientConfig struct {
	// Requests is the host end of the sandbox's fd 3.
	Requests io.Writer
	// Responses is the host end of the sandbox's fd 4. Reads end when
	// Kill makes the sandbox side disappear.
	Responses io.Reader
	// Stdout and Stderr are the host ends of the sandbox's output pipes.
	Stdout, Stderr io.Reader
	// DirectOutput says that Stdout and Stderr are the read ends of the
	// very pipes the sandbox's fds 1 and 2 write to, as non-blocking
	// *os.File (nothing relays the output in between). A write the sandbox
	// finished before it answered is then in the pipe when the answer
	// arrives, so the client drains the pipes itself after each answer and
	// the bootstrap writes no drain markers (see doc.go).
	DirectOutput bool
	// Kill must terminate the whole sandbox so that Responses, Stdout and
	// Stderr reach EOF. The client calls it at most once, on a deadline,
	// a cancelled context, Abort, or a protocol violation.
	Kill func(cause error)
	// Logger receives protocol diagnostics.
	Logger *zap.Logger
}

// Client is the host side of the protocol for one sandbox. It reads the
// response stream synchronously in the calling goroutine and the output
// streams in two goroutines of its own, which end at EOF. Invoke may be
// called while earlier calls are still running (see Invoke); Ready, Load
// and Reseed may not.
type Client struct {
	cfg    ClientConfig
	resp   *bufio.Reader
	waiter *waitReader // under resp, when Responses is a non-blocking pipe
	mux    logMux
	direct [2]*directStream // with DirectOutput: stdout, stderr

	// wmu orders the requests written to the sandbox and guards the
	// fields below it. tail is the seq of the last one, and open says its
	// answer is still to be read: a request written then is pipelined
	// behind it.
	wmu    sync.Mutex
	seq    uint64
	wbuf   []byte
	tail   uint64
	open   bool
	ticket uint64 // the next Invoke's place in the order of answers

	// turnMu guards whose answer is read next (serving, by ticket) and
	// whether the sandbox broke before answering a call: the calls queued
	// behind it never started.
	turnMu  sync.Mutex
	turn    *sync.Cond
	serving uint64
	broken  bool

	abortMu    sync.Mutex
	abortCause error
}

// NewClient starts reading the sandbox's output streams.
func NewClient(cfg ClientConfig) *Client {
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	c := &Client{cfg: cfg, waiter: newWaitReader(cfg.Responses)}
	responses := cfg.Responses
	if c.waiter != nil {
		responses = c.waiter
	}
	c.resp = bufio.NewReaderSize(responses, 64<<10)
	c.turn = sync.NewCond(&c.turnMu)
	if cfg.DirectOutput {
		out, errOut := rawConn(cfg.Stdout), rawConn(cfg.Stderr)
		if out != nil && errOut != nil {
			c.direct = [2]*directStream{newDirectStream(out, streamOut, &c.mux), newDirectStream(errOut, streamErr, &c.mux)}
			c.mux.strict = true
			go c.direct[streamOut].run()
			go c.direct[streamErr].run()
			return c
		}
		cfg.Logger.Warn("sandbox output cannot be read directly; using drain markers")
		c.cfg.DirectOutput = false
	}
	go readStream(cfg.Stdout, streamOut, &c.mux)
	go readStream(cfg.Stderr, streamErr, &c.mux)
	return c
}

// rawConn returns r's descriptor, or nil if r is not an *os.File.
func rawConn(r io.Reader) syscall.RawConn {
	f, ok := r.(*os.File)
	if !ok {
		return nil
	}
	conn, err := f.SyscallConn()
	if err != nil {
		return nil
	}
	return conn
}

// Ready waits for the bootstrap's ready frame and returns the runtime
// version it reported. A Go init failure ('X' frame) or an early exit is
// returned as an error carrying the sandbox's message or stderr.
func (c *Client) Ready(ctx context.Context) (string, error) {
	stop := context.AfterFunc(ctx, func() { c.Abort(context.Cause(ctx)) })
	defer stop()
	typ, body, err := ReadFrame(c.resp)
	if err != nil {
		if cause := c.cause(); cause != nil {
			return "", fmt.Errorf("wait for runtime start: %w", cause)
		}
		c.waitDrained(0)
		return "", fmt.Errorf("wait for runtime start: %w: %w; output: %q", ErrExited, err, c.mux.pendingText())
	}
	switch typ {
	case FrameReady:
		var r readyMsg
		if err := json.Unmarshal(body, &r); err != nil {
			return "", c.protocolError(fmt.Errorf("decode ready frame: %w", err))
		}
		return r.Version, nil
	case FrameInitError:
		return "", fmt.Errorf("sandbox init: %s", body)
	default:
		return "", c.protocolError(fmt.Errorf("unexpected frame %q before ready", typ))
	}
}

// Load sends the function and waits for the bootstrap to import it. The
// function's own failures come back as *sandbox.LoadError.
func (c *Client) Load(ctx context.Context, req sandbox.LoadRequest) error {
	stop := context.AfterFunc(ctx, func() { c.Abort(context.Cause(ctx)) })
	defer stop()
	c.wmu.Lock()
	c.seq++
	seq := c.seq
	c.tail, c.open = seq, true
	c.wmu.Unlock()
	body, err := json.Marshal(loadMsg{
		Seq: seq, Handler: req.Handler, Env: req.Env,
		FunctionName: req.FunctionName, FunctionVersion: req.FunctionVersion, MemoryMB: req.MemoryMB,
		DirectOutput: c.cfg.DirectOutput,
	})
	if err != nil {
		return fmt.Errorf("encode load request: %w", err)
	}
	if err := WriteFrame(c.cfg.Requests, FrameLoad, body); err != nil {
		return c.brokenError("send load request", err)
	}
	typ, body, err := ReadFrame(c.resp)
	if err != nil {
		return c.brokenError("read load response", err)
	}
	c.settle(seq, false)
	switch typ {
	case FrameLoaded:
		return nil
	case FrameLoadFailed:
		var m errorMsg
		if err := json.Unmarshal(body, &m); err != nil {
			return c.protocolError(fmt.Errorf("decode load failure: %w", err))
		}
		return &sandbox.LoadError{Reason: sandbox.Reason(m.Reason), Err: m.functionError()}
	default:
		return c.protocolError(fmt.Errorf("unexpected frame %q in reply to load", typ))
	}
}

// seedBytes is the entropy Reseed sends.
const seedBytes = 32

// Reseed sends a runtime restored from a snapshot fresh entropy for the
// random state the snapshot fixed (Python's random module, if the
// function's init imported it). There is no reply: the bootstrap handles
// frames in order, so the next call already runs with the new seed.
func (c *Client) Reseed() error {
	seed := make([]byte, seedBytes)
	_, _ = rand.Read(seed) // never fails (crypto/rand)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := WriteFrame(c.cfg.Requests, FrameSeed, seed); err != nil {
		return c.brokenError("send seed", err)
	}
	return nil
}

// Invoke sends one invocation and returns its result once every line the
// function printed during it has been delivered to logs.
//
// Calls may be pipelined: an Invoke made while others on the same client
// are still running writes its request at once and waits its turn. The
// bootstrap runs calls one at a time in the order they were sent, so the
// sandbox goes from one to the next without waiting for the host. Each
// call's time limit (req.Deadline less the time Invoke was called) counts
// from its own start, when the answer before it has been read. A call whose
// predecessor never answered (the sandbox died or was killed during it)
// never started: it returns sandbox.ErrNotStarted and may run elsewhere.
//
// The client enforces the limit by calling Kill (StatusTimeout, Dead) and
// aborts on ctx cancellation (StatusKilled, ReasonAborted, error wrapping
// sandbox.ErrAborted); a call cancelled while queued is aborted at its
// turn. When the sandbox dies on its own it returns a Result with Dead set
// and an error wrapping ErrExited, for the driver to classify.
func (c *Client) Invoke(ctx context.Context, req sandbox.Request, logs sandbox.LogSink) (sandbox.Result, error) {
	if len(req.Event) > sandbox.MaxEventBytes {
		return sandbox.Result{}, fmt.Errorf("invoke: %w: %d bytes over %d", sandbox.ErrPayloadTooLarge, len(req.Event), sandbox.MaxEventBytes)
	}
	invocations.Add(1)
	defer invocations.Add(-1)
	budget := sandbox.DefaultTimeout
	if !req.Deadline.IsZero() {
		budget = time.Until(req.Deadline)
	}
	ticket, seq, began, werr, err := c.send(req, budget, logs)
	if err != nil {
		return sandbox.Result{}, fmt.Errorf("invoke: %w", err)
	}
	if !c.awaitTurn(ticket) {
		c.giveUpTurn(began)
		return sandbox.Result{Dead: true}, fmt.Errorf("invoke: %w", sandbox.ErrNotStarted)
	}
	if cause := c.cause(); cause != nil {
		// Killed as the call before it answered: it may have begun.
		c.giveUpTurn(began)
		res := sandbox.Result{Dead: true, Status: sandbox.StatusKilled, Reason: sandbox.ReasonAborted}
		return res, fmt.Errorf("invoke: %w: %w", sandbox.ErrAborted, cause)
	}

	if !began {
		c.mux.begin(logs, seq)
	}
	start := time.Now()
	req.Deadline = start.Add(budget)
	timer := time.AfterFunc(budget, func() { c.Abort(errDeadline) })
	stop := context.AfterFunc(ctx, func() { c.Abort(context.Cause(ctx)) })

	typ, body, err := c.receive(werr)
	res := sandbox.Result{Duration: time.Since(start)}
	// A deadline or cancellation that fired just as the answer arrived
	// has killed the sandbox: keep the answer, but the instance is gone.
	if fired := !timer.Stop(); !stop() || fired {
		res.Dead = true
	}
	if err == nil {
		res.LogsTruncated = c.settle(seq, true)
	} else {
		c.waitDrained(0) // the sandbox is gone: take everything it printed
		res.LogsTruncated = c.mux.end()
	}
	c.endTurn(err == nil)
	if err != nil {
		return c.brokenResult(res, req, err)
	}
	if typ == FrameResult || typ == FrameError {
		if len(body) < answerPrefix {
			return c.brokenResult(res, req, c.protocolError(fmt.Errorf("answer frame %q of %d bytes", typ, len(body))))
		}
		res.RunTime = time.Duration(binary.BigEndian.Uint32(body)) * time.Microsecond
		body = body[answerPrefix:]
	}
	switch typ {
	case FrameResult:
		if len(body) > sandbox.MaxResultBytes {
			res.Status, res.Reason = sandbox.StatusFailed, sandbox.ReasonResultTooLarge
			res.Error = &sandbox.FunctionError{Type: "Runtime.ResultTooLarge", Message: fmt.Sprintf("result of %d bytes exceeds %d", len(body), sandbox.MaxResultBytes)}
			return res, nil
		}
		res.Status, res.Payload = sandbox.StatusSucceeded, body
		return res, nil
	case FrameError:
		var m errorMsg
		if err := json.Unmarshal(body, &m); err != nil {
			return c.brokenResult(res, req, c.protocolError(fmt.Errorf("decode error result: %w", err)))
		}
		res.Status, res.Reason, res.Error = sandbox.StatusFailed, sandbox.Reason(m.Reason), m.functionError()
		return res, nil
	default:
		return c.brokenResult(res, req, c.protocolError(fmt.Errorf("unexpected frame %q in reply to invoke", typ)))
	}
}

// send writes req's frame and returns the call's ticket and seq; werr is
// the write's failure, reported at the call's turn like a read's. A call
// with none ahead of it begins its output (began) before the frame is
// written: all it prints is its own, however much comes before its caller
// gets back. A pipelined call begins at its turn.
func (c *Client) send(req sandbox.Request, budget time.Duration, logs sandbox.LogSink) (ticket, seq uint64, began bool, werr, err error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.seq++
	meta := invokeMeta{Seq: c.seq, ID: req.ID, TimeoutMS: max(budget.Milliseconds(), 1)}
	if c.open {
		meta.After = c.tail
		c.mux.expectMark(meta.After)
	}
	frame, err := appendInvoke(c.wbuf[:0], meta, req.Event)
	if err != nil {
		return 0, 0, false, nil, err
	}
	if cap(frame) <= 1<<20 {
		c.wbuf = frame // keep small buffers for the next call
	}
	c.turnMu.Lock()
	began = c.serving == c.ticket
	c.turnMu.Unlock()
	if began {
		c.mux.begin(logs, c.seq)
	}
	if _, err := c.cfg.Requests.Write(frame); err != nil {
		werr = fmt.Errorf("send invoke request: %w", err)
	}
	c.tail, c.open = c.seq, true
	ticket = c.ticket
	c.ticket++
	return ticket, c.seq, began, werr, nil
}

// awaitTurn waits until the calls ahead of ticket are done, and reports
// whether each of them was answered.
func (c *Client) awaitTurn(ticket uint64) bool {
	c.turnMu.Lock()
	defer c.turnMu.Unlock()
	for c.serving != ticket {
		c.turn.Wait()
	}
	return !c.broken
}

// giveUpTurn passes on the turn of a call that did not run; the sandbox
// broke before it.
func (c *Client) giveUpTurn(began bool) {
	if began {
		c.mux.end()
	}
	c.endTurn(false)
}

// endTurn passes the turn on; answered false means the sandbox broke.
func (c *Client) endTurn(answered bool) {
	c.turnMu.Lock()
	c.serving++
	c.broken = c.broken || !answered
	c.turnMu.Unlock()
	c.turn.Broadcast()
}

func (c *Client) receive(werr error) (byte, []byte, error) {
	if werr != nil {
		return 0, nil, werr
	}
	if c.waiter != nil {
		c.waiter.answer = true
		defer func() { c.waiter.answer = false }()
	}
	typ, body, err := ReadFrame(c.resp)
	if err != nil {
		return 0, nil, fmt.Errorf("read invoke response: %w", err)
	}
	return typ, body, nil
}

// brokenResult classifies a call whose response never came.
func (c *Client) brokenResult(res sandbox.Result, req sandbox.Request, err error) (sandbox.Result, error) {
	res.Dead = true
	cause := c.cause()
	switch {
	case errors.Is(cause, errDeadline) || (cause != nil && errors.Is(cause, context.DeadlineExceeded) && !time.Now().Before(req.Deadline)):
		res.Status, res.Reason = sandbox.StatusTimeout, sandbox.ReasonTimeout
		res.Error = &sandbox.FunctionError{Type: "Runtime.Timeout", Message: fmt.Sprintf("function timed out after %d ms", res.Duration.Milliseconds())}
		return res, nil
	case errors.Is(cause, ErrProtocol):
		res.Status, res.Reason = sandbox.StatusFailed, sandbox.ReasonProtocol
		res.Error = &sandbox.FunctionError{Type: "Runtime.ProtocolError", Message: "the sandbox broke the invocation protocol and was killed"}
		return res, nil
	case cause != nil:
		res.Status, res.Reason = sandbox.StatusKilled, sandbox.ReasonAborted
		return res, fmt.Errorf("invoke: %w: %w", sandbox.ErrAborted, cause)
	}
	if errors.Is(err, ErrProtocol) {
		res.Status, res.Reason = sandbox.StatusFailed, sandbox.ReasonProtocol
		return res, nil
	}
	return res, fmt.Errorf("invoke: %w: %w", ErrExited, err)
}

// brokenError turns a failed Load/handshake I/O into an error.
func (c *Client) brokenError(op string, err error) error {
	if cause := c.cause(); cause != nil {
		return fmt.Errorf("%s: %w: %w", op, sandbox.ErrAborted, cause)
	}
	if errors.Is(err, ErrProtocol) {
		c.Abort(err)
		return fmt.Errorf("%s: %w", op, err)
	}
	c.waitDrained(0)
	return fmt.Errorf("%s: %w: %w", op, ErrExited, err)
}

func (c *Client) protocolError(err error) error {
	err = fmt.Errorf("%w: %w", ErrProtocol, err)
	c.Abort(err)
	return err
}

// Abort kills the sandbox (once) and records why; a blocked call then
// returns. It is safe from any goroutine.
func (c *Client) Abort(cause error) {
	c.abortMu.Lock()
	first := c.abortCause == nil
	if first {
		if cause == nil {
			cause = errors.New("aborted")
		}
		c.abortCause = cause
	}
	c.abortMu.Unlock()
	if first {
		c.cfg.Kill(cause)
	}
}

func (c *Client) cause() error {
	c.abortMu.Lock()
	defer c.abortMu.Unlock()
	return c.abortCause
}

// SawHeapOOM reports whether the runtime printed V8's fatal "JavaScript heap
// out of memory" error: a crash after it is an out-of-memory kill.
func (c *Client) SawHeapOOM() bool { return c.mux.sawHeapOOM() }

// settle returns once every line printed before the answer to request seq
// has been delivered, and with end it ends the call's output, reporting
// whether it was truncated. Without DirectOutput it waits for the request's
// drain markers. With it, it reads what the pipes hold now, unless the next
// request was already sent: that one may have started printing, so it
// waits for the marker with which the bootstrap starts a pipelined call
// (see doc.go). Reading the pipes and ending the output hold wmu, so that
// the next request is not sent, and started, in between.
func (c *Client) settle(seq uint64, end bool) (truncated bool) {
	if c.cfg.DirectOutput {
		c.wmu.Lock()
		if c.tail == seq {
			c.open = false
			drainStreams(c.direct[streamOut], c.direct[streamErr])
			if end {
				truncated = c.mux.end()
			}
			c.wmu.Unlock()
			return truncated
		}
		c.wmu.Unlock()
	}
	c.waitDrained(seq)
	if end {
		truncated = c.mux.end()
	}
	return truncated
}

// waitDrained waits (bounded) for both output streams to pass marker seq,
// or to close when seq is 0.
func (c *Client) waitDrained(seq uint64) {
	t := time.NewTimer(drainWait)
	defer t.Stop()
	select {
	case <-c.mux.drained(seq):
	case <-t.C:
		c.cfg.Logger.Debug("sandbox output not drained in time", zap.Uint64("seq", seq))
	}
}

func (m errorMsg) functionError() *sandbox.FunctionError {
	if m.Stack == nil {
		m.Stack = []string{}
	}
	return &sandbox.FunctionError{Type: m.Type, Message: m.Message, Stack: m.Stack}
}
