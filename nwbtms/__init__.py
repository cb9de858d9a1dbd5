"""nwbtms: transcranial magnetic stimulation (TMS) data into NWB, checked for DANDI.

The library API mirrors the CLI: readers in :mod:`nwbtms.sources`, protocols in :mod:`nwbtms.protocols`,
conversion in :mod:`nwbtms.session`, validation in :mod:`nwbtms.validate`. Errors are
:class:`nwbtms.errors.NwbtmsError`.
"""

from nwbtms._version import __version__
from nwbtms.errors import NwbtmsError

__all__ = ["NwbtmsError", "__version__"]
