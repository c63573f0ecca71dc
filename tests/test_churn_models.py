"""Churn models (Pareto/NBD, BG/NBD): golden values on CDNOW, a cross-check against the
``lifetimes`` package, property tests, the summary builder and the error messages."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam_analysis.churn import (
    HOMOGENEOUS_S,
    MIN_CUSTOMERS,
    MIN_REPEAT_CUSTOMERS,
    BGNBDFit,
    ParetoNBDFit,
    check_inputs,
    customer_summary,
    expected_purchases,
    fit_bg_nbd,
    fit_model,
    fit_pareto_nbd,
    p_alive,
    to_weeks,
    value_at_risk,
)

CDNOW = Path(__file__).resolve().parent / "data" / "cdnow_customers_summary.csv"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """CDNOW sample: 2,357 customers, calibration 1997-01-01..1997-09-30 (39 weeks),
    frequency / recency / T in weeks (as shipped with the ``lifetimes`` package)."""
    return pd.read_csv(CDNOW, index_col="ID")


@pytest.fixture(scope="module")
def pareto(cdnow: pd.DataFrame) -> ParetoNBDFit:
    return fit_pareto_nbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture(scope="module")
def bgnbd(cdnow: pd.DataFrame) -> BGNBDFit:
    return fit_bg_nbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])


# --- (1) golden values -------------------------------------------------------------------


def test_cdnow_sample_is_the_published_one(cdnow: pd.DataFrame) -> None:
    assert len(cdnow) == 2357
    assert cdnow["T"].max() == pytest.approx(38.86)
    assert int(cdnow["frequency"].sum()) == 2457


def test_bg_nbd_matches_the_paper(bgnbd: BGNBDFit) -> None:
    """Fader, Hardie & Lee (2005), section 5: r 0.243, alpha 4.414, a 0.793, b 2.426,
    LL -9582.4."""
    assert bgnbd.params == pytest.approx((0.243, 4.414, 0.793, 2.426), rel=0.01)
    assert bgnbd.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    assert (bgnbd.model, bgnbd.time_unit, bgnbd.customers) == ("bg_nbd", "week", 2357)


def test_pareto_nbd_matches_the_published_values(pareto: ParetoNBDFit) -> None:
    """Fader, Hardie & Lee (2005, Pareto/NBD on CDNOW): r 0.553, alpha 10.58, s 0.606,
    beta 11.67, LL -9595.0."""
    assert pareto.params == pytest.approx((0.553, 10.58, 0.606, 11.67), rel=0.01)
    assert pareto.log_likelihood == pytest.approx(-9595.0, abs=0.1)
    assert (pareto.model, pareto.time_unit, pareto.customers) == ("pareto_nbd", "week", 2357)


@pytest.mark.parametrize("model", ["pareto_nbd", "bg_nbd"])
def test_grouping_does_not_move_the_optimum(cdnow: pd.DataFrame, model: str,
                                           request: pytest.FixtureRequest) -> None:
    grouped = request.getfixturevalue("pareto" if model == "pareto_nbd" else "bgnbd")
    every = fit_model(cdnow["frequency"], cdnow["recency"], cdnow["T"], model,
                      group_identical=False)
    assert every.params == pytest.approx(grouped.params, rel=1e-3)
    assert every.log_likelihood == pytest.approx(grouped.log_likelihood, abs=1e-6)


def test_fit_is_frozen(pareto: ParetoNBDFit) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        pareto.r = 1.0  # type: ignore[misc]


@pytest.mark.parametrize("model", ["pareto_nbd", "bg_nbd"])
def test_every_customer_matches_lifetimes(cdnow: pd.DataFrame, pareto: ParetoNBDFit,
                                          bgnbd: BGNBDFit, model: str) -> None:
    """Reference: the ``lifetimes`` package (0.11.3), given our parameters, for P(alive)
    and the expected purchases in 13 weeks of every CDNOW customer; its own fit lands
    on the same parameters."""
    lifetimes = pytest.importorskip("lifetimes")
    fit = pareto if model == "pareto_nbd" else bgnbd
    fitter = lifetimes.ParetoNBDFitter() if model == "pareto_nbd" else lifetimes.BetaGeoFitter()
    names = ("r", "alpha", "s", "beta") if model == "pareto_nbd" else ("r", "alpha", "a", "b")
    fitter.params_ = pd.Series(dict(zip(names, fit.params, strict=True)))
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    reference_alive = np.asarray(fitter.conditional_probability_alive(f, r, T), dtype=float)
    reference_purchases = np.asarray(
        fitter.conditional_expected_number_of_purchases_up_to_time(13, f, r, T), dtype=float)
    np.testing.assert_allclose(p_alive(fit, f, r, T), reference_alive, rtol=1e-4)
    np.testing.assert_allclose(expected_purchases(fit, f, r, T, 13), reference_purchases,
                               rtol=1e-4)
    # lifetimes' own optimum on CDNOW (computed once with lifetimes 0.11.3)
    own = {"pareto_nbd": (0.553282, 10.577815, 0.606189, 11.667444),
           "bg_nbd": (0.242593, 4.413532, 0.792886, 2.425752)}[model]
    assert fit.params == pytest.approx(own, rel=1e-3)


# --- (1b) the homogeneous dropout limit -------------------------------------------------


def _homogeneous_sample(customers: int, seed: int, r: float = 1.5, alpha: float = 10.0,
                        mu: float = 0.03) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pareto/NBD with one dropout rate ``mu`` for everyone (the gamma shape s
    infinite); ages of 26, 52, 78 or 104 weeks, recency rounded up to whole weeks."""
    rng = np.random.default_rng(seed)
    age = rng.choice([26.0, 52.0, 78.0, 104.0], customers)
    rate = rng.gamma(r, 1 / alpha, customers)
    life = np.minimum(rng.exponential(1 / mu, customers), age)
    x = rng.poisson(rate * life)
    last = life * rng.beta(np.maximum(x, 1), 1.0)  # the latest of x uniform purchases
    return x.astype(float), np.where(x > 0, np.ceil(last), 0.0), age


