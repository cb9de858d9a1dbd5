"""Assemble the report page: one self-contained HTML file (inline CSS, PNGs as base64 data URIs).

The page loads nothing from anywhere: no external stylesheet, script, font or image. A few lines of
inline script mark on the root element whether every image decoded (``data-images-loaded``), which
the headless-browser test reads back.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from nwbtms.report.reader import Header

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1080px; color: #111; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
figure { margin: 0.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #444; }
.absent { color: #7a4b00; background: #fff6e0; padding: 0.4em 0.6em; border-left: 4px solid #E69F00; }
.error { color: #7a1d00; background: #ffece6; padding: 0.4em 0.6em; border-left: 4px solid #D55E00; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.1em 1em; font-size: 0.9em; }
.facts dt { font-weight: 600; }
.facts dd { margin: 0; }
code { font-size: 0.9em; }
"""

#: Marks ``<html data-images-loaded="ok">`` once every image decoded, else ``failed:<n>``.
LOAD_CHECK = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var bad = images.filter(function (img) { return !(img.complete && img.naturalWidth > 0); });
  document.documentElement.setAttribute("data-images-loaded", bad.length ? "failed:" + bad.length : "ok");
  document.documentElement.setAttribute("data-image-count", String(images.length));
});
"""


@dataclass
class Section:
    """One section of the page: a figure (PNG bytes) or a note saying why it is absent."""

    fig_id: str
    title: str
    png: bytes | None = None
    caption: str = ""
    absent: str | None = None
    error: str | None = None
    extra_html: list[str] = field(default_factory=list)


class RawHtml(str):
    """Markup built by this package (e.g. a link), put into a table cell as it is."""


def esc(value: object) -> str:
    """HTML-escape ``value`` as text (a :class:`RawHtml` stays as it is)."""
    return value if isinstance(value, RawHtml) else html.escape(str(value), quote=True)


def link_html(href: str, text: str) -> RawHtml:
    """An ``<a>`` to ``href`` (already URL-encoded) showing ``text``."""
    return RawHtml(f'<a href="{html.escape(href, quote=True)}">{esc(text)}</a>')


def table_html(headers: Sequence[str], rows: Sequence[Sequence[object]], *, caption: str = "") -> str:
    """A small HTML table of escaped text (cells that are :class:`RawHtml` as they are)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{n} B"
        value /= 1024
    return f"{n} B"


def header_html(header: Header) -> str:
    """The page header: subject, session, protocols, devices and file facts."""
    facts = [
        ("file", header.path),
        ("size", _size(header.size_bytes)),
        ("NWB version", header.nwb_version),
        ("ndx-tms version", header.ndx_tms_version),
        ("identifier", header.identifier),
        ("session", header.session_id or "(no session_id)"),
        ("session start", header.session_start_time),
        ("description", header.session_description),
        ("subject", "; ".join(f"{k}: {v}" for k, v in header.subject.items()) or "absent"),
        ("protocols", ", ".join(header.protocols) or "absent"),
    ]
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts)
    devices = (
        table_html(["device", "type", "details"], header.devices)
        if header.devices
        else '<p class="absent">No devices in /general/devices.</p>'
    )
    storage_rows = [
        (
            d.path,
            "x".join(map(str, d.shape)),
            d.dtype,
            _size(d.logical_bytes),
            _size(d.stored_bytes),
            f"{d.logical_bytes / d.stored_bytes:.2f}" if d.stored_bytes else "-",
            ", ".join(d.filters) or "none",
            "x".join(map(str, d.chunks)) if d.chunks else "contiguous",
        )
        for d in header.datasets
    ]
    storage = table_html(
        ["largest datasets", "shape", "dtype", "size", "stored", "ratio", "compression", "chunks"],
        storage_rows,
    )
    return (
        f'<header id="header"><h1>nwbtms report: {esc(header.session_id or header.identifier)}</h1>'
        f'<dl class="facts">{dl}</dl><h2>Devices</h2>{devices}<h2>Storage</h2>{storage}</header>'
    )


def section_html(section: Section) -> str:
    """One section: heading, then the figure, or why it is absent or failed, then any tables."""
    parts = [f'<section id="{esc(section.fig_id)}-section"><h2>{esc(section.title)}</h2>']
    if section.png is not None:
        data = base64.b64encode(section.png).decode("ascii")
        parts.append(
            f'<figure id="{esc(section.fig_id)}"><img src="data:image/png;base64,{data}" '
            f'alt="{esc(section.title)}"><figcaption>{esc(section.caption)}</figcaption></figure>'
        )
    if section.absent:
        parts.append(f'<p class="absent">{esc(section.absent)}</p>')
    if section.error:
        parts.append(f'<p class="error">This section could not be drawn: {esc(section.error)}</p>')
    parts.extend(section.extra_html)
    parts.append("</section>")
    return "".join(parts)


def assemble_page(header: Header, sections: Sequence[Section], *, generator: str) -> str:
    """The whole self-contained page."""
    title = f"nwbtms report: {header.session_id or header.identifier}"
    return page_html(title, header_html(header), sections, generator=generator)


def page_html(title: str, header: str, sections: Sequence[Section], *, generator: str) -> str:
    """A self-contained page: ``header`` (markup), a section menu, the sections, the generator line."""
    nav = " | ".join(f'<a href="#{esc(s.fig_id)}-section">{esc(s.title)}</a>' for s in sections)
    body = "".join(section_html(s) for s in sections)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{STYLE}</style><script>{LOAD_CHECK}</script></head><body>"
        f"{header}<nav>{nav}</nav>{body}"
        f"<footer><p><small>{esc(generator)}</small></p></footer></body></html>\n"
    )
