"""The GP sampler and ``sampler="auto"``: maths against closed forms, legal and
reproducible proposals, behaviour on a benchmark function, pending trials, and
the choice ``"auto"`` makes and keeps."""

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from scipy.stats import multivariate_normal, norm

from sksearch import Study
from sksearch.distributions import Categorical, Float, Int
from sksearch.samplers import AutoSampler, GPSampler, RandomSampler, get_sampler
from sksearch.samplers._gp_model import (
    _JITTER,
    GaussianProcess,
    _Layout,
    _neg_log_posterior,
    _robust_cholesky,
    fit_gp,
    log_expected_improvement,
    log_h,
    transform_outputs,
)
from sksearch.studies import load_study
from sksearch.trial import TrialState


def _matern52(r):
    return (1 + math.sqrt(5) * r + 5 * r * r / 3) * math.exp(-math.sqrt(5) * r)


def _direct_kernel(A, B, ls, cat_ls, signal, cat_cols):
    """The kernel written out element by element."""
    K = np.empty((len(A), len(B)))
    num_cols = [j for j in range(A.shape[1]) if j not in cat_cols]
    for i, a in enumerate(A):
        for k, b in enumerate(B):
            r = math.sqrt(sum(((a[j] - b[j]) / ls[n]) ** 2 for n, j in enumerate(num_cols)))
            c = math.exp(-sum((a[j] != b[j]) / cat_ls[n] for n, j in enumerate(cat_cols)))
            K[i, k] = signal * _matern52(r) * c
    return K


def _tiny_data(seed=0, n=9):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 3))
    X[:, 2] = rng.integers(0, 3, n)
    return X, rng.standard_normal(n), np.array([False, False, True])


