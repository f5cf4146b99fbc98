"""The interval macros in macros/statistics.sql, rendered to SQL and run in DuckDB, against scipy.

Wilson's interval is checked against the roots of the score test found numerically; the exact Poisson seed against
chi-square quantiles; Byar's approximation against the exact limits it approximates and against a second,
independent evaluation of its formula.
"""

from __future__ import annotations

import csv
import math
from functools import lru_cache
from pathlib import Path

import duckdb
import jinja2
import pytest
import yaml
from scipy.optimize import brentq
from scipy.stats import chi2, norm

from conftest import PROJECT_DIR, SEEDS_DIR

Z = norm.ppf(0.975)


@lru_cache(maxsize=1)
def project_vars() -> dict:
    return yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def render(expression: str) -> str:
    """Render a macro call with the project's macros and vars, as dbt would."""
    macros = (PROJECT_DIR / "macros" / "statistics.sql").read_text()
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    template = environment.from_string(macros + "{{ " + expression + " }}")
    return template.render(var=lambda name: project_vars()[name]).strip()


def evaluate(expression: str, rows: list[tuple], columns: str) -> list[float]:
    con = duckdb.connect()
    con.execute(f"create table cases ({columns})")
    con.executemany(f"insert into cases values ({', '.join('?' for _ in rows[0])})", rows)
    with open(SEEDS_DIR / "config" / "poisson_exact_limits.csv", encoding="utf-8") as handle:
        exact = [(int(r["observed"]), float(r["lower_limit"]), float(r["upper_limit"])) for r in csv.DictReader(handle)]
    con.execute("create table exact_limits (observed integer, lower_limit double, upper_limit double)")
    con.executemany("insert into exact_limits values (?, ?, ?)", exact)
    sql = (f"select {render(expression)} from cases "
           "left join exact_limits on cases.observed = exact_limits.observed order by cases.case_id"
           if "observed" in columns else f"select {render(expression)} from cases order by case_id")
    return [row[0] for row in con.execute(sql).fetchall()]


def wilson_by_root_finding(numerator: float, denominator: float) -> tuple[float, float]:
    """The proportions p where the score statistic |p_hat - p| / sqrt(p (1 - p) / n) equals z."""
    p_hat = numerator / denominator

    def score(p: float) -> float:
        return abs(p_hat - p) - Z * math.sqrt(p * (1 - p) / denominator)

    # The score is negative strictly inside the interval and positive outside; bracket each root accordingly.
    inside = min(max(p_hat, 1e-12), 1 - 1e-12)
    lower = 0.0 if numerator == 0 else brentq(score, 1e-15, inside)
    upper = 1.0 if numerator == denominator else brentq(score, inside, 1 - 1e-15)
    return lower, upper


SHARE_CASES = [(0, 20), (1, 20), (5, 20), (19, 20), (20, 20), (0, 1), (1, 1), (3, 7), (120, 1000), (4999, 10000)]


@pytest.mark.parametrize("bound", ["lower", "upper"])
def test_wilson_interval_matches_the_score_test_roots(bound: str) -> None:
    rows = [(i, float(n), float(d)) for i, (n, d) in enumerate(SHARE_CASES)]
    got = evaluate(f"wilson_{bound}('numerator', 'denominator')", rows,
                   "case_id integer, numerator double, denominator double")
    for (numerator, denominator), value in zip(SHARE_CASES, got):
        expected = wilson_by_root_finding(numerator, denominator)[0 if bound == "lower" else 1]
        assert value == pytest.approx(expected, abs=1e-9), (numerator, denominator)


def test_wilson_edge_cases_by_hand() -> None:
    """0 of 20: lower 0, upper z^2 / (20 + z^2); 20 of 20: upper 1, lower 20 / (20 + z^2)."""
    rows = [(0, 0.0, 20.0), (1, 20.0, 20.0)]
    lower = evaluate("wilson_lower('numerator', 'denominator')", rows, "case_id integer, numerator double, denominator double")
    upper = evaluate("wilson_upper('numerator', 'denominator')", rows, "case_id integer, numerator double, denominator double")
    assert lower[0] == pytest.approx(0.0, abs=1e-12)
    assert upper[0] == pytest.approx(Z**2 / (20 + Z**2), rel=1e-12)
    assert upper[1] == pytest.approx(1.0, abs=1e-12)
    assert lower[1] == pytest.approx(20 / (20 + Z**2), rel=1e-12)


