'use strict';
// VoltRun Node.js bootstrap. It runs inside the sandbox, reads framed
// requests on fd 3, writes framed responses on fd 4 and leaves stdout/stderr
// to the function. The protocol is documented in internal/runtime/doc.go.

const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');

const TASK_ROOT = process.env.VOLTRUN_TASK_ROOT || '/var/task';
delete process.env.VOLTRUN_TASK_ROOT;
// Set where output is relayed and every answer needs drain markers
// (bootstrap.RelayedOutput): stdout and stderr are then created at once.
const RELAYED = process.env.VOLTRUN_RELAYED_OUTPUT === '1';
delete process.env.VOLTRUN_RELAYED_OUTPUT;
const REQ_FD = 3;
const RES_FD = 4;
const MAX_RESULT = 6 << 20;
const WARM_UP_AFTER_MS = 50;
const MARK_PREFIX = '\x1evoltrun:mark:';
const MARK_SUFFIX = '\x1e\n';
const F = { LOAD: 0x4c, INVOKE: 0x49, READY: 0x52, LOADED: 0x4b, LOAD_FAILED: 0x46, RESULT: 0x4f, ERROR: 0x45 };

// Captured before user code can replace them.
const writeSync = fs.writeSync;
const jsonStringify = JSON.stringify;
const hrNow = process.hrtime.bigint;

// send writes one frame with a single write call (header + body in one
// buffer): fd 4 is a blocking pipe, so writeSync completes it. The answer
// to a call starts with took, the call's time here in microseconds.
function send(type, body, took) {
  const pre = took === undefined ? 0 : 4;
  const len = pre + Buffer.byteLength(body);
  const buf = Buffer.allocUnsafe(5 + len);
  buf.writeUInt32BE(len, 0);
  buf[4] = type;
  if (pre) buf.writeUInt32BE(Math.min(took, 0xffffffff), 5);
  if (typeof body === 'string') buf.write(body, 5 + pre, 'utf8');
  else body.copy(buf, 5 + pre);
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(RES_FD, buf, off, buf.length - off);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
    }
  }
}

// direct is the host's load option direct_output: it reads the output
// pipes itself once an answer arrives, so it needs no markers.
let direct = false;

// process.stdout and process.stderr are created on first use, and on a pipe
// that loads `net` and the streams: ~9 ms with Node 20's built-in code
// cache lost to the heap flag, and ~0.6 MB. A function that never prints
// never pays it. Each stream's own write is captured the moment the stream
// is created, before user code can hold it, let alone replace its write.
const stdio = [null, null];
const stdioWrites = [null, null];
const stdioGetters = ['stdout', 'stderr'].map((name, i) => {
  const desc = Object.getOwnPropertyDescriptor(process, name);
  const get = () => {
    const s = desc.get.call(process);
    if (stdio[i] === null) {
      stdio[i] = s;
      stdioWrites[i] = s.write.bind(s);
    }
    return s;
  };
  Object.defineProperty(process, name, { ...desc, get });
  return get;
});
const stdioWrite = (i, chunk, cb) => { stdioGetters[i](); return stdioWrites[i](chunk, cb); };

// settle lets the host take everything printed so far as call seq's, then
// calls answer. Writes to a pipe are synchronous on Linux until the pipe is
// full; libuv queues the rest. Without direct output the drain markers
// queue behind it. With direct output the host reads the pipes when the
// answer arrives, so the answer waits for the queue to empty (an empty
// write's callback runs once everything before it is written).
function settle(seq, answer) {
  if (!direct) {
    const m = MARK_PREFIX + seq + MARK_SUFFIX;
    for (const i of [0, 1]) {
      try { stdioWrite(i, m); } catch (_) { /* user closed the stream: host times out */ }
    }
    answer();
    return;
  }
  const queued = [0, 1].filter((i) => stdio[i] !== null && stdio[i].writableLength > 0);
  let left = queued.length;
  const done = () => { if (--left === 0) answer(); };
  if (left === 0) answer();
  for (const i of queued) {
    try { stdioWrites[i]('', done); } catch (_) { done(); }
  }
}

