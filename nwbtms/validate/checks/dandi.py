"""Step 5: the DANDI upload gate, offline: what ``dandi upload`` refuses, read straight from the HDF5 file.

Reading from HDF5 (not from pynwb objects) keeps the gate working when the objects cannot be built.
Sources: dandi-cli 0.81 (dandi/metadata/util.py, dandi/files/bases.py: species map, sex, age, subject_id, time zone,
external links, layout ``sub-<id>/sub-<id>_ses-<id>...nwb``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import h5py

from nwbtms.io.h5read import read_text as _read_text
from nwbtms.validate.checks._shared import PassHits, shared
from nwbtms.validate.context import FileContext
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import Hit, define, register_check

DANDI_SUBJECT = define("dandi.subject", Severity.CRITICAL, 5, "The file has a Subject.",
                       "Add a Subject (pynwb.file.Subject) with subject_id, species, sex and age.")
DANDI_SUBJECT_ID = define("dandi.subject_id", Severity.CRITICAL, 5, "subject_id is given and has no '/'.",
                          "Set Subject.subject_id without slashes (it becomes the sub-<id> folder).")
DANDI_SPECIES = define("dandi.species", Severity.CRITICAL, 5, "species is in DANDI's species map or an NCBITaxon IRI.",
                       "Use a Latin binomial DANDI knows (e.g. 'Mus musculus') or "
                       "'http://purl.obolibrary.org/obo/NCBITaxon_<id>'.")
DANDI_SEX = define("dandi.sex", Severity.CRITICAL, 5, "sex is one of M, F, U, O.", "Set Subject.sex to M, F, U or O.")
DANDI_AGE = define(
    "dandi.age", Severity.CRITICAL, 5,
    "age is an ISO 8601 duration (or range) or date_of_birth is given.",
    "Write age like 'P84D', 'P12W', a range 'P10W/P12W' or open 'P90Y/', or set date_of_birth.")
DANDI_SESSION_START = define(
    "dandi.session_start_time", Severity.CRITICAL, 5,
    "session_start_time carries a time zone.",
    "Write session_start_time as a timezone-aware datetime.")
DANDI_SESSION_ID = define("dandi.session_id", Severity.CRITICAL, 5, "session_id has no '/'.",
                          "Remove slashes from NWBFile.session_id.")
DANDI_EXTERNAL_LINKS = define("dandi.external_links", Severity.CRITICAL, 5, "The file has no HDF5 external links.",
                              "Copy the linked data into the file (DANDI refuses external links).")
DANDI_FILE_NAME = define("dandi.file_name", Severity.BEST_PRACTICE_VIOLATION, 5,
                         "A DANDI-layout file name matches the subject and session inside the file.",
                         "Rename to sub-<subject_id>/sub-<subject_id>_ses-<session_id>_<modalities>.nwb "
                         "(dandi organize does this).")

#: DANDI's species map (dandi-cli ``dandi/metadata/util.py`` ``species_map``):
#: (lower-case names matched as substrings, lower-case prefix matched at the start, NCBITaxon IRI, label).
SPECIES_MAP: tuple[tuple[tuple[str, ...], str | None, str, str], ...] = (
    (("mouse", "mus musculus"), "mus", "http://purl.obolibrary.org/obo/NCBITaxon_10090", "Mus musculus"),
    (("human", "homo sapiens"), "homo", "http://purl.obolibrary.org/obo/NCBITaxon_9606", "Homo sapiens"),
    (("rat", "norvegicus"), None, "http://purl.obolibrary.org/obo/NCBITaxon_10116", "Rattus norvegicus"),
    (("rattus rattus",), None, "http://purl.obolibrary.org/obo/NCBITaxon_10117", "Rattus rattus"),
    (("mulatta", "rhesus"), None, "http://purl.obolibrary.org/obo/NCBITaxon_9544", "Macaca mulatta"),
    (("pig-tailed macaque", "pigtail monkey", "pigtail macaque", "macaca nemestrina"), None,
     "http://purl.obolibrary.org/obo/NCBITaxon_9545", "Macaca nemestrina"),
    (("bonnet macaque", "macaca radiata"), None, "http://purl.obolibrary.org/obo/NCBITaxon_9548",
     "Macaca radiata"),
    (("jacchus", "marmoset"), None, "http://purl.obolibrary.org/obo/NCBITaxon_9483", "Callithrix jacchus"),
    (("melanogaster", "fruit fly"), None, "http://purl.obolibrary.org/obo/NCBITaxon_7227",
     "Drosophila melanogaster"),
    (("danio", "zebrafish", "zebra fish"), None, "http://purl.obolibrary.org/obo/NCBITaxon_7955", "Danio rerio"),
    (("c. elegans", "caenorhabditis elegans"), "caenorhabditis", "http://purl.obolibrary.org/obo/NCBITaxon_6239",
     "Caenorhabditis elegans"),
    (("mongolian gerbil", "mongolian jird", "meriones unguiculatus"), None,
     "http://purl.obolibrary.org/obo/NCBITaxon_10047", "Meriones unguiculatus"),
    (("paper wasp", "polistes"), None, "http://purl.obolibrary.org/obo/NCBITaxon_7457", "Polistes"),
)
NCBI_TAXON_IRI = re.compile(r"^https?://purl\.obolibrary\.org/obo/NCBITaxon_\d+$")
SEXES = frozenset({"M", "F", "U", "O"})
_DURATION = (r"P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
             r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?")
#: ISO 8601 duration, a range of two, or an open range ``P90Y/`` (DANDI's accepted age forms).
AGE_PATTERN = re.compile(rf"^(?:{_DURATION})(?:/(?:{_DURATION})?)?$")
#: Characters dandi organize replaces by '-' in subject and session labels.
_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9-]")


#: NWB Inspector's ``check_subject_species_form`` (CRITICAL in its DANDI configuration, which ``dandi validate``
#: and ``dandi upload`` run): a Latin binomial or an http NCBITaxon IRI, matched in full.
SPECIES_FORM = re.compile(r"([A-Z][a-z]* [a-z]+)|(http://purl\.obolibrary\.org/obo/NCBITaxon_\d+)")
#: Species whose sex is written XO (male) or XX (hermaphrodite) (NWB Inspector's ``check_subject_sex``).
C_ELEGANS = ("Caenorhabditis elegans", "C. elegans")


def species_problem(species: str) -> str | None:
    """Why DANDI would refuse ``species``, or None when it is a Latin binomial in DANDI's species map or an
    NCBITaxon IRI (both NWB Inspector's form check and dandi-cli's map must accept it)."""
    if not SPECIES_FORM.fullmatch(species):
        return (f"species {species!r} is neither a Latin binomial ('Mus musculus') nor an NCBITaxon IRI "
                "('http://purl.obolibrary.org/obo/NCBITaxon_10090'); NWB Inspector's DANDI configuration "
                "refuses it (check_subject_species_form)")
    if NCBI_TAXON_IRI.match(species):
        return None
    value = species.lower().strip()
    for names, prefix, _iri, _label in SPECIES_MAP:
        if any(name in value for name in names) or (prefix and value.startswith(prefix)):
            return None
    return f"species {species!r} is not in DANDI's species map and is not an NCBITaxon IRI"


def sex_problem(sex: str | None, species: str | None) -> str | None:
    """Why DANDI would refuse ``sex`` (M, F, U, O; XO or XX for C. elegans), or None."""
    if not sex:
        return "sex is missing"
    allowed = ("XO", "XX") if species in C_ELEGANS else ("M", "F", "U", "O")
    if sex not in allowed:
        return f"sex {sex!r} is not one of {', '.join(allowed)}" + (" (C. elegans)" if species in C_ELEGANS else "")
    return None


def _labels(value: str) -> set[str]:
    """The label dandi organize writes and the one ``nwbtms convert --dandi-layout`` writes (runs of
    replaced characters collapsed, ``nwbtms.dandi_layout.sanitize_id``): a file either wrote is named right."""
    from nwbtms.dandi_layout import sanitize_id
    from nwbtms.errors import InputError

    labels = {dandi_label(value)}
    try:
        labels.add(sanitize_id(value))
    except InputError:
        pass
    return labels


def dandi_label(value: str) -> str:
    """A subject or session label as dandi organize writes it into file names."""
    return _LABEL_UNSAFE.sub("-", value)


@shared(DANDI_SUBJECT, DANDI_SUBJECT_ID, DANDI_SPECIES, DANDI_SEX, DANDI_AGE)
def subject_pass(ctx: FileContext, hits: PassHits) -> None:
    """The Subject's fields read once (a remote file reads each by byte ranges) for the five subject checks."""
    subject = ctx.h5.get("general/subject")
    if not isinstance(subject, h5py.Group):
        hits.add(DANDI_SUBJECT.hit("the file has no Subject", location="/general/subject"))
        return
    fields = {name: _read_text(subject, name) for name in ("subject_id", "species", "sex", "age", "date_of_birth")}
    for check, part in ((DANDI_SUBJECT_ID, _subject_id), (DANDI_SPECIES, _species), (DANDI_SEX, _sex),
                        (DANDI_AGE, _age)):
        hits.guard(check, part, fields)


