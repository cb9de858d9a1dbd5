"""Subclass the classes pynwb generates from the spec, keeping their constructor signature."""

from __future__ import annotations

import warnings

from hdmf.utils import docval, get_docval
from pynwb import get_class, register_class

NAMESPACE = "ndx-tms"


def generated(type_name: str) -> type:
    """The class pynwb generated for ``type_name`` (the base of our custom class)."""
    return get_class(type_name, NAMESPACE)


def register(cls: type) -> type:
    """Register ``cls`` for its neurodata type, keeping the generated constructor's docval.

    The custom class may define ``_prepare_kwargs(kwargs) -> kwargs`` (a staticmethod run before the
    generated constructor, e.g. to supply a default target table) and ``_check(self)``. ``_check`` runs
    after construction: it raises for new objects and only warns for objects read from a file (like
    hdmf's ``_error_on_new_warn_on_construct``), so old files with out-of-range values still open.
    """
    base = cls.__mro__[1]
    base_init = base.__init__

    prepare = getattr(cls, "_prepare_kwargs", None)

    @docval(*get_docval(base_init))
    def __init__(self, **kwargs):
        if prepare is not None:
            kwargs = prepare(kwargs)
        base_init(self, **kwargs)
        check = getattr(self, "_check", None)
        if check is not None:
            try:
                check()
            except ValueError as exc:
                if not self._in_construct_mode:
                    raise
                warnings.warn(f"{type(self).__name__} {self.name!r} read from file: {exc}", stacklevel=2)

    __init__.__doc__ = base_init.__doc__
    cls.__init__ = __init__
    register_class(cls.__name__, NAMESPACE)(cls)
    return cls
