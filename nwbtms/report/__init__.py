"""Visual quality-control page of one NWB file: streamed reads, matplotlib figures, one HTML file.

Use :func:`write_report` (the ``nwbtms report`` command) or :func:`render_report` for the page in memory.
"""

from nwbtms.report.build import FIGURES, Report, render_report, write_report

__all__ = ["FIGURES", "Report", "render_report", "write_report"]
