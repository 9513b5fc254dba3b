"""Parameter importances on functions with known answers."""

import numpy as np
import pytest

from sksearch import BayesSearchCV, Study
from sksearch.importance import param_importances
from sksearch.space import make_search_space


def random_study(objective, n_trials=120, seed=0):
    study = Study(direction="minimize", sampler="random", random_state=seed)
    study.optimize(objective, n_trials=n_trials)
    return study


def known_answer(trial):
    x = trial.suggest_float("x", -1, 1)
    y = trial.suggest_float("y", -1, 1)
    trial.suggest_float("z", -1, 1)
    return 10 * x**2 + y


@pytest.mark.parametrize("method", ["fanova", "permutation"])
def test_known_answer_ranks_x_then_y_and_z_near_zero(method):
    shares = param_importances(random_study(known_answer), method=method, random_state=0)
    assert list(shares)[:2] == ["x", "y"]
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["z"] < 0.05
    assert shares["x"] > 0.5


def test_fanova_matches_analytic_variance_shares():
    # f = 10 x^2 + y on [-1, 1]^2: Var(10 x^2) = 100 * 4/45, Var(y) = 1/3
    study = random_study(known_answer, n_trials=300)
    shares = param_importances(study, random_state=0)
    expected_x = (100 * 4 / 45) / (100 * 4 / 45 + 1 / 3)
    assert shares["x"] == pytest.approx(expected_x, abs=0.06)


def test_log_scaled_and_categorical_parameters():
    def objective(trial):
        lr = trial.suggest_float("lr", 1e-5, 1.0, log=True)
        kind = trial.suggest_categorical("kind", ["a", "b", "c"])
        trial.suggest_int("noise", 1, 100, log=True)
        return (np.log10(lr) + 3) ** 2 + {"a": 0.0, "b": 4.0, "c": 8.0}[kind]

    shares = param_importances(random_study(objective, 150), random_state=0)
    assert set(list(shares)[:2]) == {"lr", "kind"}
    assert shares["noise"] < 0.05


def test_conditional_space():
    space = make_search_space([{"kind": ["lin"], "a": [0.0, 1.0, 2.0]},
                               {"kind": ["sq"], "b": list(np.linspace(-1, 1, 9))}])

    def objective(trial):
        p = space.sample(trial)
        return 5 + p["a"] if p["kind"] == "lin" else p["b"] ** 2

    shares = param_importances(random_study(objective, 150), random_state=0)
    assert set(shares) == {"__branch__", "a", "b"}
    # which branch runs dominates; "a" is present exactly in one branch, so it
    # carries the same information and may share the credit with the branch
    assert shares["__branch__"] + shares["a"] > 0.8
    assert list(shares)[-1] == "b"


def test_reproducible_and_accepts_a_fitted_search():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from sksearch.distributions import Float

    X, y = load_iris(return_X_y=True)
    search = BayesSearchCV(LogisticRegression(max_iter=300),
                           {"C": Float(1e-4, 10, log=True), "tol": Float(1e-5, 1e-2, log=True)},
                           n_iter=12, cv=3, sampler="random", random_state=0).fit(X, y)
    a = param_importances(search, random_state=1)
    assert a == param_importances(search, random_state=1)
    assert list(a)[0] == "C"


def test_errors():
    study = Study()
    with pytest.raises(ValueError, match="at least 2 complete trials"):
        param_importances(study)
    study.optimize(lambda t: t.suggest_int("n", 3, 3) + 1.0, n_trials=3)
    with pytest.raises(ValueError, match="No parameter varies"):
        param_importances(study)
    with pytest.raises(ValueError, match="method"):
        param_importances(study, method="shap")


def _main_effects_by_definition(tree, n_features):
    """Each feature's main effect straight from Hutter et al.'s definition,
    node by node and segment by segment (quadratic in the leaves): what
    ``_tree_main_effects`` computed before it was vectorised."""
    lower, upper, values = [], [], []
    stack = [(0, np.zeros(n_features), np.ones(n_features))]
    while stack:
        node, low, high = stack.pop()
        left, right = tree.children_left[node], tree.children_right[node]
        if left == -1:
            lower.append(low), upper.append(high), values.append(tree.value[node].ravel()[0])
            continue
        feature, threshold = tree.feature[node], tree.threshold[node]
        left_high, right_low = high.copy(), low.copy()
        left_high[feature] = min(high[feature], threshold)
        right_low[feature] = max(low[feature], threshold)
        stack += [(left, low, left_high), (right, right_low, high)]
    lower, upper, values = np.array(lower), np.array(upper), np.array(values)
    widths = np.clip(upper - lower, 0, None)
    volume = widths.prod(axis=1)
    mean = np.sum(volume * values)
    total = np.sum(volume * (values - mean) ** 2)
    effects = []
    for j in range(n_features):
        cuts = np.unique(np.concatenate([[0.0, 1.0], lower[:, j], upper[:, j]]))
        centres = (cuts[:-1] + cuts[1:]) / 2
        others = np.divide(volume, widths[:, j], out=np.zeros_like(volume),
                           where=widths[:, j] > 0)
        inside = (centres[:, None] >= lower[:, j]) & (centres[:, None] < upper[:, j])
        marginal = inside @ (others * values)
        effects.append(np.sum(np.diff(cuts) * (marginal - mean) ** 2) / total)
    return np.array(effects)


@pytest.mark.parametrize("n", [60, 1500])
def test_fast_main_effects_agree_with_the_definition(n):
    """The vectorised main effects (seconds instead of minutes at 20,000
    trials) are those of the definition, and rank the known function alike."""
    from sklearn.ensemble import RandomForestRegressor

    from sksearch.importance import _tree_main_effects

    rng = np.random.default_rng(0)
    X = rng.random((n, 3))
    y = 10 * (X[:, 0] - 0.5) ** 2 + X[:, 1]  # known_answer on the unit cube
    forest = RandomForestRegressor(n_estimators=4, max_depth=64, random_state=0).fit(X, y)
    fast = np.array([_tree_main_effects(t.tree_, 3) for t in forest.estimators_])
    slow = np.array([_main_effects_by_definition(t.tree_, 3) for t in forest.estimators_])
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)
    assert list(np.argsort(-fast.mean(axis=0))) == list(np.argsort(-slow.mean(axis=0))) \
        == [0, 1, 2]
