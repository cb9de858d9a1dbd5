"""Sphinx configuration of the nwbtms documentation (``make docs``: API reference and how-tos, warnings as errors)."""

from nwbtms import __version__

project = "nwbtms"
release = version = __version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # signatures show the types; numpy docstrings describe them
exclude_patterns = ["_build"]
html_theme = "alabaster"
nitpicky = False
