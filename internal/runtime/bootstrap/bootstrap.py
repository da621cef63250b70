# VoltRun Python bootstrap. It runs inside the sandbox, reads framed requests
# on fd 3, writes framed responses on fd 4 and leaves stdout/stderr to the
# function. The protocol is documented in internal/runtime/doc.go.
import _json
import posix
import sys
import time

# The bootstrap does without the os module: importing it (with stat,
# posixpath and _collections_abc) costs 2-3 ms of every cold start, which a
# handler that needs it pays when it imports it. os.environ, once imported,
# wraps posix.environ (the same dict), so the environment kept there and
# with putenv is what the handler's os.environ and its subprocesses see.
_FSENC = sys.getfilesystemencoding()


def _setenv(key, value):
    """os.environ[key] = value."""
    k, v = key.encode(_FSENC, "surrogateescape"), value.encode(_FSENC, "surrogateescape")
    posix.putenv(k, v)
    posix.environ[k] = v


def _popenv(key, default=None):
    """os.environ.pop(key, default)."""
    k = key.encode(_FSENC, "surrogateescape")
    v = posix.environ.pop(k, None)
    if v is None:
        return default
    posix.unsetenv(k)
    return v.decode(_FSENC, "surrogateescape")


TASK_ROOT = _popenv("VOLTRUN_TASK_ROOT", "/var/task")
_popenv("VOLTRUN_RELAYED_OUTPUT")  # only the Node bootstrap uses it
BOOT_FILE = __file__ if __file__.startswith("/") else posix.getcwd() + "/" + __file__
# Frames of the import machinery are not the user's (importlib's own are
# "<frozen ...>"; import_module's live in the standard library's importlib,
# beside encodings, which every interpreter imports at start).
IMPORTLIB_DIR = sys.modules["encodings"].__path__[0].rpartition("/")[0] + "/importlib/"
REQ_FD, RES_FD = 3, 4
MAX_RESULT = 6 << 20
MARK = "\x1evoltrun:mark:%d\x1e\n"
LOAD, INVOKE, SEED, READY, LOADED, LOAD_FAILED, RESULT, ERROR = b"LISRKFOE"

_write = posix.write
_now = time.perf_counter_ns


# JSON through CPython's C codec (_json), the same code json.loads and
# json.dumps run, without importing the json package: its import pulls in re
# and enum and compiles patterns, about half of a bare interpreter start.
# Handlers that want json still import it themselves.
class _ScanContext:
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = float  # "NaN", "Infinity", "-Infinity", as json.loads


_scan = _json.make_scanner(_ScanContext())


def _loads(body):
    """json.loads for a UTF-8 body; malformed input raises ValueError."""
    s = body.decode("utf-8", "surrogatepass").strip(" \t\n\r")
    try:
        obj, end = _scan(s, 0)
    except StopIteration:
        raise ValueError("Expecting value: line 1 column 1 (char 0)") from None
    if end != len(s):
        raise ValueError("Extra data: char %d" % end)
    return obj


def _unserialisable(o):
    raise TypeError("Object of type %s is not JSON serializable" % type(o).__name__)


def _dumps(obj):
    """json.dumps(obj, allow_nan=False, separators=(",", ":"), ensure_ascii=False)."""
    enc = _json.make_encoder({}, _unserialisable, _json.encode_basestring, None, ":", ",", False, False, False)
    return "".join(enc(obj, 0))


