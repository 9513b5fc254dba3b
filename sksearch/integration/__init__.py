"""Integrations with other tools; each imports its tool only when first used.

``MLflowCallback`` logs a search or a study to MLflow (``pip install
sksearch[mlflow]``).
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from ._mlflow import MLflowCallback

__all__ = ["MLflowCallback"]
