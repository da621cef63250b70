// Package runtime is the protocol between the host and the Node.js and
// Python bootstraps that run inside every sandbox (package bootstrap holds
// them and their commands): the host side (Client), shared by every sandbox
// driver.
//
// # Descriptors
//
//	fd 0  /dev/null
//	fd 1  stdout  the function's output, captured as its logs
//	fd 2  stderr  idem
//	fd 3  requests, host → sandbox (a pipe)
//	fd 4  responses, sandbox → host (a pipe)
//
// Nothing of the protocol travels on stdout/stderr except the drain markers
// described below, so whatever user code (or a native library, or a child
// process) prints is a log line.
//
// # Frames
//
// Every message is one frame: a 4-byte big-endian body length, a 1-byte
// type, then the body. Each side writes a frame with a single write call
// (header and body in one buffer). Bodies are JSON unless stated:
//
//	host → sandbox
//	  'L' load      {"seq","handler","env","function_name","function_version","memory_mb"}
//	  'I' invoke    u32 meta length, meta {"seq","id","timeout_ms","after"}, then the event's raw JSON
//	  'S' seed      32 raw bytes of entropy, sent to a runtime restored from a
//	                snapshot taken after its load; no reply (Python re-seeds
//	                its random module if the function imported it)
//	sandbox → host
//	  'R' ready     {"runtime","version"}: once, when the bootstrap is up (ready to load)
//	  'K' loaded    empty
//	  'F' load failed  {"reason","type","message","stack"}
//	  'O' result    u32 the call's time in the runtime in µs, then the handler's
//	                return value as raw JSON ("null" for undefined/None); the host
//	                passes these bytes through without decoding them
//	  'E' error     u32 the call's time in µs, then {"reason","type","message","stack"}
//	  'X' init error   UTF-8 text: the Go sandbox init failed before the runtime started
//
// The bootstrap handles requests one at a time, in the order they came, so
// answers need no ids. The host may send an invoke before the one ahead of
// it answered (pipelining: the runtime then goes on to it without waiting
// for the host); such an invoke carries "after", the seq of that call.
// timeout_ms counts from the call's own start, when the one ahead of it
// answered; the bootstrap's getRemainingTimeInMillis counts from there
// too. Reasons are sandbox.Reason values; stack entries are the user's
// frames only, innermost first. An answer's time runs from the bootstrap
// taking the invoke to writing the answer (sandbox.Result.RunTime): the
// host routes the code's next calls by it and bills by its own clock.
//
// # Logs and drain markers
//
// Before answering a load or an invoke, the bootstrap flushes stdout and
// stderr (Python's writes block; Node's are synchronous on Linux pipes
// until a pipe is full, and the bootstrap waits for what libuv queued), so
// whatever the call printed, and whatever a child process printed before
// the call ended, is in the pipes before the answer is sent.
//
// Where the host reads the very pipes the sandbox writes to (linuxns:
// ClientConfig.DirectOutput, sent to the bootstrap as the load option
// "direct_output"), the host reads everything they hold once the answer
// has arrived, and the call is complete. A pipelined call may already be
// printing by then, so the bootstrap starts one that has "after" by writing
// that call's marker (below) to each stream, and the host reads up to it;
// other marker-shaped lines are output. Where something relays the output
// (gVisor's init multiplexes it onto one stream), the bootstrap also
// writes MarkPrefix + seq + MarkSuffix + "\n" to each stream; the host's
// readers strip the markers, and a call returns only once both streams
// passed its marker (or closed). Either way every line printed during the
// call has been delivered to its sink, and none of the next call's lines
// can be. Skipping the markers saves each call two writes in the sandbox
// and two reader wake-ups on the host. Output printed between calls
// (timers, import time) is held, up to 64 KiB, and delivered at the start
// of the next call; what a pipelined call prints before the host reaches
// its turn is held the same way under the call's own budget. Per call,
// lines over sandbox.MaxLogLineBytes are split and output over
// sandbox.MaxLogBytes is dropped with one truncation note on the "system"
// stream.
//
// # Timeouts and death
//
// The host enforces deadlines by killing the whole sandbox (the driver's
// Kill), which closes fd 4 and the output pipes. A closed response stream
// without a kill from the host means the runtime died on its own (exit,
// OOM killer, crash): Client returns ErrExited and the driver names the
// cause from the exit status and cgroup counters.
//
// # What user code can reach
//
// The function runs in the same process as its bootstrap, so it can read
// and write fds 3 and 4 (Python marks them non-inheritable so subprocesses
// do not get them; Node has no API to do so, and a Node child process may
// inherit them). It can therefore forge or steal its own frames. That only
// affects its own results: an instance serves one function version of one
// tenant for its whole life, the host bounds and validates every frame
// (MaxFrameBody; an unexpected or malformed frame kills the instance with
// ReasonProtocol), and result payloads are treated as untrusted JSON text.
// The same holds for the drain markers, which user code could print to cut
// its own log attribution short.
package runtime