function isBootstrapFrame(line) {
  return line.includes(__filename) || line.includes('node:internal/') || line.includes('(node:') || line.trim() === 'at new Promise (<anonymous>)';
}

// describe turns anything thrown into {type, message, stack}, keeping only
// the user's frames. Hostile objects may throw from getters: be defensive.
function describe(err) {
  const out = { type: 'Error', message: '', stack: [] };
  try {
    if (err !== null && (typeof err === 'object' || typeof err === 'function')) {
      out.type = String(err.name || (err.constructor && err.constructor.name) || 'Error');
      out.message = String(err.message === undefined ? '' : err.message);
      const lines = typeof err.stack === 'string' ? err.stack.split('\n') : [];
      if (out.type === 'SyntaxError' && lines.length && /^(file:\/\/)?\//.test(lines[0])) out.stack.push(lines[0]);
      for (const l of lines) {
        if (/^\s+at /.test(l) && !isBootstrapFrame(l)) out.stack.push(l.trim());
      }
    } else {
      out.type = typeof err;
      out.message = String(err);
    }
  } catch (e) {
    out.message = out.message || 'unprintable error';
  }
  return out;
}

function failure(reason, err) {
  const d = describe(err);
  return jsonStringify({ reason, type: d.type, message: d.message, stack: d.stack });
}

let handlerFn = null;
let fnInfo = { name: '', version: '', memory: 0 };
let current = null;

class LoadFailure extends Error {
  constructor(reason, type, message) { super(message); this.reason = reason; this.type = type; }
}

function isESM(file) {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      return pkg.type === 'module';
    } catch (_) { /* no or bad package.json: keep walking */ }
    if (dir === TASK_ROOT || dir === path.dirname(dir)) return false;
  }
}

// locateSyntaxError adds "file:line" to an ES module's SyntaxError, which
// import() reports without any location: \`node --check\` prints it. This runs
// only on the failure path.
function locateSyntaxError(err, file) {
  if (typeof err.stack !== 'string' || /^(file:\/\/)?\//.test(err.stack)) return;
  try {
    const r = require('child_process').spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 5000 });
    const first = (r.stderr || '').split('\n')[0];
    if (/^\/.*:\d+$/.test(first)) err.stack = first + '\n' + err.stack;
  } catch (_) { /* best effort */ }
}

async function importHandler(handler) {
  const slash = handler.lastIndexOf('/');
  const base = handler.slice(slash + 1);
  const dot = base.indexOf('.');
  if (dot <= 0 || dot === base.length - 1) {
    throw new LoadFailure('handler_not_found', 'Runtime.InvalidHandler', `handler "${handler}" is not of the form file.export`);
  }
  const modName = handler.slice(0, slash + 1) + base.slice(0, dot);
  const exportPath = base.slice(dot + 1).split('.');
  const stem = path.resolve(TASK_ROOT, modName);
  if (!stem.startsWith(TASK_ROOT + path.sep)) {
    throw new LoadFailure('handler_not_found', 'Runtime.InvalidHandler', `handler "${handler}" points outside ${TASK_ROOT}`);
  }
  const file = ['.js', '.mjs', '.cjs'].map((ext) => stem + ext).find((f) => fs.existsSync(f));
  if (!file) {
    throw new LoadFailure('handler_not_found', 'Runtime.HandlerNotFound', `cannot find module "${modName}" (tried .js, .mjs, .cjs in ${TASK_ROOT})`);
  }
  let mod;
  try {
    if (isESM(file)) {
      mod = await import(pathToFileURL(file).href);
    } else {
      try {
        mod = require(file);
      } catch (e) {
        if (!e || e.code !== 'ERR_REQUIRE_ESM') throw e;
        mod = await import(pathToFileURL(file).href);
      }
    }
  } catch (e) {
    const syntax = e instanceof SyntaxError || (e && e.name === 'SyntaxError');
    if (syntax) locateSyntaxError(e, file);
    throw Object.assign(new LoadFailure(syntax ? 'syntax_error' : 'init_error', '', ''), { cause: e });
  }
  const pick = (root) => exportPath.reduce((o, k) => (o == null ? undefined : o[k]), root);
  let fn = pick(mod);
  if (fn === undefined && mod && mod.default && typeof mod.default === 'object') fn = pick(mod.default);
  if (typeof fn !== 'function') {
    throw new LoadFailure('handler_not_found', 'Runtime.HandlerNotFound', `${modName}.${exportPath.join('.')} is ${fn === undefined ? 'undefined' : 'not a function'}`);
  }
  return fn;
}

