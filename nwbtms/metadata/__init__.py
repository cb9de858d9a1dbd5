"""Session metadata: load and validate the metadata file, resolve keys, describe one session.

The only package that knows the metadata format (``schemas/session.schema.json``).
"""

from nwbtms.metadata.load import check_metadata, load_session
from nwbtms.metadata.model import Session, Source, Stimulation
from nwbtms.metadata.placeholders import find_placeholders, placeholder

__all__ = ["Session", "Source", "Stimulation", "check_metadata", "find_placeholders", "load_session",
           "placeholder"]
