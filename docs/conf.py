"""Sphinx configuration: the API reference comes from the numpydoc docstrings;
Markdown pages (design, benchmarks, persistence) are included through MyST."""

import sksearch

project = "sksearch"
author = "the sksearch developers"
release = version = sksearch.__version__

extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
numpydoc_show_class_members = False
autodoc_default_options = {"members": True}
html_theme = "alabaster"
myst_heading_anchors = 3
nitpicky = False