async function load(body) {
  const req = JSON.parse(body.toString('utf8'));
  direct = req.direct_output === true;
  try {
    for (const [k, v] of Object.entries(req.env || {})) process.env[k] = String(v);
    fnInfo = { name: req.function_name || '', version: req.function_version || '$LATEST', memory: req.memory_mb || 0 };
    process.env.VOLTRUN_FUNCTION_NAME = process.env.AWS_LAMBDA_FUNCTION_NAME = fnInfo.name;
    process.env.VOLTRUN_FUNCTION_VERSION = process.env.AWS_LAMBDA_FUNCTION_VERSION = fnInfo.version;
    process.env.VOLTRUN_FUNCTION_MEMORY_MB = process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE = String(fnInfo.memory);
    handlerFn = await importHandler(req.handler);
    settle(req.seq, () => send(F.LOADED, ''));
  } catch (e) {
    let body;
    if (e instanceof LoadFailure && e.cause === undefined) {
      body = jsonStringify({ reason: e.reason, type: e.type, message: e.message, stack: [] });
    } else if (e instanceof LoadFailure) {
      body = failure(e.reason, e.cause);
    } else {
      body = failure('init_error', e);
    }
    settle(req.seq, () => send(F.LOAD_FAILED, body));
  }
}

function makeContext(meta) {
  return {
    functionName: fnInfo.name,
    functionVersion: fnInfo.version,
    awsRequestId: meta.id,
    memoryLimitInMB: String(fnInfo.memory),
    invokedFunctionArn: `arn:voltrun:function:${fnInfo.name}:${fnInfo.version}`,
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, meta.deadline - Date.now()),
  };
}

// callHandler supports async handlers, sync handlers and callback style
// (event, context, callback).
function callHandler(fn, event, ctx) {
  return new Promise((resolve, reject) => {
    const r = fn(event, ctx, (err, val) => (err != null ? reject(err) : resolve(val)));
    if (r && typeof r.then === 'function') r.then(resolve, reject);
    else if (fn.length < 3) resolve(r);
  });
}

// finish sends the call's single response; later settlements (a callback
// after a resolved promise, an uncaught exception after the result) are
// ignored.
function finish(call, ok, value, reason) {
  if (call.done) return;
  call.done = true;
  if (current === call) current = null;
  let type = F.RESULT;
  let body;
  if (ok) {
    try {
      body = jsonStringify(value);
      if (body === undefined) body = 'null';
      if (Buffer.byteLength(body) > MAX_RESULT) {
        type = F.ERROR;
        body = jsonStringify({ reason: 'result_too_large', type: 'Runtime.ResultTooLarge', message: `result exceeds ${MAX_RESULT} bytes`, stack: [] });
      }
    } catch (e) {
      type = F.ERROR;
      // The serialiser's frames are not the user's: no stack.
      body = jsonStringify({ reason: 'non_serialisable', type: 'Runtime.NonSerialisable', message: `result is not JSON-serialisable: ${describe(e).message}`, stack: [] });
    }
  } else {
    type = F.ERROR;
    body = failure(reason || 'error', value);
  }
  settle(call.seq, () => {
    send(type, body, Number((hrNow() - call.start) / 1000n));
    running = false;
    next();
  });
}

// Calls run one at a time, in the order they came: the host may send the
// next before this one answered (pipelining), and it counts each call's
// time limit from when the one before it answered.
const queued = [];
let running = false;
function next() {
  if (running || queued.length === 0) return;
  running = true;
  invoke(queued.shift());
}