def test_homogeneous_dropout_is_recovered_and_marked(pareto: ParetoNBDFit) -> None:
    fit = fit_pareto_nbd(*_homogeneous_sample(20_000, seed=0))
    assert fit.homogeneous_dropout and fit.s == HOMOGENEOUS_S
    assert fit.s / fit.beta == pytest.approx(0.03, rel=0.05)
    assert (fit.r, fit.alpha) == pytest.approx((1.5, 10.0), rel=0.05)
    assert not pareto.homogeneous_dropout  # CDNOW: heterogeneous


def _exponential_lifetime(r: float, alpha: float, mu: float, x: float, t_x: float,
                          T: float) -> tuple[float, float]:
    """P(alive) and expected purchases in 13 weeks of Pareto/NBD with an exponential
    lifetime of rate ``mu``, by numerical integration (the reference)."""
    from scipy.integrate import quad

    k = r + x  # both parts scaled by (alpha + t_x) ** k
    alive = ((alpha + T) / (alpha + t_x)) ** -k * np.exp(-mu * T)
    dead = quad(lambda u: mu * np.exp(-mu * u) * ((alpha + u) / (alpha + t_x)) ** -k, t_x, T,
                epsabs=0, epsrel=1e-12)[0]
    p = alive / (alive + dead)
    return p, p * k / (alpha + T) * (1 - np.exp(-mu * 13)) / mu


@pytest.mark.parametrize("customer", [(0, 0, 30), (1, 5, 40), (4, 20, 20.5), (30, 60, 104),
                                      (200, 150, 156)])
def test_homogeneous_figures_equal_the_exponential_lifetime(customer) -> None:
    """In the limit the figures are those of one exponential lifetime (to 1e-6), and
    they continue those of a large finite s (s = 99 against the limit: to 0.5 %; not
    for 200 repeat purchases, where the hypergeometric form fails at s = 99)."""
    r, alpha, mu = 3.7, 14.2, 0.0008
    limit = ParetoNBDFit(r=r, alpha=alpha, s=HOMOGENEOUS_S, beta=HOMOGENEOUS_S / mu,
                         log_likelihood=0.0, customers=0, homogeneous_dropout=True)
    close = ParetoNBDFit(r=r, alpha=alpha, s=99.0, beta=99.0 / mu, log_likelihood=0.0,
                         customers=0)
    x, t_x, T = ([float(v)] for v in customer)
    reference = _exponential_lifetime(r, alpha, mu, x[0], t_x[0], T[0])
    got = (p_alive(limit, x, t_x, T)[0], expected_purchases(limit, x, t_x, T, 13)[0])
    assert got == pytest.approx(reference, rel=1e-6)
    if x[0] < 200:
        near = (p_alive(close, x, t_x, T)[0], expected_purchases(close, x, t_x, T, 13)[0])
        assert near == pytest.approx(reference, rel=5e-3)


