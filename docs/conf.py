"""Sphinx configuration: the API reference comes from the numpydoc docstrings;
Markdown pages (design, benchmarks, persistence) are included through MyST; the
analysis guide's pictures are drawn at build time by matplotlib's plot directive."""

import sksearch

project = "sksearch"
author = "the sksearch developers"
release = version = sksearch.__version__

extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "myst_parser",
    "matplotlib.sphinxext.plot_directive",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
numpydoc_show_class_members = False
autodoc_default_options = {"members": True}
html_theme = "alabaster"
myst_heading_anchors = 3
nitpicky = False

# the plot directive: one PNG per plot, the code shown above it, no links
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 90)]
plot_rcparams = {"figure.figsize": (7.0, 4.0)}