async function invoke(body) {
  const start = hrNow();
  const metaLen = body.readUInt32BE(0);
  const meta = JSON.parse(body.toString('utf8', 4, 4 + metaLen));
  meta.deadline = Date.now() + meta.timeout_ms;
  const call = { seq: meta.seq, done: false, start };
  // Sent before the call ahead of it answered: the host may not have read
  // that one's output yet, so mark where it ends (see settle).
  if (direct && meta.after) {
    const m = MARK_PREFIX + meta.after + MARK_SUFFIX;
    for (const fd of [1, 2]) {
      try { writeSync(fd, m); } catch (_) { /* user closed the fd: the host stops waiting */ }
    }
  }
  if (!handlerFn) {
    finish(call, false, new Error('no function loaded'), 'handler_not_found');
    return;
  }
  let event;
  try {
    event = JSON.parse(body.toString('utf8', 4 + metaLen));
  } catch (e) {
    finish(call, false, e, 'invalid_event');
    return;
  }
  current = call;
  try {
    finish(call, true, await callHandler(handlerFn, event, makeContext(meta)));
  } catch (e) {
    finish(call, false, e, 'error');
  }
}

function onFatal(kind) {
  return (err) => {
    if (current) {
      finish(current, false, err, 'error');
    } else {
      try { stdioWrite(1, `${kind} outside an invocation: ${describe(err).type}: ${describe(err).message}\n`); } catch (_) { /* ignore */ }
    }
  };
}
process.on('uncaughtException', onFatal('Uncaught exception'));
process.on('unhandledRejection', onFatal('Unhandled rejection'));

// Frames arrive on fd 3, read by a bare libuv pipe handle: a net.Socket
// would load the stream stack (see stdio above), and fs reads would go
// through the thread pool. onread runs with the read's byte count (or a
// negative errno: EOF or an error, when the host is gone) in
// streamBaseState; the bytes are an ArrayBuffer of libuv's read buffer.
const input = (() => {
  // Newer Node.js versions warn on process.binding; the warning would land
  // in the function's log.
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  try {
    const { Pipe, constants } = process.binding('pipe_wrap');
    const state = process.binding('stream_wrap');
    const handle = new Pipe(constants.SOCKET);
    const err = handle.open(REQ_FD);
    if (err !== 0) throw new Error(`open request pipe: ${err}`);
    return { handle, state };
  } finally {
    process.emitWarning = emitWarning;
  }
})();
// Reads are kept as they come and joined once a whole frame is in: joining
// at every read would copy a 6 MB event ~100 times.
let sawRequest = false; // see createStdio below
let chunks = [];
let buffered = 0;
let want = 5; // bytes needed to go on: a header, or the frame it announces
input.handle.onread = (arrayBuffer) => {
  const n = input.state.streamBaseState[input.state.kReadBytesOrError];
  if (n < 0) process.exit(0);
  if (n === 0) return;
  chunks.push(Buffer.from(arrayBuffer, input.state.streamBaseState[input.state.kArrayBufferOffset], n));
  buffered += n;
  if (buffered < want) return;
  let pending = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, buffered);
  want = 5;
  while (pending.length >= 5) {
    const len = pending.readUInt32BE(0);
    if (pending.length < 5 + len) {
      want = 5 + len;
      break;
    }
    const type = pending[4];
    const body = pending.subarray(5, 5 + len);
    pending = pending.subarray(5 + len);
    sawRequest = true;
    // A load comes alone, before any call. A queued call's bytes are
    // copied: libuv's read buffer is not kept for later.
    if (type === F.LOAD) load(body);
    else if (type === F.INVOKE) {
      queued.push(running ? Buffer.from(body) : body);
      next();
    }
  }
  chunks = pending.length ? [pending] : [];
  buffered = pending.length;
};
input.handle.readStart();

// An instance left waiting (a pre-warmed one in a pool) creates stdout and
// stderr while it waits, so a function that prints does not pay for them
// in its first call. One asked to load at once (an empty pool) skips it.
// The check waits for setImmediate: timers run before the loop reads the
// pipe, so a request that arrived while the process waited for the CPU is
// read first and not delayed.
const createStdio = () => { stdioGetters.forEach((get) => get()); };
if (RELAYED) createStdio();
else setTimeout(() => setImmediate(() => { if (!sawRequest) createStdio(); }), WARM_UP_AFTER_MS);

send(F.READY, jsonStringify({ runtime: 'nodejs', version: process.version }));