def test_posterior_matches_direct_computation():
    X, y, cat = _tiny_data()
    theta = np.log([0.3, 0.7, 1.5, 1.2, 0.01])
    gp = GaussianProcess(X, y, cat, theta)
    Xs = _tiny_data(seed=1, n=4)[0]
    K = _direct_kernel(X, X, [0.3, 0.7], [1.5], 1.2, [2]) + (0.01 + _JITTER) * np.eye(len(X))
    Ks = _direct_kernel(Xs, X, [0.3, 0.7], [1.5], 1.2, [2])
    mean = Ks @ np.linalg.solve(K, y)  # R&W eq. 2.25
    var = 1.2 - np.einsum("ij,ji->i", Ks, np.linalg.solve(K, Ks.T))  # eq. 2.26
    got_mean, got_var = gp.predict(Xs)
    np.testing.assert_allclose(got_mean, mean, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(got_var, var, rtol=1e-6, atol=1e-9)


def test_posterior_gradients_match_finite_differences():
    X, y, cat = _tiny_data()
    gp = GaussianProcess(X, y, cat, np.log([0.3, 0.7, 1.5, 1.2, 0.01]))
    Xs = _tiny_data(seed=2, n=3)[0]
    mean, var, dmean, dvar = gp.predict_with_gradient(Xs)
    for i in range(2):
        step = np.zeros_like(Xs)
        step[:, i] = 1e-6
        m2, v2 = gp.predict(Xs + step)
        np.testing.assert_allclose(dmean[:, i], (m2 - mean) / 1e-6, rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(dvar[:, i], (v2 - var) / 1e-6, rtol=1e-3, atol=1e-5)


def _nlp_parts(X, y, cat):
    layout = _Layout(cat)
    mean, std, _ = layout.prior()
    num, c = X[:, layout.num], X[:, layout.cat]
    sq = np.stack([(num[:, i, None] - num[None, :, i]) ** 2 for i in range(num.shape[1])])
    mm = np.stack([(c[:, j, None] != c[None, :, j]).astype(float) for j in range(c.shape[1])])
    return layout, sq, mm, mean, std


def test_log_marginal_likelihood_and_gradient():
    X, y, cat = _tiny_data()
    layout, sq, mm, mean, std = _nlp_parts(X, y, cat)
    theta = np.log([0.3, 0.7, 1.5, 1.2, 0.01])
    value, grad = _neg_log_posterior(theta, layout, y, sq, mm, mean, std)
    K = _direct_kernel(X, X, [0.3, 0.7], [1.5], 1.2, [2]) + (0.01 + _JITTER) * np.eye(len(X))
    log_lik = multivariate_normal(np.zeros(len(y)), K).logpdf(y)  # R&W eq. 2.30
    log_prior = -0.5 * np.sum(((theta - mean) / std) ** 2)
    assert value == pytest.approx(-(log_lik + log_prior), rel=1e-8)

    def f(t):
        return _neg_log_posterior(t, layout, y, sq, mm, mean, std)[0]

    np.testing.assert_allclose(grad, approx_fprime(theta, f, 1e-6), rtol=1e-4, atol=1e-5)


def test_log_ei_matches_scipy_where_stable():
    z = np.linspace(-6, 6, 49)
    reference = np.log(norm.pdf(z) + z * norm.cdf(z))
    np.testing.assert_allclose(log_h(z), reference, rtol=1e-9, atol=1e-12)
    mean, var = np.array([0.3, -0.2, 1.0]), np.array([0.5, 2.0, 0.1])
    sigma = np.sqrt(var)
    zz = (0.1 - mean) / sigma
    ei = sigma * (zz * norm.cdf(zz) + norm.pdf(zz))
    np.testing.assert_allclose(log_expected_improvement(mean, var, 0.1)[0], np.log(ei),
                               rtol=1e-9)


def test_log_ei_is_finite_and_monotone_in_the_tail():
    z = -np.logspace(0, 8, 400)[::-1]  # from -1e8 up to -1
    values = log_h(z)
    assert np.all(np.isfinite(values))
    assert np.all(np.diff(values) > 0)  # increasing in z
    # the asymptote log phi(z) - 2 log|z| far out
    far = np.array([-1e4, -1e6])
    expected = norm.logpdf(far) - 2 * np.log(-far)
    np.testing.assert_allclose(log_h(far), expected, rtol=1e-6)
    # continuity where the branches meet
    for edge in (-1.0, -1e3):
        below, above = log_h(np.array([edge * (1 + 1e-9), edge * (1 - 1e-9)]))
        assert below == pytest.approx(above, rel=1e-6)


def test_log_ei_derivatives():
    mean, var = np.array([0.3, 2.0, 9.0]), np.array([0.5, 0.3, 0.2])
    value, d_mean, d_var = log_expected_improvement(mean, var, 0.0)
    eps = 1e-7
    np.testing.assert_allclose(
        d_mean, (log_expected_improvement(mean + eps, var, 0.0)[0] - value) / eps, rtol=1e-4)
    np.testing.assert_allclose(
        d_var, (log_expected_improvement(mean, var + eps, 0.0)[0] - value) / eps, rtol=1e-4)


def test_map_fit_recovers_lengthscale_order():
    rng = np.random.default_rng(0)
    X = rng.random((40, 3))
    y = np.sin(6 * X[:, 0]) + 0.3 * X[:, 1]  # x0 wiggles, x1 is a slope, x2 is idle
    gp = fit_gp(X, transform_outputs(y), np.zeros(3, dtype=bool))
    assert gp.ls[0] < gp.ls[1] < gp.ls[2]


def test_noiseless_bowl_is_fitted_as_noiseless():
    # a noiseless bowl sampled as a search samples it once it has found the
    # optimum (points spread over the box, then clustered at the optimum): the
    # fit's noise goes below the old floor of 1e-6, and the posterior mean
    # interpolates the data, so the model can still rank points near the optimum
    rng = np.random.default_rng(0)
    X = np.vstack([rng.random((20, 2)), 0.4 + 0.02 * rng.standard_normal((20, 2))])
    y = transform_outputs(((X - 0.4) ** 2).sum(1))
    gp = fit_gp(X, y, np.zeros(2, dtype=bool))
    assert gp.noise < 1e-7
    np.testing.assert_allclose(gp.predict(X)[0], y, atol=1e-4)


@pytest.mark.parametrize("seed", [0, 1])
def test_noisy_data_get_their_noise(seed):
    # a smooth function plus Gaussian noise of known variance: the fit finds
    # that variance (in standardised units), not an interpolation of the noise
    rng = np.random.default_rng(seed)
    X = rng.random((40, 2))
    y = np.sin(4 * X[:, 0]) + X[:, 1] + 0.3 * rng.standard_normal(40)
    gp = fit_gp(X, (y - y.mean()) / y.std(), np.zeros(2, dtype=bool))
    assert 0.3 < gp.noise / (0.3 / y.std()) ** 2 < 3


def test_cholesky_jitter_is_raised_until_it_succeeds():
    # a correlation matrix with an eigenvalue of -1e-9 (rounding in a fit of
    # repeated points): not positive definite with the first jitter, 1e-10
    S = np.array([[1.0, 1.0 + 1e-9], [1.0 + 1e-9, 1.0]])
    assert np.linalg.eigvalsh(S)[0] < -1e-10
    L = np.tril(_robust_cholesky(S, 0.0)[0])
    jitter = (L @ L.T - S)[0, 0]
    np.testing.assert_allclose(L @ L.T, S + jitter * np.eye(2), rtol=0, atol=1e-12)
    assert 1e-9 < jitter <= 1e-6


def test_transform_outputs_keeps_order_and_handles_constants():
    y = np.array([1e6, 3.0, 0.1, 50.0, 2e3])
    t = transform_outputs(y)
    assert np.array_equal(np.argsort(t), np.argsort(y))
    assert np.all(transform_outputs(np.ones(5)) == 0)


def _mixed_objective(trial):
    x = trial.suggest_float("x", -2, 2)
    lr = trial.suggest_float("lr", 1e-4, 1, log=True)
    n = trial.suggest_int("n", 0, 20, step=2)
    m = trial.suggest_int("m", 1, 256, log=True)
    q = trial.suggest_float("q", 0, 1, step=0.25)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    return (x - 0.3) ** 2 + (math.log10(lr) + 2) ** 2 + (n - 7) ** 2 / 10 + (
        math.log2(m) - 4) ** 2 / 8 + q + {"a": 1.0, "b": 0.0, "c": 0.5}[kind]


def test_proposals_are_legal():
    study = Study(direction="minimize", sampler=GPSampler(seed=0))
    study.optimize(_mixed_objective, n_trials=16)
    for t in study.trials:
        p = t.params
        assert -2 <= p["x"] <= 2 and 1e-4 <= p["lr"] <= 1
        assert p["n"] in range(0, 21, 2) and isinstance(p["n"], int)
        assert 1 <= p["m"] <= 256 and isinstance(p["m"], int)
        assert p["q"] in (0, 0.25, 0.5, 0.75, 1.0)
        assert p["kind"] in ("a", "b", "c")
    assert "gp:theta" in study.trials[-1].system_attrs  # the model made these


def test_same_seed_same_proposals():
    runs = []
    for _ in range(2):
        study = Study(direction="minimize", sampler=GPSampler(seed=3))
        study.optimize(_mixed_objective, n_trials=13)
        runs.append([t.params for t in study.trials])
    assert runs[0] == runs[1]
    other = Study(direction="minimize", sampler=GPSampler(seed=4))
    other.optimize(_mixed_objective, n_trials=13)
    assert [t.params for t in other.trials] != runs[0]


def _branin(trial):
    x, y = trial.suggest_float("x", -5, 10), trial.suggest_float("y", 0, 15)
    b, c, t = 5.1 / (4 * np.pi**2), 5 / np.pi, 1 / (8 * np.pi)
    return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * np.cos(x) + 10 - 0.397887


def test_beats_random_search_on_branin():
    gp, rand = [], []
    for seed in range(3):
        for sampler, out in ((GPSampler(seed=seed), gp), (RandomSampler(seed=seed), rand)):
            study = Study(direction="minimize", sampler=sampler)
            study.optimize(_branin, n_trials=30)
            out.append(study.best_value)
    # typically 1e-2 against 1: a generous margin, not a pinned number
    assert np.median(gp) < np.median(rand) / 5
    assert max(gp) < 0.5


def _told(seed, n=12):
    study = Study(direction="minimize", sampler=GPSampler(seed=seed))
    study.optimize(_branin, n_trials=n)
    return study


def _params_of_ask(study):
    trial = study.ask()
    return trial, {"x": trial.suggest_float("x", -5, 10), "y": trial.suggest_float("y", 0, 15)}


def test_pending_trials_change_the_next_proposal_deterministically():
    proposals = []
    for _ in range(2):
        study = _told(seed=1)
        _params_of_ask(study)  # left running
        proposals.append(_params_of_ask(study)[1])
    assert proposals[0] == proposals[1]
    study = _told(seed=1)
    first, _ = _params_of_ask(study)
    study.tell(first, state=TrialState.FAIL)  # not pending any more
    alone = _params_of_ask(study)[1]
    assert alone != proposals[0]


def test_multi_objective_and_constraints():
    with pytest.raises(ValueError, match="one objective"):
        Study(directions=["minimize", "minimize"], sampler=GPSampler())
    study = Study(direction="minimize", sampler=GPSampler(seed=0),
                  constraints_func=lambda t: [t.params["x"] - 1.0])
    with pytest.warns(UserWarning, match="constraints"):
        study.optimize(_branin, n_trials=12)
    assert len(study.trials) == 12


def _branches(trial):
    branch = trial.suggest_categorical("branch", ["a", "b"])
    x = trial.suggest_float("x", 0, 1)
    if branch == "a":
        return x + (trial.suggest_float("u", 0, 1) - 0.3) ** 2
    return 1 + x - trial.suggest_int("k", 0, 3)


def test_branch_parameters_are_modelled_with_inactive_ones_fixed():
    sampler = GPSampler(seed=0)
    study = Study(direction="minimize", sampler=sampler)
    study.optimize(_branches, n_trials=10)
    frozen = study.trials[-1]
    space = sampler.infer_relative_search_space(study, frozen)
    assert list(space) == ["branch", "k", "u", "x"]  # u and k decided by branch
    study.optimize(_branches, n_trials=10)
    for t in study.trials:
        assert set(t.params) in ({"branch", "x", "u"}, {"branch", "x", "k"})
    assert study.best_value < 0.1  # branch a, x near 0, u near 0.3

    from sksearch.samplers._gp_space import INACTIVE, Branches

    branches = Branches(["branch", "k", "u", "x"], {
        "u": (Float(0, 1), "branch", frozenset({0.0})),
        "k": (Int(0, 3), "branch", frozenset({1.0}))})
    X = np.array([[0.0, np.nan, 0.9, 0.1], [1.0, 0.2, 0.7, 0.4]])
    imputed, mask = branches.impute(X)
    np.testing.assert_array_equal(imputed, [[0, INACTIVE, 0.9, 0.1], [1, 0.2, INACTIVE, 0.4]])
    np.testing.assert_array_equal(mask, [[0, 1, 0, 0], [0, 0, 1, 0]])


def test_parameters_no_categorical_decides_go_to_the_independent_sampler():
    sampler = GPSampler(seed=0)
    study = Study(direction="minimize", sampler=sampler)
    study.optimize(_if_on_a_number, n_trials=14)
    assert list(sampler.infer_relative_search_space(study, study.trials[-1])) == ["x"]


def test_registry_names():
    assert isinstance(get_sampler("gp", seed=1), GPSampler)
    assert isinstance(get_sampler("auto", seed=1), AutoSampler)


# -- auto ----------------------------------------------------------------------------
def _categorical_heavy(trial):
    a = trial.suggest_categorical("a", ["p", "q", "r"])
    b = trial.suggest_categorical("b", ["p", "q"])
    return (a == "p") + (b == "q") + trial.suggest_float("x", 0, 1)


def _conditional(trial):
    if trial.suggest_categorical("branch", ["a", "b"]) == "a":
        return trial.suggest_float("u", 0, 1)
    return trial.suggest_float("w", 0, 1) + 0.5


def _if_on_a_number(trial):
    x = trial.suggest_float("x", 0, 1)
    if x > 0.5:
        return x + trial.suggest_float("u", 0, 1)
    return x


@pytest.mark.parametrize("objective, choice, reason", [
    (_mixed_objective, "gp", "numerical or mixed space"),
    (_categorical_heavy, "tpe", "mostly categorical space"),
    (_conditional, "gp", "conditional space whose branches a categorical decides"),
    (_if_on_a_number, "tpe", "conditional space"),
])
def test_auto_chooses_and_records(objective, choice, reason):
    sampler = AutoSampler(seed=0)
    study = Study(direction="minimize", sampler=sampler)
    study.optimize(objective, n_trials=9)
    assert "auto:sampler" not in study.system_attrs  # still in the startup
    study.optimize(objective, n_trials=3)
    assert study.system_attrs["auto:sampler"] == choice
    assert study.system_attrs["auto:reason"] == reason
    assert sampler.choice == choice
    if choice == "gp":
        assert "gp:theta" in study.trials[-1].system_attrs
    else:
        assert not any("gp:theta" in t.system_attrs for t in study.trials)


def test_auto_several_objectives_is_tpe_at_once():
    study = Study(directions=["minimize", "minimize"], sampler="auto", random_state=0)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)),
                   n_trials=2)
    assert study.system_attrs["auto:sampler"] == "tpe"