@register_check(DANDI_SUBJECT, neurodata_type=None)
def check_subject(ctx: FileContext) -> Iterator[Hit]:
    """The file has a Subject (its fields: the four checks below, one read: :func:`subject_pass`)."""
    yield from subject_pass.hits(DANDI_SUBJECT, ctx)


@register_check(DANDI_SUBJECT_ID, neurodata_type=None)
def check_subject_id(ctx: FileContext) -> Iterator[Hit]:
    """subject_id is given and has no '/'."""
    yield from subject_pass.hits(DANDI_SUBJECT_ID, ctx)


@register_check(DANDI_SPECIES, neurodata_type=None)
def check_species(ctx: FileContext) -> Iterator[Hit]:
    """species is a Latin binomial in DANDI's species map or an NCBITaxon IRI."""
    yield from subject_pass.hits(DANDI_SPECIES, ctx)


@register_check(DANDI_SEX, neurodata_type=None)
def check_sex(ctx: FileContext) -> Iterator[Hit]:
    """sex is M, F, U or O (XO or XX for C. elegans)."""
    yield from subject_pass.hits(DANDI_SEX, ctx)


@register_check(DANDI_AGE, neurodata_type=None)
def check_age(ctx: FileContext) -> Iterator[Hit]:
    """age is an ISO 8601 duration or range, or date_of_birth is given."""
    yield from subject_pass.hits(DANDI_AGE, ctx)