def test_exact_poisson_seed_equals_chi_square_quantiles() -> None:
    with open(SEEDS_DIR / "config" / "poisson_exact_limits.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["observed"]) for r in rows] == list(range(project_vars()["poisson_exact_below"]))
    for row in rows:
        n = int(row["observed"])
        expected_lower = 0.0 if n == 0 else chi2.ppf(0.025, 2 * n) / 2
        assert float(row["lower_limit"]) == pytest.approx(expected_lower, abs=1e-9)
        assert float(row["upper_limit"]) == pytest.approx(chi2.ppf(0.975, 2 * n + 2) / 2, abs=1e-9)


def byar_by_hand(observed: int) -> tuple[float, float]:
    lower = observed * (1 - 1 / (9 * observed) - Z / (3 * math.sqrt(observed))) ** 3
    upper_count = observed + 1
    upper = upper_count * (1 - 1 / (9 * upper_count) + Z / (3 * math.sqrt(upper_count))) ** 3
    return lower, upper


POISSON_CASES = [0, 1, 2, 5, 9, 10, 11, 25, 100, 1000, 12345]


@pytest.mark.parametrize("bound", ["lower", "upper"])
def test_poisson_limits_switch_from_exact_to_byar_at_ten(bound: str) -> None:
    rows = [(i, n) for i, n in enumerate(POISSON_CASES)]
    got = evaluate(f"poisson_{bound}('cases.observed', 'exact_limits')", rows, "case_id integer, observed integer")
    for observed, value in zip(POISSON_CASES, got):
        exact = (0.0 if observed == 0 else chi2.ppf(0.025, 2 * observed) / 2,
                 chi2.ppf(0.975, 2 * observed + 2) / 2)[0 if bound == "lower" else 1]
        if observed < 10:
            assert value == pytest.approx(exact, abs=1e-9), observed
        else:
            assert value == pytest.approx(byar_by_hand(observed)[0 if bound == "lower" else 1], rel=1e-12)
            # Byar's approximation is within 1 % of the exact limit from 10 events up.
            assert value == pytest.approx(exact, rel=0.01), observed


def test_exact_limits_at_nine_and_ten_by_hand() -> None:
    """Published values: 9 events 4.1154-17.0848 (exact), 10 events about 4.7954-18.3904 (exact; Byar near)."""
    rows = [(0, 9), (1, 10)]
    lower = evaluate("poisson_lower('cases.observed', 'exact_limits')", rows, "case_id integer, observed integer")
    upper = evaluate("poisson_upper('cases.observed', 'exact_limits')", rows, "case_id integer, observed integer")
    assert (round(lower[0], 4), round(upper[0], 4)) == (4.1154, 17.0848)
    assert lower[1] == pytest.approx(4.7954, abs=0.01)
    assert upper[1] == pytest.approx(18.3904, abs=0.01)


@pytest.mark.parametrize(
    ("value", "lower", "upper", "comparator", "polarity", "expected"),
    [
        (10.0, 8.0, 12.0, 11.0, "none", "similar"),
        (10.0, 8.0, 12.0, 12.0, "none", "similar"),
        (10.0, 8.0, 12.0, 13.0, "none", "lower"),
        (10.0, 8.0, 12.0, 7.0, "none", "higher"),
        (10.0, 8.0, 12.0, 13.0, "low_is_good", "better"),
        (10.0, 8.0, 12.0, 7.0, "low_is_good", "worse"),
        (10.0, 8.0, 12.0, 13.0, "high_is_good", "worse"),
        (10.0, 8.0, 12.0, 7.0, "high_is_good", "better"),
        (10.0, None, None, 7.0, "none", None),
        (10.0, 8.0, 12.0, None, "none", None),
    ],
)
def test_compare_with(value, lower, upper, comparator, polarity, expected) -> None:
    rows = [(0, value, lower, upper, comparator, polarity, 0)]
    got = evaluate("compare_with('comparator')", rows,
                   "case_id integer, value double, ci_lower double, ci_upper double, comparator double, "
                   "polarity varchar, spv_flag integer")
    assert got == [expected]


def test_compare_with_hides_flagged_cells() -> None:
    rows = [(0, 10.0, 8.0, 12.0, 20.0, "none", 3)]
    got = evaluate("compare_with('comparator')", rows,
                   "case_id integer, value double, ci_lower double, ci_upper double, comparator double, "
                   "polarity varchar, spv_flag integer")
    assert got == [None]


def test_rendering_uses_the_project_confidence_level() -> None:
    assert str(project_vars()["confidence_z"]) in render("byar_lower('x')")
    assert Path(PROJECT_DIR / "macros" / "statistics.sql").exists()