def test_resumed_study_keeps_the_choice(tmp_path):
    storage = f"sqlite:///{tmp_path / 'auto.db'}"
    study = Study(direction="minimize", sampler="auto", storage=storage, study_name="s",
                  random_state=0)
    study.set_system_attr("auto:sampler", "tpe")  # as if decided earlier
    study.optimize(_branin, n_trials=12)
    assert not any("gp:theta" in t.system_attrs for t in study.trials)
    resumed = load_study(study_name="s", storage=storage, sampler="auto", random_state=0)
    resumed.optimize(_branin, n_trials=2)
    assert resumed.sampler.choice == "tpe"
    assert not any("gp:theta" in t.system_attrs for t in resumed.trials)


def test_gp_proposals_do_not_depend_on_the_storage(tmp_path):
    # the fit is warm-started from the hyperparameters a finished trial
    # recorded (gp:theta), which a storage keeps as it keeps every attribute
    memory = Study(direction="minimize", sampler=GPSampler(seed=5))
    memory.optimize(_branin, n_trials=13)
    stored = Study(direction="minimize", sampler=GPSampler(seed=5),
                   storage=f"sqlite:///{tmp_path / 'gp.db'}", study_name="g")
    stored.optimize(_branin, n_trials=13)
    assert [t.params for t in memory.trials] == [t.params for t in stored.trials]
    assert stored.trials[-1].system_attrs["gp:theta"] == memory.trials[-1].system_attrs[
        "gp:theta"]