@register_check(DANDI_SESSION_START, neurodata_type=None)
def check_session_start_time(ctx: FileContext) -> Iterator[Hit]:
    """session_start_time is an ISO 8601 datetime with a time zone."""
    start = _read_text(ctx.h5, "session_start_time")
    if start is not None:
        try:
            parsed = dt.datetime.fromisoformat(start)
            if parsed.tzinfo is None:
                yield DANDI_SESSION_START.hit(f"session_start_time {start!r} has no time zone",
                                              location="/session_start_time")
        except ValueError:
            yield DANDI_SESSION_START.hit(f"session_start_time {start!r} is not an ISO 8601 datetime",
                                          location="/session_start_time")


@register_check(DANDI_SESSION_ID, neurodata_type=None)
def check_session_id(ctx: FileContext) -> Iterator[Hit]:
    """session_id has no '/'."""
    session_id = _read_text(ctx.h5.get("general"), "session_id")
    if session_id and "/" in session_id:
        yield DANDI_SESSION_ID.hit(f"session_id {session_id!r} contains '/'", location="/general/session_id")


@register_check(DANDI_EXTERNAL_LINKS, neurodata_type=None)
def check_external_links(ctx: FileContext) -> Iterator[Hit]:
    """The file has no HDF5 external links."""
    for path, filename, target in ctx.tree.external_links:
        yield DANDI_EXTERNAL_LINKS.hit(f"external link to {filename}:{target}", location=path)


@register_check(DANDI_FILE_NAME, neurodata_type=None)
def check_file_name(ctx: FileContext) -> Iterator[Hit]:
    """A DANDI-layout file name (``sub-<id>[_ses-<id>]...nwb``) matches the subject and session in the file."""
    h5 = ctx.h5
    yield from _file_name(ctx.path, _read_text(h5.get("general/subject"), "subject_id"),
                          _read_text(h5.get("general"), "session_id"))


_SUBJECT = "/general/subject"


def _subject_id(fields: dict[str, str | None]) -> Iterator[Hit]:
    subject_id = fields["subject_id"]
    if not subject_id:
        yield DANDI_SUBJECT_ID.hit("subject_id is missing", location=_SUBJECT)
    elif "/" in subject_id:
        yield DANDI_SUBJECT_ID.hit(f"subject_id {subject_id!r} contains '/'", location=f"{_SUBJECT}/subject_id")


def _species(fields: dict[str, str | None]) -> Iterator[Hit]:
    species = fields["species"]
    if not species:
        yield DANDI_SPECIES.hit("species is missing", location=_SUBJECT)
        return
    problem = species_problem(species)
    if problem:
        yield DANDI_SPECIES.hit(problem, location=f"{_SUBJECT}/species")


def _sex(fields: dict[str, str | None]) -> Iterator[Hit]:
    sex = fields["sex"]
    problem = sex_problem(sex, fields["species"])
    if problem:
        yield DANDI_SEX.hit(problem, location=f"{_SUBJECT}/sex" if sex else _SUBJECT)


def _age(fields: dict[str, str | None]) -> Iterator[Hit]:
    age = fields["age"]
    if age is not None:  # as written: NWB Inspector does not strip spaces
        if not AGE_PATTERN.fullmatch(age):
            yield DANDI_AGE.hit(f"age {age!r} is not an ISO 8601 duration", location=f"{_SUBJECT}/age")
    elif not fields["date_of_birth"]:
        yield DANDI_AGE.hit("neither age nor date_of_birth is given", location=_SUBJECT)


def _file_name(path: str, subject_id: str | None, session_id: str | None) -> Iterator[Hit]:
    p = Path(path)
    match = re.match(r"^sub-([^_]+)(?:_ses-([^_]+))?(?:_.*)?\.nwb$", p.name)
    if not match:
        return
    sub, ses = match.groups()
    if subject_id is not None and sub not in _labels(subject_id):
        yield DANDI_FILE_NAME.hit(f"file name says sub-{sub} but subject_id is {subject_id!r}", location="/")
    if p.parent.name.startswith("sub-") and p.parent.name != f"sub-{sub}":
        yield DANDI_FILE_NAME.hit(f"folder {p.parent.name} does not match file name sub-{sub}", location="/")
    if ses is not None and session_id is not None and ses not in _labels(session_id):
        yield DANDI_FILE_NAME.hit(f"file name says ses-{ses} but session_id is {session_id!r}", location="/")
    if ses is not None and session_id is None:
        yield DANDI_FILE_NAME.hit(f"file name says ses-{ses} but the file has no session_id", location="/")