# --- (2) properties ----------------------------------------------------------------------

PARAMS = [
    ParetoNBDFit(r=0.553, alpha=10.58, s=0.606, beta=11.67, log_likelihood=0.0, customers=0),
    ParetoNBDFit(r=2.0, alpha=3.0, s=1.0, beta=20.0, log_likelihood=0.0, customers=0),
    ParetoNBDFit(r=0.3, alpha=30.0, s=1.5, beta=2.0, log_likelihood=0.0, customers=0),
    # the homogeneous dropout limit (mu = 0.03 per week)
    ParetoNBDFit(r=1.5, alpha=10.0, s=HOMOGENEOUS_S, beta=HOMOGENEOUS_S / 0.03,
                 log_likelihood=0.0, customers=0, homogeneous_dropout=True),
    BGNBDFit(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0, customers=0),
    BGNBDFit(r=2.0, alpha=5.0, a=1.5, b=4.0, log_likelihood=0.0, customers=0),
]
DAY = 1.0 / 7.0


@st.composite
def customers(draw: st.DrawFn) -> tuple[float, float, float, float]:
    """(x, recency, recency2, T) in weeks with 0 < recency <= recency2 <= T for x > 0."""
    age = draw(st.integers(1, 700)) * DAY
    x = draw(st.integers(0, 40))
    if x == 0:
        return 0.0, 0.0, 0.0, age
    low, high = sorted(draw(st.integers(1, round(age * 7))) * DAY for _ in range(2))
    return float(x), low, high, age


SETTINGS = settings(max_examples=60, deadline=None)


@SETTINGS
@given(fit=st.sampled_from(PARAMS), customer=customers())
def test_p_alive_is_a_probability_that_grows_with_recency(fit, customer) -> None:
    x, low, high, age = customer
    alive = p_alive(fit, [x, x], [low, high], [age, age])
    assert np.all((alive >= 0) & (alive <= 1))
    assert alive[0] <= alive[1] + 1e-12


@SETTINGS
@given(fit=st.sampled_from(PARAMS), customer=customers(),
       horizons=st.tuples(st.floats(0, 104), st.floats(0, 104)))
def test_expected_purchases_are_non_negative_and_grow_with_the_horizon(
        fit, customer, horizons) -> None:
    x, low, _, age = customer
    short, long = sorted(horizons)
    few = expected_purchases(fit, [x], [low], [age], short)[0]
    more = expected_purchases(fit, [x], [low], [age], long)[0]
    assert np.isfinite(few) and np.isfinite(more)
    assert few >= -1e-12
    assert few <= more * (1 + 1e-9) + 1e-12


@SETTINGS
@given(fit=st.sampled_from(PARAMS), age=st.integers(1, 700))
def test_a_customer_without_repeat_purchase(fit, age) -> None:
    alive = p_alive(fit, [0], [0], [age * DAY])[0]
    if fit.model == "bg_nbd":
        assert alive == 1.0
    else:
        assert 0 < alive < 1


def test_value_at_risk_is_value_times_death_probability() -> None:
    np.testing.assert_allclose(value_at_risk([100.0, 50.0, 0.0], [0.25, 1.0, 0.1]),
                               [75.0, 0.0, 0.0])


# --- (3) summary builder and errors ------------------------------------------------------


def test_summary_by_hand() -> None:
    frame = pd.DataFrame({
        "customer_id": ["c1", "c1", "c1", "c1", "c2", "c3", "c3", "c4"],
        "order_date": [date(2024, 1, 1), date(2024, 1, 1), datetime(2024, 1, 5, 23, 30),
                       date(2024, 1, 10), date(2024, 1, 20), date(2024, 1, 15),
                       date(2024, 2, 5), date(2024, 2, 2)],
    })
    summary = customer_summary(frame, date(2024, 1, 31))
    expected = pd.DataFrame({"frequency": [2, 0, 0], "recency": [9, 0, 0], "T": [30, 11, 16]},
                            index=pd.Index(["c1", "c2", "c3"], name="customer_id"))
    pd.testing.assert_frame_equal(summary, expected)
    np.testing.assert_allclose(to_weeks(summary["T"]), [30 / 7, 11 / 7, 16 / 7])
    check_inputs(summary["frequency"], to_weeks(summary["recency"]), to_weeks(summary["T"]))


