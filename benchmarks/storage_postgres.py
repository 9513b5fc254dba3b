"""Per-trial storage overhead on PostgreSQL: sksearch against Optuna's RDBStorage.

Both libraries run the same study on the same server, in fresh databases: a
random sampler (seeded), a trivial objective of three parameters (a log float,
an int, a categorical) and one reported step, ``--n-trials`` trials in one
process. Each is also run in memory; the storage's per-trial overhead is
(time on PostgreSQL - time in memory) / trials. The arms alternate, and the
median over ``--repeats`` is reported.

Without ``--url`` a throwaway server is started as the tests do
(tests/_postgres.py: the ``postgresql`` Debian package's initdb and pg_ctl).
Optuna reaches the server through SQLAlchemy and psycopg 3
(``postgresql+psycopg://``).

    python benchmarks/storage_postgres.py --n-trials 1000 --repeats 3
    python benchmarks/storage_postgres.py --quick
"""

import argparse
import os
import statistics
import sys
import time
import uuid
import warnings


def _objective(trial):
    """The same objective for both libraries: their trials share these methods."""
    x = trial.suggest_float("x", 1e-3, 1.0, log=True)
    n = trial.suggest_int("n", 1, 10)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    trial.report(x, step=0)
    return x * n + (kind == "b")


def run_sksearch(url, n_trials):
    from sksearch import Study

    study = Study(storage=url, study_name="bench", sampler="random", random_state=0)
    start = time.perf_counter()
    study.optimize(_objective, n_trials=n_trials)
    return time.perf_counter() - start


def run_optuna(url, n_trials):
    import optuna

    if url is not None:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    study = optuna.create_study(storage=url, study_name="bench",
                                sampler=optuna.samplers.RandomSampler(seed=0))
    start = time.perf_counter()
    study.optimize(_objective, n_trials=n_trials)
    return time.perf_counter() - start


def _server(url):
    """(a function giving the URL of a new database, a cleanup)."""
    import psycopg

    if url is None:
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
        from _postgres import start_server

        server = start_server()
        admin, make_url, cleanup = server.socket_url("postgres"), server.url, server.destroy
    else:
        admin, cleanup = url, (lambda: None)
        base = url.rsplit("/", 1)[0]

        def make_url(name):
            return f"{base}/{name}"

    def new_database():
        name = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return make_url(name)

    return new_database, cleanup


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--url", default=None,
                        help="postgresql://user:password@host/db of a database allowed to "
                             "CREATE DATABASE; default: start a throwaway server")
    parser.add_argument("--quick", action="store_true", help="100 trials, 1 repeat")
    args = parser.parse_args()
    if args.quick:
        args.n_trials, args.repeats = 100, 1

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    new_database, cleanup = _server(args.url)
    arms = {("sksearch", "memory"): lambda: run_sksearch(None, args.n_trials),
            ("sksearch", "postgres"): lambda: run_sksearch(new_database(), args.n_trials),
            ("optuna", "memory"): lambda: run_optuna(None, args.n_trials),
            ("optuna", "postgres"): lambda: run_optuna(new_database(), args.n_trials)}
    times = {arm: [] for arm in arms}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for arm in arms:  # warm-up: imports, the server's caches
                run = run_sksearch if arm[0] == "sksearch" else run_optuna
                run(None if arm[1] == "memory" else new_database(), 20)
            for _ in range(args.repeats):
                for arm, run in arms.items():
                    times[arm].append(run())
    finally:
        cleanup()

    print(f"{args.n_trials} trials, random sampler, trivial objective, median of "
          f"{args.repeats}")
    print(f"{'library':<10}{'memory ms/trial':>17}{'postgres ms/trial':>19}"
          f"{'overhead ms/trial':>19}")
    for library in ("sksearch", "optuna"):
        memory = statistics.median(times[(library, "memory")]) / args.n_trials * 1e3
        server = statistics.median(times[(library, "postgres")]) / args.n_trials * 1e3
        print(f"{library:<10}{memory:>17.2f}{server:>19.2f}{server - memory:>19.2f}")


if __name__ == "__main__":
    main()
