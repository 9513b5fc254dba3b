"""The ``sksearch`` command (issue #30 item 3): a console script with
``--version``, a ``--help`` that imports nothing heavy, one-line errors for
whatever a user can get wrong, quiet under a closed pipe, and honest words
for ties and for several objectives."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from sksearch import Study, copy_study
from sksearch.cli import main

ROOT = Path(__file__).resolve().parents[1]
# what pip's generated ``sksearch`` script runs (the installed one may point
# at another checkout of the package)
SCRIPT = "import sys; from sksearch.cli import main; sys.exit(main())"


def _sksearch(*args, **kwargs):
    return subprocess.run([sys.executable, "-c", SCRIPT, *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, **kwargs)


def test_the_console_script_is_declared_and_resolves():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, function = scripts["sksearch"].split(":")
    assert (module, function) == ("sksearch.cli", "main")


def test_version_and_help_answer_without_importing_scikit_learn():
    import sksearch

    done = _sksearch("--version")
    assert done.returncode == 0 and done.stdout == f"sksearch {sksearch.__version__}\n"
    probe = ("import sys; from sksearch.cli import main; main(['--help']); "
             "print(sorted(m for m in ('sklearn', 'numpy', 'pandas', 'scipy') "
             "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "studies" in done.stdout and "dashboard" in done.stdout and "--version" in done.stdout
    assert done.stdout.splitlines()[-1] == "[]"


def test_help_is_fast():
    # under 0.05 s on an idle machine (python -X importtime -m sksearch --help);
    # the bound is generous because test machines are loaded
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sksearch", "--help"], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0 and done.stdout.startswith("usage: sksearch")
    assert elapsed < 3.0


@pytest.mark.parametrize("content", [b"\x00garbage" * 400, b"SQLite format 3\x00garbage"],
                         ids=["random", "bad-header"])
def test_a_corrupted_file_is_one_line_not_a_traceback(tmp_path, content):
    path = tmp_path / "bad.db"
    path.write_bytes(content)
    for args in (["studies", str(path)], ["studies", f"sqlite:///{path}", "show", "s"]):
        done = _sksearch(*args)
        assert done.returncode == 1
        assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1
        assert done.stderr.startswith("sksearch studies: ") and "damaged" in done.stderr


def test_a_missing_file_or_study_is_one_line(tmp_path, capsys):
    done = _sksearch("studies", str(tmp_path / "none.db"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr == f"sksearch studies: no study file {str(tmp_path / 'none.db')!r}\n"
    assert not (tmp_path / "none.db").exists()
    url = _storage(tmp_path, [Study(study_name="s", direction="maximize")])
    assert main(["studies", url, "show", "nope"]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "No study named 'nope'" in err
    assert main(["studies"]) == 2  # argparse's own usage message
    assert "Traceback" not in capsys.readouterr().err


def _storage(tmp_path, studies):
    url = f"sqlite:///{tmp_path / 'search.db'}"
    for study in studies:
        copy_study(from_study_name=study.study_name, from_storage=study._storage,
                   to_storage=url)
    return url


def test_a_closed_pipe_is_quiet(tmp_path):
    # `sksearch studies URL show s --all | head -1`: far more than a pipe's
    # buffer, and a reader that stops after one line
    study = Study(study_name="s", direction="maximize", sampler="random", random_state=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1),
                   n_trials=1500)
    url = _storage(tmp_path, [study])
    shell = (f"{sys.executable} -c '{SCRIPT}' studies {url} show s --all | head -1; "
             "echo \"status ${PIPESTATUS[0]}\"")
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert done.stdout.startswith("study 's' (maximize), 1500 trials\n")
    assert done.stdout.splitlines()[-1] == "status 141"
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    assert done.stderr == ""


def test_ties_are_ties_not_a_pareto_front(tmp_path, capsys):
    tie = Study(study_name="tie", direction="maximize", sampler="random", random_state=0)
    tie.optimize(lambda t: 1.0 + 0 * t.suggest_float("x", 0, 1), n_trials=2)
    tie.optimize(lambda t: 0.5 + 0 * t.suggest_float("x", 0, 1), n_trials=1)
    url = _storage(tmp_path, [tie])
    assert main(["studies", url, "show", "tie"]) == 0
    out = capsys.readouterr().out
    assert "Pareto" not in out
    assert "2 trials tie for best, value 1: #0, #1; parameters of #0:" in out


def test_several_objectives_are_named_and_have_no_nan_best(tmp_path, capsys):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from sksearch import BayesSearchCV

    X, y = load_iris(return_X_y=True)
    url = f"sqlite:///{tmp_path / 'search.db'}"
    search = BayesSearchCV(LogisticRegression(max_iter=200), {"C": [0.1, 1.0, 10.0]},
                           n_iter=3, cv=2, scoring=["accuracy"], refit=False,
                           objectives=["accuracy", "fit_time"], random_state=0,
                           storage=url, study_name="two").fit(X, y)
    assert main(["studies", url]) == 0
    listing = capsys.readouterr().out
    assert "NaN" not in listing and "nan" not in listing
    row = next(line for line in listing.splitlines() if line.split()[0] == "two")
    n_front = len(search.study_.best_trials)
    assert "max accuracy, min fit_time" in row and f"{n_front} on front" in row
    assert main(["studies", url, "show", "two"]) == 0
    shown = capsys.readouterr().out
    assert shown.splitlines()[0] == "study 'two' (maximize accuracy, minimize fit_time), 3 trials"
    assert shown.splitlines()[1].startswith(f"Pareto front: {n_front} trial")
    assert "accuracy 0." in shown.splitlines()[1] and "NaN" not in shown
    table = shown.split("trials:\n", 1)[1].splitlines()
    assert table[0].split()[:4] == ["number", "state", "accuracy", "fit_time"]