def test_summary_errors() -> None:
    with pytest.raises(ValueError, match=r"missing: \['order_date'\]"):
        customer_summary(pd.DataFrame({"customer_id": ["a"]}), date(2024, 1, 1))
    with pytest.raises(ValueError, match="1 rows have no 'customer_id'"):
        customer_summary(pd.DataFrame({"customer_id": [None], "order_date": ["2024-01-01"]}),
                         date(2024, 1, 1))
    with pytest.raises(ValueError, match="is not a date"):
        customer_summary(pd.DataFrame({"customer_id": ["a"], "order_date": ["soon"]}),
                         date(2024, 1, 1))


@pytest.mark.parametrize(("x", "t_x", "T", "message"), [
    ([1, 2], [1], [2, 3], r"equal length; got shapes \(2,\), \(1,\), \(2,\)"),
    ([1.5], [1], [2], r"whole number: 1 customers, first at position 0 \(frequency=1.5"),
    ([2], [3], [2], r"recency must not exceed T.*recency=3.0, T=2.0"),
    ([0], [1], [2], "recency must be 0 without a repeat purchase"),
    ([1], [-1], [2], "recency must not be negative"),
    ([1], [np.nan], [2], "values must be finite"),
])
def test_input_errors(x, t_x, T, message) -> None:
    with pytest.raises(ValueError, match=message):
        check_inputs(x, t_x, T)


def test_fit_errors(pareto: ParetoNBDFit) -> None:
    few = MIN_CUSTOMERS - 1
    with pytest.raises(ValueError, match=f"{few} customers, at least {MIN_CUSTOMERS} needed"):
        fit_model(np.ones(few), np.ones(few), np.full(few, 2.0))
    with pytest.raises(ValueError, match=f"0 of 40 customers made a repeat purchase, at least "
                                         f"{MIN_REPEAT_CUSTOMERS} needed"):
        fit_model(np.zeros(40), np.zeros(40), np.full(40, 10.0), "bg_nbd")
    with pytest.raises(ValueError, match="unknown churn model 'bgnbd'"):
        fit_model(np.zeros(40), np.zeros(40), np.full(40, 10.0), "bgnbd")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="horizon t must be"):
        expected_purchases(pareto, [1], [1], [2], -1.0)


def test_an_estimate_on_a_slope_is_no_maximum() -> None:
    """A ridge the optimiser left early (the likelihood still rising along it) names the
    coordinate; a true maximum, a skipped coordinate and a gain within the rounding
    name none."""
    from kam_analysis.churn.fitting import RISING_GAIN, _still_rising

    names = ("r", "alpha", "a", "b")
    bowl = lambda p: float(np.sum(p ** 2))  # noqa: E731 - minimum at 0
    assert _still_rising(bowl, np.zeros(4), names, skip=None) == []
    ridge = lambda p: float(np.sum(p[:2] ** 2) + 1e-3 * np.exp(-p[2]))  # noqa: E731
    assert _still_rising(ridge, np.zeros(4), names, skip=None) == ["a"]
    assert _still_rising(ridge, np.zeros(4), names, skip=2) == []
    flat = lambda p: float(np.sum(p[:2] ** 2) + RISING_GAIN / 10 * np.exp(-p[2]))  # noqa: E731
    assert _still_rising(flat, np.zeros(4), names, skip=None) == []


@pytest.mark.parametrize("model", ["pareto_nbd", "bg_nbd"])
def test_fit_that_does_not_converge_names_the_values(model: str) -> None:
    """Everyone who came back bought again on the last day: nobody ever drops out, so
    the dropout parameters run away."""
    x = np.array([3.0] * 20 + [0.0] * 20)
    with pytest.raises(ValueError, match=rf"cannot fit {model}: .*r=[0-9.]+, alpha="):
        fit_model(x, np.where(x > 0, 20.0, 0.0), np.full(40, 20.0), model)