def send(ftype, body, took=None):
    """Write one frame with a single write call (header + body). The answer
    to a call starts with took, the call's time here in microseconds."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    prefix = b"" if took is None else min(took, 0xFFFFFFFF).to_bytes(4, "big")
    buf = (len(prefix) + len(body)).to_bytes(4, "big") + bytes((ftype,)) + prefix + body
    view = memoryview(buf)
    while view:
        view = view[_write(RES_FD, view):]


def settle(seq, direct):
    """Let the host take everything printed so far as belonging to call
    seq: flush the streams (writes to the pipes are synchronous), then,
    unless the host reads the pipes itself after the answer (its load
    option direct_output), write the drain markers."""
    m = (MARK % seq).encode()
    for stream, fd in ((sys.stdout, 1), (sys.stderr, 2)):
        try:
            stream.flush()
        except Exception:  # the user replaced or closed it
            pass
        if direct:
            continue
        try:
            _write(fd, m)
        except OSError:  # the user closed the fd: the host stops waiting
            pass


def user_frames(tb):
    """The user's frames, innermost first (as Node prints them)."""
    import traceback  # only on the failure path: it costs ~2 ms at start-up

    out = []
    for f in traceback.extract_tb(tb):
        if f.filename == BOOT_FILE or f.filename.startswith(("<frozen ", IMPORTLIB_DIR)):
            continue
        s = 'File "%s", line %s, in %s' % (f.filename, f.lineno, f.name)
        if f.line:
            s += ": " + f.line
        out.append(s)
    out.reverse()
    return out


def failure(reason, exc):
    try:
        stack = user_frames(exc.__traceback__)
        if isinstance(exc, SyntaxError) and exc.filename:
            loc = 'File "%s", line %s' % (exc.filename, exc.lineno)
            if exc.text:
                loc += ": " + exc.text.strip()
            stack.insert(0, loc)
        msg = str(exc)
    except Exception:
        stack, msg = [], "unprintable error"
    return _dumps({
        "reason": reason,
        "type": type(exc).__name__,
        "message": msg,
        "stack": stack,
    })


class Context:
    """Lambda-compatible context object."""

    def __init__(self, fn, meta):
        self.function_name = fn["name"]
        self.function_version = fn["version"]
        self.memory_limit_in_mb = fn["memory"]
        self.aws_request_id = meta["id"]
        self.invoked_function_arn = "arn:voltrun:function:%s:%s" % (fn["name"], fn["version"])
        self._deadline_ms = time.time() * 1000 + meta["timeout_ms"]

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))


