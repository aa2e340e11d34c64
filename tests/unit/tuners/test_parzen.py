"""The Parzen estimators: the fast density path agrees with the exact log-sum-exp, and is normalized."""

from __future__ import annotations

import numpy as np
import pytest

from tunelab.tuners._parzen import CategoricalParzen, NumericParzen, recency_weights, split_good_bad


@pytest.mark.parametrize("bounded", [True, False])
def test_fast_log_pdf_matches_exact(bounded: bool) -> None:
    rng = np.random.default_rng(0)
    points = rng.random(300) if bounded else rng.normal(size=300)
    model = NumericParzen.fit(points, recency_weights(300, 25), bounded=bounded, prior_weight=1.0)
    x = rng.random(50) if bounded else rng.normal(scale=3, size=50)
    np.testing.assert_allclose(model.log_pdf(x), model._log_pdf_exact(x), rtol=1e-5, atol=1e-5)


def test_far_points_fall_back_to_the_exact_path() -> None:
    model = NumericParzen.fit(np.zeros(5), np.ones(5), bounded=False, prior_weight=0.0)
    out = model.log_pdf(np.array([0.0, 1e3]))
    assert np.isfinite(out).all()
    assert out[1] < -1e4


def test_bounded_density_integrates_to_one() -> None:
    rng = np.random.default_rng(1)
    model = NumericParzen.fit(rng.random(40), np.ones(40), bounded=True, prior_weight=1.0)
    grid = np.linspace(0, 1, 20001)
    assert np.trapezoid(np.exp(model.log_pdf(grid)), grid) == pytest.approx(1.0, abs=1e-3)
    samples = model.sample(rng, 1000)
    assert samples.min() >= 0.0
    assert samples.max() <= 1.0


def test_categorical_probabilities_and_sparse_path_agree() -> None:
    options, weights = np.array([0, 0, 2]), np.ones(3)
    dense = CategoricalParzen.fit(options, weights, size=4, prior_weight=1.0)
    np.testing.assert_allclose(np.exp(dense.log_pdf(np.arange(4))), [3 / 7, 1 / 7, 2 / 7, 1 / 7])
    sparse = CategoricalParzen.fit(np.array([0, 0, 9999]), weights, size=10_000, prior_weight=1.0)
    p = np.exp(sparse.log_pdf(np.array([0, 5, 9999])))
    np.testing.assert_allclose(p, np.array([3, 1, 2]) / 10_003)
    draws = sparse.sample(np.random.default_rng(0), 500)
    assert ((draws >= 0) & (draws < 10_000)).all()


def test_split_and_weights_follow_nni_counts() -> None:
    losses = np.arange(100.0)[::-1]
    good, bad = split_good_bad(losses, 0.25, 25)
    assert len(good) == 3  # ceil(0.25 * sqrt(100))
    assert set(good) == {97, 98, 99}
    assert len(bad) == 97
    assert (np.diff(bad) > 0).all()  # time order kept
    assert len(split_good_bad(np.zeros(100_000), 0.25, 25)[0]) == 25
    w = recency_weights(30, 25)
    assert w[-25:].tolist() == [1.0] * 25
    assert w[0] == pytest.approx(1 / 30)
