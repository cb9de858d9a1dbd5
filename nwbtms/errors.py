"""The one error hierarchy of nwbtms.

Every error a user can cause is an :class:`NwbtmsError`. Each carries where the problem is
(``file``, ``line``, ``field``) and how to fix it (``hint``), so the CLI can print it without a
traceback and exit with :attr:`NwbtmsError.exit_code`.

Raise the most specific subclass where the problem is found::

    raise SourceError("sample rate must be positive, got 0", file=path,
                      field="header/AcquisitionSampleRate", hint="re-export the recording")
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike


@dataclass(frozen=True)
class Problem:
    """One located problem, for errors that report several at once.

    Attributes
    ----------
    message : str
        What is wrong.
    file, line, field, hint : optional
        Where it is (``field`` is a JSON path such as ``/devices/coil/shape`` or a channel name)
        and how to fix it.
    """

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    hint: str | None = None

    def location(self) -> str:
        """``file:line: field`` with the parts that are known."""
        parts = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line is not None else self.file)
        if self.field:
            parts.append(self.field)
        return ": ".join(parts)

    def __str__(self) -> str:
        loc = self.location()
        text = f"{loc}: {self.message}" if loc else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class NwbtmsError(Exception):
    """Base of every nwbtms error; the CLI prints it without a traceback.

    Parameters
    ----------
    message : str
        What is wrong, in the user's terms.
    file : str or PathLike, optional
        The file the problem is in.
    line : int, optional
        1-based line in ``file``.
    field : str, optional
        Field, JSON path, channel or dataset name.
    hint : str, optional
        How to fix it.
    problems : list of Problem, optional
        Further located problems reported together (e.g. every schema violation at once).
    """

    #: Process exit code the CLI uses for this error (2: bad input or usage).
    exit_code: int = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | PathLike | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.line = line
        self.field = field
        self.hint = hint
        self.problems = list(problems or [])
        super().__init__(str(self))

    def __str__(self) -> str:
        head = str(Problem(self.message, self.file, self.line, self.field, self.hint))
        if not self.problems:
            return head
        body = "\n".join(f"- {p}".replace("\n", "\n  ") for p in self.problems)
        return f"{head}\n{body}"


class InputError(NwbtmsError):
    """Bad input from the user: a file, option or value nwbtms cannot use."""


class MetadataError(InputError):
    """A session metadata file is invalid (schema, placeholders, dangling keys)."""


class ProtocolError(InputError):
    """A protocol definition is invalid or physically inconsistent."""


class SourceError(InputError):
    """A raw file (DAQ, log, navigator, imaging, segmentation) is missing, truncated or malformed."""


class ChannelNotFoundError(SourceError):
    """A requested channel does not exist; the message lists the channels that do."""


class UnsafePickleError(SourceError):
    """A pickle (e.g. Suite2p ``stat.npy``) holds objects outside the safe allow-list."""


class OutputExistsError(InputError):
    """The output file exists and ``overwrite`` was not requested."""


class ConfigError(InputError):
    """A configuration file (validator config, batch options) is invalid."""


class ConversionError(NwbtmsError):
    """Conversion failed after the inputs were accepted; no output file was left behind."""

    exit_code = 1


class OutputError(NwbtmsError):
    """An output could not be written (no space left, read-only, permission...); nothing was left behind."""

    exit_code = 1


class ExtensionValueError(InputError):
    """A value rejected by an ndx-tms constructor, re-raised with nwbtms context."""
