"""Sums, counts and means of per-respondent values by group, vectorised (the arithmetic under
`scoring.ScoreTable`). Values come as features x respondents; groups are dense keys."""

from __future__ import annotations

import numpy as np

__all__ = ["Counted", "Grouped", "Values", "block_order", "block_sums", "dense", "group_counts", "group_sums",
           "place_counts"]


def dense(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys in ascending order, and each row's index among them."""
    if len(keys) and bool(np.all(keys[1:] >= keys[:-1])):  # already in blocks: no sort needed
        first = np.r_[True, keys[1:] != keys[:-1]]
        return keys[first], np.cumsum(first) - 1
    return np.unique(keys, return_inverse=True)


def block_order(keys: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """Row order that groups equal keys together (None: already so), and where each block starts."""
    order = None if bool(np.all(keys[1:] >= keys[:-1])) else np.argsort(keys, kind="stable")
    ordered = keys if order is None else keys[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return order, starts


def block_sums(matrix: np.ndarray, order: np.ndarray | None, starts: np.ndarray) -> np.ndarray:
    """Block sums of a features x respondents matrix, as blocks x features (for many features
    over few, large blocks, where np.add.reduceat beats a bincount per feature)."""
    return np.add.reduceat(matrix if order is None else matrix[:, order], starts, axis=1).T


def group_sums(matrix: np.ndarray, index: np.ndarray, n: int) -> np.ndarray:
    """Per group, the sums of a features x respondents matrix, as groups x features.

    One bincount per feature: it needs no sorting and runs several times faster than
    np.add.reduceat over many small blocks."""
    out = np.empty((n, matrix.shape[0]))
    for j, row in enumerate(matrix):
        out[:, j] = np.bincount(index, weights=row, minlength=n)
    return out


def place_counts(places: tuple[np.ndarray, np.ndarray], features: int, index: np.ndarray,
                 n: int) -> np.ndarray:
    """Per group, how many of the (feature, respondent) `places` (np.nonzero of a sparse
    features x respondents mask) fall in each feature, as groups x features: one bincount."""
    feature, row = places
    return np.bincount(index[row] * features + feature, minlength=n * features).reshape(n, features)


def group_counts(values: Values, index: np.ndarray, n: int) -> np.ndarray:
    """Per group, how many respondents have a value in each feature, as groups x features:
    everyone in the group less those without one (gaps are few, so one bincount over the gaps
    instead of one per feature)."""
    return np.bincount(index, minlength=n)[:, None] - place_counts(values.gaps, values.features, index, n)


class Values:
    """A features x respondents matrix with NaN for no value, split once into where a value is,
    where one is not, and the values with zeros for the gaps (every grouping reuses them)."""

    def __init__(self, values: np.ndarray) -> None:
        self.features = values.shape[0]
        self.present = ~np.isnan(values)
        self.gaps = np.nonzero(~self.present)
        self.clean = np.where(self.present, values, 0.0)


class Grouped:
    """Counts, means and spreads of per-respondent values by a key (groups in key order)."""

    def __init__(self, keys: np.ndarray, values: Values, spread: bool = True) -> None:
        self.keys, index = dense(keys)
        clean = values.clean
        self.n = group_counts(values, index, len(self.keys))
        total = group_sums(clean, index, len(self.keys))
        with np.errstate(invalid="ignore", divide="ignore"):
            self.mean = total / self.n
            if spread:  # population standard deviation, from the sums of squares
                squares = group_sums(clean * clean, index, len(self.keys))
                self.spread = np.sqrt(np.maximum(squares / self.n - self.mean ** 2, 0.0))
                self.spread[self.n < 2] = np.nan


class Counted:
    """How many respondents of each key have a value (the n of `Grouped`, without the means)."""

    def __init__(self, keys: np.ndarray, values: Values) -> None:
        self.keys, index = dense(keys)
        self.n = group_counts(values, index, len(self.keys))
