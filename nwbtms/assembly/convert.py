"""One command per session: metadata file + raw files -> one validated NWB file.

:func:`convert_session` validates the metadata first (every problem at once, with file:line), checks the
sources exist, reads them (pulses from the DAQ trigger, merged with the stimulator log and navigator;
imaging and segmentation), aligns the imaging clock to the DAQ (session) clock, builds the NWBFile,
writes it atomically (:func:`nwbtms.io.atomic.atomic_output`: a failure or a kill leaves no output file),
then runs the validator's fast checks on the written file.

Exit codes carried by the result and used by the CLI: 0 written, nothing blocking; 1 written but the
validator found blocking findings (the file is kept for inspection). Errors raise: bad metadata or input
:class:`~nwbtms.errors.InputError` subclasses (exit 2, nothing written); a failure after the inputs were
accepted :class:`~nwbtms.errors.ConversionError` (exit 1, nothing written).
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from nwbtms.assembly.assemble import SessionCounts, self_adding_sources
from nwbtms.errors import ConversionError, InputError, NwbtmsError, OutputExistsError, Problem, SourceError
from nwbtms.io.atomic import refuse_existing

#: Test-only hook: ``NWBTMS_TEST_MID_WRITE=sleep:<s>`` sleeps after the NWB file was written to its temporary
#: name and before the rename; ``NWBTMS_TEST_MID_WRITE=raise`` raises there. Lets tests kill or fail a
#: conversion mid-write on a tiny input. Unset in normal use.
TEST_HOOK_ENV = "NWBTMS_TEST_MID_WRITE"


@dataclass
class ConversionResult(SessionCounts):
    """What :func:`convert_session` did.

    Attributes
    ----------
    output : Path
        The NWB file written.
    metadata_file : Path or None
        The metadata file (None for a dict).
    num_pulses, num_sessions, num_frames, num_rois : int
        Delivered pulses, stimulation sessions, imaging frames (all planes), ROIs (all planes)
        (:class:`~nwbtms.assembly.assemble.SessionCounts`).
    findings : list
        Validator findings (``nwbtms.validate`` ``Finding`` objects) of the written file.
    exit_code : int
        0 nothing blocking, 1 blocking findings.
    elapsed_s : float
        Wall time of the conversion (validation included).
    output_bytes : int
        Size of the written file.
    input_bytes : int
        Total size of the sources read.
    notes : list of str
        Things the user should know (e.g. readers need hdf5plugin for the ``fast`` profile).
    """

    output: Path
    metadata_file: Path | None
    findings: list = field(default_factory=list)
    exit_code: int = 0
    elapsed_s: float = 0.0
    output_bytes: int = 0
    input_bytes: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def throughput_mb_per_s(self) -> float:
        """Input megabytes converted per second of wall time."""
        return self.input_bytes / 1e6 / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def summary(self) -> str:
        """A few lines for the terminal."""
        by_severity: dict[str, int] = {}
        for finding in self.findings:
            name = getattr(getattr(finding, "severity", None), "name", str(getattr(finding, "severity", "?")))
            by_severity[name] = by_severity.get(name, 0) + 1
        findings = ", ".join(f"{n} {name}" for name, n in sorted(by_severity.items())) or "none"
        lines = [
            f"wrote {self.output} ({self.output_bytes / 1e6:.1f} MB in {self.elapsed_s:.1f} s)",
            f"  {self.counts_line()}",
            f"  findings: {findings}" + ("  -> blocking" if self.exit_code else ""),
        ]
        if self.exit_code:  # name what blocks, with its fix: the file was kept for inspection
            from nwbtms.validate.findings import DEFAULT_FAIL_ON

            for finding in self.findings:
                if finding.severity >= DEFAULT_FAIL_ON:
                    where = f" ({finding.location})" if finding.location else ""
                    lines.append(f"  blocking: {finding.check_id}{where}: {finding.message}")
                    if finding.hint:
                        lines.append(f"    fix: {finding.hint}")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def _target_path(session, output, dandi_layout) -> Path:
    from nwbtms.dandi_layout import dandi_path

    if dandi_layout is not None:
        if output is not None:
            raise InputError("give either an output file or a DANDI layout folder, not both",
                             hint="drop -o or --dandi-layout")
        root = Path(dandi_layout)
        if root.exists() and not root.is_dir():
            raise InputError("--dandi-layout must be a folder", file=root)
        return dandi_path(root, session.subject_id, session.session_id)
    if output is None:
        raise InputError("no output given", hint="pass an output .nwb path or dandi_layout=DIR")
    output = Path(output)
    if output.suffix != ".nwb":
        raise InputError("output file name must end in .nwb", file=output, hint="e.g. -o session.nwb")
    if not output.parent.is_dir():  # checked before any source is read
        raise InputError("output folder does not exist", file=output.parent, hint="create it first (mkdir -p)")
    return output


def _folders_to_create(session, dandi_layout) -> list[Path]:
    """The folders ``--dandi-layout`` is about to create (missing now), outermost first."""
    if dandi_layout is None:
        return []
    from nwbtms.dandi_layout import dandi_path

    try:
        folder = dandi_path(dandi_layout, session.subject_id, session.session_id, create=False).parent
    except NwbtmsError:
        return []
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    return list(reversed(missing))


def _refuse_other_session(target: Path, session) -> None:
    """Two different IDs can sanitise to one DANDI name (``Maus_ü1`` and ``Maus_ä1`` -> ``sub-Maus-1``): never
    replace or skip silently a file that holds another subject or session."""
    import h5py

    try:
        with h5py.File(target, "r") as h5:
            found = {name: h5[path][()] if path in h5 else None
                     for name, path in (("subject_id", "general/subject/subject_id"),
                                        ("session_id", "general/session_id"))}
    except Exception:  # not an NWB file we can read: the usual exists/overwrite rule applies
        return
    found = {k: v.decode() if isinstance(v, bytes) else v for k, v in found.items()}
    wanted = {"subject_id": session.subject_id, "session_id": session.session_id}
    clashes = [f"{k} {found[k]!r}" for k in wanted if found[k] is not None and str(found[k]) != str(wanted[k])]
    if clashes:
        raise OutputExistsError(
            f"output file holds another session ({', '.join(clashes)}); this session "
            f"(subject_id {wanted['subject_id']!r}, session_id {wanted['session_id']!r}) maps to the same "
            "file name; it was left untouched", file=target,
            hint="give the two sessions IDs that differ in letters, digits or '-' (DANDI names keep only those)")


def _check_sources_exist(session) -> int:
    """Raise one SourceError listing every missing source; returns the total input size in bytes."""
    problems = []
    total = 0
    for key, source in session.sources.items():
        if not source.path.exists():
            problems.append(Problem(f"source '{key}' ({source.reader}) not found: {source.path}",
                                    file=_text(session.metadata_file),
                                    field=f"/sources/{key}/path",
                                    hint="check the path (relative to session.yaml)"))
            continue
        if source.path.is_dir():
            total += sum(p.stat().st_size for p in source.path.rglob("*") if p.is_file())
        else:
            total += source.path.stat().st_size
    if problems:
        raise SourceError(f"{len(problems)} source file(s) missing", file=session.metadata_file,
                          problems=problems)
    return total


def _text(path) -> str | None:
    return None if path is None else str(path)


def _test_hook() -> None:
    action = os.environ.get(TEST_HOOK_ENV, "")
    if not action:
        return
    if action == "raise":
        raise RuntimeError(f"{TEST_HOOK_ENV}=raise: simulated failure mid-write")
    if action.startswith("sleep:"):
        time.sleep(float(action.split(":", 1)[1]))


def convert_session(
    metadata: dict | str | os.PathLike,
    output: str | os.PathLike | None = None,
    *,
    overwrite: bool = False,
    dandi_layout: str | os.PathLike | None = None,
    quiet: bool = False,
    validate: bool = True,
    compression: str | None = None,
    base_dir: str | os.PathLike | None = None,
) -> ConversionResult:
    """Convert one session (metadata file or dict) into one NWB file.

    Parameters
    ----------
    metadata : dict or path
        The session metadata (``schemas/session.schema.json``).
    output : path, optional
        The ``.nwb`` file to write (or give ``dandi_layout``).
    overwrite : bool
        Replace an existing output; without it an existing file is left untouched
        (:class:`~nwbtms.errors.OutputExistsError`, before any source is read).
    dandi_layout : path, optional
        Folder to write ``sub-<id>/sub-<id>_ses-<id>.nwb`` into (IDs sanitised).
    quiet : bool
        No progress bars.
    validate : bool
        Run the validator's fast checks on the written file.
    compression : {"archive", "fast", "none"}, optional
        Movie compression for every plane (default: each plane's ``compression``, else ``archive``).
    base_dir : path, optional
        Folder source paths are relative to, for a dict (default: the working folder).

    Raises
    ------
    MetadataError, SourceError, OutputExistsError, InputError
        Bad metadata or inputs; nothing written (exit code 2).
    ConversionError
        Failure after the inputs were accepted; nothing written (exit code 1).
    """
    from nwbtms.metadata import load_session

    started = time.perf_counter()
    session = load_session(metadata, base_dir=base_dir)
    created = _folders_to_create(session, dandi_layout)
    target = _target_path(session, output, dandi_layout)
    try:
        if target.exists():
            _refuse_other_session(target, session)
            refuse_existing(target, overwrite=overwrite)
        input_bytes = _check_sources_exist(session)
        for reader, sources in self_adding_sources(session):  # e.g. NeuroConv: extra installed, interfaces known,
            reader.check_sources(sources, metadata_file=session.metadata_file)  # source data valid: before reading
        result = ConversionResult(output=target, metadata_file=session.metadata_file, input_bytes=input_bytes)
        try:
            _convert(session, target, result, overwrite=overwrite, quiet=quiet, compression=compression)
        except NwbtmsError:
            raise
        except Exception as exc:  # noqa: BLE001 - turned into a typed error; the traceback is chained
            raise ConversionError(f"conversion failed: {type(exc).__name__}: {exc}", file=target,
                                  hint="no output was written; report this with the metadata file") from exc
    except BaseException:
        for folder in reversed(created):  # a failed --dandi-layout run leaves no empty sub-<id>/ folder
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    result.output_bytes = target.stat().st_size
    if validate:
        result.findings, result.exit_code = _fast_validate(target)
    result.elapsed_s = time.perf_counter() - started
    return result


def _fast_validate(path: Path) -> tuple[list, int]:
    """The validator's fast checks: (findings, exit code)."""
    from nwbtms.validate import validate_paths

    report = validate_paths([path], fast=True)
    return list(report.findings), int(report.exit_code)


def _convert(session, target: Path, result: ConversionResult, *, overwrite: bool, quiet: bool,
             compression: str | None) -> None:
    """Read, build and write (atomically)."""
    from nwbtms.assembly.assemble import assemble_session
    from nwbtms.io.nwb_write import write_nwbfile

    assembled = assemble_session(session, quiet=quiet, compression=compression)
    for name, value in assembled.counts().items():
        setattr(result, name, value)
    result.notes.extend(note for note in dict.fromkeys(assembled.notes) if note not in result.notes)  # once each
    try:
        def fill_then_hook() -> None:
            assembled.fill(quiet=quiet)
            _test_hook()

        write_nwbfile(assembled.nwbfile, target, overwrite=overwrite, after_write=fill_then_hook)
    finally:
        assembled.close()


__all__ = ["ConversionResult", "convert_session"]
