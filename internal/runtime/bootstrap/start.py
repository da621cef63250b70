# Starts the VoltRun Python bootstrap from the code the host compiled once
# (bootstrap.pyc: this interpreter's magic number, then the marshalled code
# object), or from its source when that is missing or was compiled by
# another Python. Compiling the source would cost more than the rest of
# the interpreter's start.
import marshal
import sys

_dir = __file__.rpartition("/")[0]
__file__ = _dir + "/bootstrap.py"
try:
    with open(_dir + "/bootstrap.pyc", "rb") as _f:
        _code = _f.read()
    if _code[:4] != sys.modules["_frozen_importlib_external"].MAGIC_NUMBER:
        raise ValueError("compiled by another Python")
    _code = marshal.loads(memoryview(_code)[4:])
except (OSError, KeyError, ValueError, EOFError, TypeError):
    with open(__file__, "rb") as _f:
        _code = compile(_f.read(), __file__, "exec")
exec(_code)