class Bootstrap:
    def __init__(self):
        self.handler = None
        self.fn = {"name": "", "version": "$LATEST", "memory": 0}
        self.direct = False

    def load(self, body):
        req = _loads(body)
        self.direct = req.get("direct_output") is True
        try:
            for k, v in (req.get("env") or {}).items():
                _setenv(k, str(v))
            self.fn = {
                "name": req.get("function_name") or "",
                "version": req.get("function_version") or "$LATEST",
                "memory": req.get("memory_mb") or 0,
            }
            for name in ("VOLTRUN_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_NAME"):
                _setenv(name, self.fn["name"])
            for name in ("VOLTRUN_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_VERSION"):
                _setenv(name, self.fn["version"])
            for name in ("VOLTRUN_FUNCTION_MEMORY_MB", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"):
                _setenv(name, str(self.fn["memory"]))
            self.handler, err = self.import_handler(req.get("handler") or "")
        except Exception as e:
            err = failure("init_error", e)
        settle(req["seq"], self.direct)
        if err is None:
            send(LOADED, b"")
        else:
            send(LOAD_FAILED, err)

    def import_handler(self, handler):
        mod_part, _, attr = handler.rpartition(".")
        if not mod_part or not attr:
            return None, _dumps({"reason": "handler_not_found", "type": "Runtime.InvalidHandler",
                                 "message": 'handler "%s" is not of the form module.function' % handler, "stack": []})
        modname = mod_part.replace("/", ".").strip(".")
        if TASK_ROOT not in sys.path:
            sys.path.insert(0, TASK_ROOT)
        try:
            # __import__ rather than importlib.import_module: the importlib
            # package costs a tenth of the interpreter's start-up.
            __import__(modname)
            mod = sys.modules[modname]
        except SyntaxError as e:
            return None, failure("syntax_error", e)
        except ModuleNotFoundError as e:
            if e.name and (modname == e.name or modname.startswith(e.name + ".")):
                return None, _dumps({"reason": "handler_not_found", "type": "Runtime.HandlerNotFound",
                                     "message": 'cannot find module "%s" in %s' % (modname, TASK_ROOT), "stack": []})
            return None, failure("init_error", e)
        except Exception as e:
            return None, failure("init_error", e)
        fn = getattr(mod, attr, None)
        if not callable(fn):
            return None, _dumps({"reason": "handler_not_found", "type": "Runtime.HandlerNotFound",
                                 "message": "%s.%s is %s" % (modname, attr, "undefined" if fn is None else "not callable"),
                                 "stack": []})
        return fn, None

    def invoke(self, body):
        start = _now()
        mlen = int.from_bytes(body[:4], "big")
        meta = _loads(body[4:4 + mlen])
        seq = meta["seq"]
        after = meta.get("after")
        if after and self.direct:
            # Sent before the call ahead of it answered: the host may not
            # have read that one's output yet, so mark where it ends (the
            # streams were flushed when it answered).
            m = (MARK % after).encode()
            for fd in (1, 2):
                try:
                    _write(fd, m)
                except OSError:  # the user closed the fd: the host stops waiting
                    pass
        if self.handler is None:
            return self.finish(seq, start, ERROR, _dumps({"reason": "handler_not_found", "type": "Runtime.HandlerNotFound",
                                                          "message": "no function loaded", "stack": []}))
        try:
            event = _loads(body[4 + mlen:])
        except ValueError as e:
            return self.finish(seq, start, ERROR, failure("invalid_event", e))
        try:
            result = self.handler(event, Context(self.fn, meta))
            if hasattr(result, "__await__"):
                import asyncio
                result = asyncio.run(result)
        except Exception as e:  # SystemExit is not caught: the runtime exits
            return self.finish(seq, start, ERROR, failure("error", e))
        try:
            payload = _dumps(result).encode("utf-8")
        except (TypeError, ValueError, RecursionError) as e:
            # The serialiser's frames are not the user's: no stack.
            return self.finish(seq, start, ERROR, _dumps({"reason": "non_serialisable", "type": "Runtime.NonSerialisable",
                                                          "message": "result is not JSON-serialisable: %s" % e, "stack": []}))
        if len(payload) > MAX_RESULT:
            return self.finish(seq, start, ERROR, _dumps({"reason": "result_too_large", "type": "Runtime.ResultTooLarge",
                                                          "message": "result exceeds %d bytes" % MAX_RESULT, "stack": []}))
        self.finish(seq, start, RESULT, payload)

    def finish(self, seq, start, ftype, body):
        """Answer call seq, begun at start (_now)."""
        settle(seq, self.direct)
        send(ftype, body, (_now() - start) // 1000)


def reseed(entropy):
    """Instances restored from one snapshot share the random module's state
    if the function's init imported it: the host sends each fresh entropy.
    (os.urandom, secrets and uuid draw from the kernel and need none.)"""
    r = sys.modules.get("random")
    if r is not None:
        r.seed(entropy)


def read_exact(f, n):
    b = f.read(n)
    if b is None or len(b) < n:
        raise EOFError
    return b


def main():
    # Keep the protocol fds out of the function's subprocesses.
    posix.set_inheritable(REQ_FD, False)
    posix.set_inheritable(RES_FD, False)
    rf = open(REQ_FD, "rb", buffering=1 << 16)
    boot = Bootstrap()
    send(READY, _dumps({"runtime": "python", "version": sys.version.split()[0]}))
    # A process's first compile() takes ~1 ms, mostly page faults (~50) for
    # the parser's memory, and loading the handler compiles it: pay that
    # while the host writes the code and sends the load, or while the
    # sandbox waits in the pre-warmed pool.
    compile("pass", "<warm-up>", "exec")
    while True:
        try:
            head = read_exact(rf, 5)
            n, ftype = int.from_bytes(head[:4], "big"), head[4]
            body = read_exact(rf, n)
        except EOFError:
            return
        if ftype == LOAD:
            boot.load(body)
        elif ftype == INVOKE:
            boot.invoke(body)
        elif ftype == SEED:
            reseed(body)


if __name__ == "__main__":
    main()
