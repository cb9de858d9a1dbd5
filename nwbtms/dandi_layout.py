"""DANDI file layout: ``sub-<subject_id>/sub-<subject_id>_ses-<session_id>.nwb`` with sanitised IDs.

DANDI (``dandi organize``) names files by BIDS-like entities whose values may hold only letters, digits
and ``-`` (dandi-cli ``dandi organize``, dandi/organize.py). IDs are sanitised the same way: every other character
(``_``, spaces, ``/``, dots...) becomes ``-``, runs of ``-`` collapse, leading and trailing ``-`` go. A
sanitised ID can therefore never add a folder level or climb out of the output folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from nwbtms.errors import InputError

_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9-]+")


def sanitize_id(value: str, *, what: str = "id") -> str:
    """``value`` with every character other than letters, digits and ``-`` replaced by ``-``.

    Raises
    ------
    InputError
        Nothing usable is left (e.g. the ID was ``"//"``).
    """
    cleaned = re.sub(r"-{2,}", "-", _NOT_ALLOWED.sub("-", str(value))).strip("-")
    if not cleaned:
        raise InputError(f"{what} {value!r} has no letters or digits to build a DANDI file name from",
                         field=what, hint="use letters, digits and '-' in subject and session IDs")
    return cleaned


def dandi_relative_path(subject_id: str, session_id: str) -> Path:
    """``sub-<subject>/sub-<subject>_ses-<session>.nwb`` (sanitised IDs)."""
    subject = sanitize_id(subject_id, what="subject_id")
    session = sanitize_id(session_id, what="session_id")
    return Path(f"sub-{subject}") / f"sub-{subject}_ses-{session}.nwb"


def dandi_path(root: str | os.PathLike, subject_id: str, session_id: str, *, create: bool = True) -> Path:
    """The DANDI-layout path of a session under ``root``; creates ``root/sub-<subject>/`` with ``create``."""
    path = Path(root) / dandi_relative_path(subject_id, session_id)
    if create:
        from nwbtms.io.atomic import make_folder

        make_folder(path.parent)
    return path
