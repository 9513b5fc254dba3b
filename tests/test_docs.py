"""Every example in the documentation runs, and the docs build without warnings."""

import doctest
import pathlib
import subprocess
import sys

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted((DOCS / "guide").glob("*.rst"))


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_examples_run(page):
    if page.stem == "analysis":
        pytest.importorskip("matplotlib")
    result = doctest.testfile(str(page), module_relative=False, verbose=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0


@pytest.mark.slow
def test_sphinx_build_has_no_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("numpydoc")
    pytest.importorskip("myst_parser")
    completed = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(DOCS), str(tmp_path / "html")], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr


def test_benchmarks_open_with_one_table_and_the_readme_links_its_rows():
    # issue #30 item 6: a reader finds the current figure of a claim at once
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "benchmarks.md").read_text()
    readme = (root / "README.md").read_text()
    first_table = page.index("| claim | today's figure | target | met? | command | date |")
    assert page.find("\n## ", page.index("## At a glance") + 1) == -1 or \
        page.find("\n## ", page.index("## At a glance") + 1) > first_table
    rows = [line for line in page.splitlines() if line.startswith('| <span id="claim-')]
    anchors = [re.search(r'id="(claim-[a-z-]+)"', row).group(1) for row in rows]
    assert len(rows) >= 8 and len(set(anchors)) == len(anchors)
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 7
        assert re.fullmatch(r"2026-\d\d-\d\d", cells[5]) and cells[4].startswith("`python")
        section = re.search(r"\(benchmarks_history\.md#([a-z0-9_-]+)\)", cells[6]).group(1)
        assert section  # the dated section the figure comes from
    history = (root / "docs" / "benchmarks_history.md").read_text()
    assert len(page.splitlines()) < 60 and len(history.splitlines()) > 1000
    linked = set(re.findall(r"docs/benchmarks\.md#(claim-[a-z-]+)", readme))
    assert len(linked) >= 8 and linked <= set(anchors)
    assert "benchmarks_history" in (root / "docs" / "index.rst").read_text()
