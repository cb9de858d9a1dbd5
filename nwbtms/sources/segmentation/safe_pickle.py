"""A restricted unpickler for the pickled object arrays Suite2p saves (``stat.npy``, ``ops.npy``).

Plain ``pickle``/``np.load(allow_pickle=True)`` runs whatever callable a pickle names, so a crafted
file executes code. :class:`SafeUnpickler` resolves only the globals numpy arrays and scalars need,
builtin containers and numbers, and ``datetime`` values (Suite2p's ``ops.npy`` holds a ``datetime``,
realdata README). Anything else raises :class:`~nwbtms.errors.UnsafePickleError` before it is called.

Memory is bounded too: the allowed callables that allocate from a size argument rather than from bytes in
the file (``bytes(n)``, ``list(range(n))``, numpy's ``_reconstruct`` with a shape...) may together allocate at
most :data:`SIZE_DRIVEN_BUDGET_BYTES` plus the pickle's own length, so a few bytes cannot exhaust memory.
"""

from __future__ import annotations

import builtins
import codecs
import datetime
import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib import format as npy_format

from nwbtms.errors import SourceError, UnsafePickleError


def _latin1_encode(text: str, encoding: str = "latin1", errors: str = "strict") -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it for bytes, limited to latin-1."""
    if encoding.lower().replace("-", "").replace("_", "") not in ("latin1", "iso88591"):
        raise pickle.UnpicklingError(f"_codecs.encode with encoding {encoding!r} is not allowed")
    return codecs.encode(text, "latin1", errors)


def _numpy_global(module: str, name: str) -> Any:
    """numpy.core.* (numpy < 2) and numpy._core.* (numpy >= 2) name the same functions."""
    import numpy._core.multiarray as multiarray
    import numpy._core.numeric as numeric

    if module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        return {"_reconstruct": multiarray._reconstruct, "scalar": multiarray.scalar}.get(name)
    if module in ("numpy.core.numeric", "numpy._core.numeric") and name == "_frombuffer":
        return numeric._frombuffer
    if module == "numpy":
        return {"ndarray": np.ndarray, "dtype": np.dtype}.get(name)
    if module == "numpy.dtypes" and name.endswith("DType"):
        candidate = getattr(np.dtypes, name, None)
        return candidate if isinstance(candidate, type) and issubclass(candidate, np.dtype) else None
    return None


#: builtins a data pickle may name: containers and numbers, nothing callable with side effects.
_BUILTINS = frozenset({"dict", "list", "tuple", "set", "frozenset", "str", "bytes", "bytearray",
                       "int", "float", "complex", "bool", "slice", "range"})
_DATETIME = frozenset({"datetime", "date", "time", "timedelta", "timezone"})
#: Bytes the allowed callables may allocate from size arguments, beyond the pickle's own length.
SIZE_DRIVEN_BUDGET_BYTES = 64 * 2**20
#: builtins whose argument may be a size or a lazy range (allocation not backed by the file's bytes)
_SIZED_BUILTINS = frozenset({"bytes", "bytearray", "list", "tuple", "set", "frozenset", "dict", "str"})


class SafeUnpickler(pickle.Unpickler):
    """Unpickler whose ``find_class`` admits only numpy array/scalar reconstruction and plain data."""

    def __init__(self, file: io.BufferedIOBase, *, source: str | Path = "<pickle>", budget_bytes: int | None = None
                 ) -> None:
        super().__init__(file, encoding="latin1")
        self.source = str(source)
        self.budget_bytes = SIZE_DRIVEN_BUDGET_BYTES if budget_bytes is None else budget_bytes
        self.allocated_bytes = 0

    def _charge(self, nbytes: int, what: str) -> None:
        self.allocated_bytes += max(0, int(nbytes))
        if self.allocated_bytes > self.budget_bytes:
            raise UnsafePickleError(
                f"refused to allocate {what}: the pickle would need more than {self.budget_bytes / 2**20:.0f} MiB "
                "beyond its own size", file=self.source, field=what,
                hint="the file is not a plain Suite2p output (a few bytes cannot describe that much data)")

    def _sized_builtin(self, name: str):
        function = getattr(builtins, name)

        def checked(*args, **kwargs):
            for arg in args:
                if isinstance(arg, range):
                    self._charge(len(arg) * 8, f"builtins.{name}(range of {len(arg)})")
                elif isinstance(arg, int) and not isinstance(arg, bool) and name in ("bytes", "bytearray"):
                    self._charge(arg, f"builtins.{name}({arg})")
            return function(*args, **kwargs)

        return checked

    def _sized_reconstruct(self, reconstruct):
        def checked(subtype, shape, dtype, *args):
            count = int(np.prod(np.asarray(shape, dtype=np.float64))) if np.ndim(shape) else int(shape)
            self._charge(count * np.dtype(dtype).itemsize, f"numpy array of shape {shape}")
            return reconstruct(subtype, shape, dtype, *args)

        return checked

    def find_class(self, module: str, name: str) -> Any:
        found: Any = None
        if module.startswith("numpy"):
            found = _numpy_global(module, name)
            if found is not None and name == "_reconstruct":
                found = self._sized_reconstruct(found)
        elif module in ("builtins", "__builtin__") and name in _SIZED_BUILTINS:
            found = self._sized_builtin(name)
        elif module in ("builtins", "__builtin__") and name in _BUILTINS:
            found = getattr(builtins, name)
        elif module == "datetime" and name in _DATETIME:
            found = getattr(datetime, name)
        elif module == "_codecs" and name == "encode":
            found = _latin1_encode
        if found is None:
            raise UnsafePickleError(
                f"refused to load global {module}.{name}: only numpy arrays, dicts, lists, strings, numbers "
                "and datetimes are allowed", file=self.source, field=f"{module}.{name}",
                hint="the file is not a plain Suite2p output; do not load it with allow_pickle=True either",
            )
        return found


def safe_loads(data: bytes, *, source: str | Path = "<pickle>") -> Any:
    """Unpickle ``data`` with :class:`SafeUnpickler`."""
    try:
        return SafeUnpickler(io.BytesIO(data), source=source,
                             budget_bytes=SIZE_DRIVEN_BUDGET_BYTES + len(data)).load()
    except UnsafePickleError:
        raise
    except (MemoryError, RecursionError, OverflowError) as exc:
        raise UnsafePickleError(f"refused: unpickling needs more memory or nesting than a data file can "
                                f"({type(exc).__name__})", file=source,
                                hint="the file is not a plain Suite2p output") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError,
            KeyError) as exc:
        raise SourceError(f"corrupt pickle: {exc}", file=source,
                          hint="the file is truncated or not a numpy object array") from exc


def load_npy_object(path: str | Path) -> np.ndarray:
    """Load a ``.npy`` file that holds a pickled object array (or a plain array) without ``allow_pickle``.

    The header is read with :mod:`numpy.lib.format`; an object payload goes through :class:`SafeUnpickler`.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceError("file not found", file=path)
    with open(path, "rb") as fh:
        try:
            version = npy_format.read_magic(fh)
            if version == (1, 0):
                shape, _, dtype = npy_format.read_array_header_1_0(fh)
            else:
                shape, _, dtype = npy_format.read_array_header_2_0(fh)
        except ValueError as exc:
            raise SourceError(f"not a .npy file: {exc}", file=path) from exc
        if not dtype.hasobject:
            fh.seek(0)
            return np.load(fh, allow_pickle=False)
        value = safe_loads(fh.read(), source=path)
    if not isinstance(value, np.ndarray):
        raise SourceError(f"pickle holds a {type(value).__name__}, expected a numpy array", file=path)
    if value.shape != tuple(shape):
        raise SourceError(f"array has shape {value.shape}, the header says {tuple(shape)}", file=path)
    return value