def test_search_verbose_shows_auto_choice(capsys):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from sksearch import BayesSearchCV

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        BayesSearchCV(LogisticRegression(max_iter=200), {"C": Float(1e-3, 1e3, log=True)},
                      n_iter=11, cv=2, sampler="auto", verbose=1, random_state=0).fit(X, y)
    assert "sampler='auto' chose 'gp'" in capsys.readouterr().out


def test_space_kinds_are_read_from_distributions():
    # the rule reads the distributions of finished trials
    from sksearch.samplers.auto import choose_sampler

    study = Study(direction="minimize", sampler="random", random_state=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 3)
                   + (t.suggest_categorical("c", ["a", "b"]) == "a"), n_trials=3)
    assert choose_sampler(study.trials) == ("gp", "numerical or mixed space")
    assert isinstance(study.trials[0].distributions["c"], Categorical)
    assert isinstance(study.trials[0].distributions["n"], Int)


def test_fit_is_capped_to_the_best_and_the_most_recent_trials():
    from sksearch.samplers.gp import _Data

    data = _Data(["x"], [Float(0, 1)], {})
    data.rows = [[i / 100] for i in range(30)]
    data.losses = [float((i * 7) % 30) for i in range(30)]  # a permutation of 0..29
    data.numbers = list(range(30))
    X, losses, order = data.arrays(max_points=10)
    assert len(X) == 10
    best = set(np.argsort(data.losses)[:5])
    assert best <= set(order)  # the 5 best ...
    assert set(order) - best == set(sorted(set(range(30)) - best)[-5:])  # ... and 5 latest
    assert list(order) == sorted(order)  # by trial number


@pytest.mark.parametrize("sampler", ["gp", "auto"])
def test_search_with_branches_and_parallel_candidates(sampler):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    from sksearch import BayesSearchCV

    X, y = load_iris(return_X_y=True)
    space = [{"estimator": [SVC()], "estimator__C": Float(1e-2, 1e2, log=True)},
             {"estimator": [LogisticRegression(max_iter=300)],
              "estimator__C": Float(1e-3, 1e3, log=True)}]
    from sklearn.pipeline import Pipeline

    pipe = Pipeline([("estimator", SVC())])
    runs = []
    for _ in range(2):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search = BayesSearchCV(pipe, space, n_iter=13, cv=2, sampler=sampler, n_jobs=2,
                                   random_state=0).fit(X, y)
        runs.append([p["estimator__C"] for p in search.cv_results_["params"]])
    assert len(runs[0]) == 13 and search.best_score_ > 0.9
    assert runs[0] == runs[1]  # two workers: still a function of the trial order
