"""Visual quality-control page of one NWB file: streamed reads, matplotlib figures, one HTML file; and the study
page of a folder of them.

Use :func:`write_report` (the ``nwbtms report FILE`` command) or :func:`render_report` for the page in memory;
:func:`nwbtms.report.study.write_study_report` (``nwbtms report DIR``) for the study page.
"""

from nwbtms.report.build import FIGURES, Report, render_report, write_report

__all__ = ["FIGURES", "Report", "render_report", "write_report"]
