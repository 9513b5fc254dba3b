"""A decision tree that writes a line to a file at each fit, so that the
trees fitted by every process of a search (loky's workers too, which import
this module by name) can be counted: tests/test_grow.py."""

from sklearn.tree import DecisionTreeClassifier


class CountingTree(DecisionTreeClassifier):
    """``DecisionTreeClassifier`` that appends a line to ``log`` per fit."""

    def __init__(self, *, max_depth=None, random_state=None, log=None):
        super().__init__(max_depth=max_depth, random_state=random_state)
        self.log = log

    def fit(self, X, y, sample_weight=None, check_input=True):
        if self.log is not None:
            with open(self.log, "a") as f:
                f.write("tree\n")
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


def trees_fitted(log):
    try:
        with open(log) as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0
