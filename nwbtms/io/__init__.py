"""Writing files safely: atomic outputs (``atomic``) and HDF5 compression profiles (``compression``)."""

from nwbtms.io.atomic import atomic_output, atomic_write_text, refuse_existing

__all__ = ["atomic_output", "atomic_write_text", "refuse_existing"]
