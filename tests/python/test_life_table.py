"""The life_table macro (macros/life_table.sql), rendered with jinja2 and run in DuckDB, against an independent
numpy implementation of the same method: Chiang's abridged life table (Chiang II) with Chiang's variance and
Silcocks' term for the open band, as the ONS/PHE life expectancy calculator.

Compared to 4 decimals for e0, e30 and their standard errors on hand-made tables: ordinary rates, a band with no
deaths, a closed band whose q is capped at 1, small populations; plus edge cases and a simulation check of the
variance.
"""

from __future__ import annotations

import math
from functools import lru_cache

import duckdb
import jinja2
import numpy as np
import pytest
import yaml

from conftest import PROJECT_DIR, SEEDS_DIR

LOWER_AGES = [0, 1] + list(range(5, 95, 5))  # 0, 1-4, 5-9, ..., 85-89, 90+
WIDTHS = [1, 4] + [5] * 17 + [None]  # the open band has no width


@lru_cache(maxsize=1)
def project_vars() -> dict:
    return yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def render(relation: str, group_columns: list[str], radix: float | None = None) -> str:
    """Render the macro with plain jinja2 and the project's vars only, as tests/python/test_statistics_macros.py."""
    macros = (PROJECT_DIR / "macros" / "life_table.sql").read_text()
    arguments = f"'{relation}', {group_columns!r}" + (f", radix={radix}" if radix is not None else "")
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    template = environment.from_string(macros + "{{ life_table(" + arguments + ") }}")
    return template.render(var=lambda name: project_vars()[name])


def run_macro(tables: dict[str, dict], radix: float | None = None) -> dict[tuple[str, int], dict]:
    """tables: name -> {'bands': [...], 'person_years': [...], 'deaths': [...]}; rows keyed (name, band)."""
    con = duckdb.connect()
    con.execute("create table table_input (case_id varchar, sex varchar, life_table_band integer, "
                "band_width integer, person_years double, deaths double)")
    rows = []
    for name, table in tables.items():
        for band, py, deaths in zip(table["bands"], table["person_years"], table["deaths"]):
            width = WIDTHS[LOWER_AGES.index(band)]
            rows.append((name, "0", band, width if width is not None else 31, py, deaths))
    con.executemany("insert into table_input values (?, ?, ?, ?, ?, ?)", rows)
    result = con.execute(f"select * from ({render('table_input', ['case_id', 'sex'], radix)}) as life_table")
    columns = [c[0] for c in result.description]
    return {(r[0], r[columns.index("life_table_band")]): dict(zip(columns, r)) for r in result.fetchall()}


def chiang_by_hand(bands: list[int], person_years: list[float], deaths: list[float], radix: float = 100_000.0):
    """Independent implementation, a plain loop over the bands. Returns e and Var(e) for every band."""
    k = len(bands)
    n = np.array([WIDTHS[LOWER_AGES.index(b)] or 0 for b in bands], dtype=float)
    a = np.array([0.1 if b == 0 else 0.5 for b in bands])
    pop = np.asarray(person_years, dtype=float)
    dth = np.asarray(deaths, dtype=float)
    m = dth / pop
    q = np.empty(k)
    var_q = np.zeros(k)
    for i in range(k - 1):
        q[i] = n[i] * m[i] / (1 + n[i] * (1 - a[i]) * m[i])
        if q[i] >= 1:
            q[i] = 1.0  # capped: no sampling variance (Chiang's expression is <= 0 there)
        else:
            var_q[i] = n[i] ** 2 * m[i] * (1 - a[i] * n[i] * m[i]) / (pop[i] * (1 + (1 - a[i]) * n[i] * m[i]) ** 3)
    q[-1] = 1.0
    l = np.empty(k)
    l[0] = radix
    for i in range(1, k):
        l[i] = l[i - 1] * (1 - q[i - 1])
    d = l * q
    big_l = n * (l - d) + a * n * d
    big_l[-1] = l[-1] / m[-1]
    t = np.array([big_l[i:].sum() for i in range(k)])
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.where(l > 0, t / l, np.nan)
    terms = np.empty(k)
    for i in range(k - 1):
        e_next = e[i + 1] if l[i + 1] > 0 else 0.0
        terms[i] = l[i] ** 2 * ((1 - a[i]) * n[i] + e_next) ** 2 * var_q[i]
    terms[-1] = l[-1] ** 2 / m[-1] ** 4 * (dth[-1] / pop[-1] ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        var_e = np.where(l > 0, np.array([terms[i:].sum() for i in range(k)]) / l**2, np.nan)
    return e, var_e


def gompertz_table(scale: float, seed: int, hazard_shift: float = 0.0) -> dict:
    """Person-years about `scale` per band, deaths near their expectation under a Norwegian-like hazard."""
    rng = np.random.default_rng(seed)
    ages = np.array(LOWER_AGES, dtype=float)
    hazard = 0.0002 + 0.00002 * np.exp(0.095 * (ages + 2.5)) * math.exp(hazard_shift)
    hazard[0] = 0.0025
    person_years = np.round(scale * rng.uniform(0.6, 1.4, len(ages)))
    person_years[-1] = max(round(scale * 0.1), 5)
    deaths = np.round(hazard * person_years)
    deaths[-1] = max(deaths[-1], 1)
    return {"bands": list(LOWER_AGES), "person_years": person_years.tolist(), "deaths": deaths.tolist()}


def hand_made_tables() -> dict[str, dict]:
    ordinary = gompertz_table(60_000, 1)
    zero_band = gompertz_table(20_000, 2)
    zero_band["deaths"][3] = 0.0  # 10-14: no deaths, q = 0
    zero_band["deaths"][6] = 0.0  # 25-29
    capped = gompertz_table(3_000, 3, hazard_shift=0.5)
    capped["person_years"][18], capped["deaths"][18] = 40.0, 25.0  # 85-89: M = 0.625, a n M > 1, q capped at 1
    small = gompertz_table(150, 4)
    small["deaths"] = [float(x) for x in [1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 2, 2, 3, 4, 6, 8, 10, 9, 7]]
    tiny = {"bands": list(LOWER_AGES), "person_years": [12.0] * 19 + [3.0],
            "deaths": [0.0] * 14 + [1.0, 0.0, 2.0, 1.0, 3.0, 2.0]}
    return {"ordinary": ordinary, "zero_band": zero_band, "capped": capped, "small": small, "tiny": tiny}


@pytest.fixture(scope="module")
def macro_rows() -> dict:
    return run_macro(hand_made_tables())


@pytest.mark.parametrize("case", ["ordinary", "zero_band", "capped", "small", "tiny"])
@pytest.mark.parametrize("age", [0, 30])
def test_macro_matches_independent_implementation(macro_rows, case: str, age: int) -> None:
    table = hand_made_tables()[case]
    e, var_e = chiang_by_hand(table["bands"], table["person_years"], table["deaths"])
    row = macro_rows[(case, age)]
    i = LOWER_AGES.index(age)
    assert row["is_computable"]
    assert round(row["life_expectancy"], 4) == round(float(e[i]), 4)
    assert round(math.sqrt(row["life_expectancy_variance"]), 4) == round(math.sqrt(float(var_e[i])), 4)


def test_every_band_matches(macro_rows) -> None:
    for case, table in hand_made_tables().items():
        e, var_e = chiang_by_hand(table["bands"], table["person_years"], table["deaths"])
        for i, band in enumerate(LOWER_AGES):
            row = macro_rows[(case, band)]
            if np.isnan(e[i]):
                assert row["life_expectancy"] is None and row["life_expectancy_variance"] is None, (case, band)
            else:
                assert row["life_expectancy"] == pytest.approx(float(e[i]), rel=1e-9), (case, band)
                assert row["life_expectancy_variance"] == pytest.approx(float(var_e[i]), rel=1e-9, abs=1e-12)


def test_table_columns_are_consistent(macro_rows) -> None:
    rows = [macro_rows[("ordinary", band)] for band in LOWER_AGES]
    assert rows[0]["survivors"] == pytest.approx(100_000)
    assert rows[0]["fraction_lived"] == pytest.approx(0.1) and rows[1]["fraction_lived"] == pytest.approx(0.5)
    assert rows[-1]["is_open_band"] and rows[-1]["probability_of_dying"] == 1.0
    assert sum(r["table_deaths"] for r in rows) == pytest.approx(100_000)  # everybody dies
    for above, below in zip(rows, rows[1:]):
        assert below["survivors"] == pytest.approx(above["survivors"] - above["table_deaths"])
    assert rows[-1]["years_lived"] == pytest.approx(rows[-1]["survivors"] / rows[-1]["death_rate"])
    assert rows[0]["years_lived_above"] == pytest.approx(sum(r["years_lived"] for r in rows))


def test_capped_band_ends_the_table(macro_rows) -> None:
    """q capped at 1 in 85-89: nobody reaches 90, e at 90 is undefined, e at 85 is a n = 2.5 years."""
    band_85, band_90 = macro_rows[("capped", 85)], macro_rows[("capped", 90)]
    assert band_85["probability_of_dying"] == 1.0
    assert band_85["probability_of_dying_variance"] == 0.0
    assert band_90["survivors"] == 0.0
    assert band_90["life_expectancy"] is None
    assert band_85["life_expectancy"] == pytest.approx(2.5)
    assert band_85["life_expectancy_variance"] == pytest.approx(0.0)


def test_zero_deaths_band_has_q_zero(macro_rows) -> None:
    row = macro_rows[("zero_band", 10)]
    assert row["probability_of_dying"] == 0.0 and row["probability_of_dying_variance"] == 0.0
    assert macro_rows[("zero_band", 15)]["survivors"] == pytest.approx(row["survivors"])


def test_table_from_30_gives_the_same_e30() -> None:
    """e30 does not depend on the bands below 30: the model passes only the bands from 30 up."""
    full = hand_made_tables()["small"]
    start = LOWER_AGES.index(30)
    from_30 = {key: values[start:] for key, values in full.items()}
    rows = run_macro({"full": full, "from_30": from_30})
    assert rows[("from_30", 30)]["survivors"] == pytest.approx(100_000)
    assert rows[("from_30", 30)]["life_expectancy"] == pytest.approx(rows[("full", 30)]["life_expectancy"], rel=1e-12)
    assert rows[("from_30", 30)]["life_expectancy_variance"] == pytest.approx(
        rows[("full", 30)]["life_expectancy_variance"], rel=1e-12)


def test_radix_does_not_change_e_or_its_variance() -> None:
    tables = {"ordinary": hand_made_tables()["ordinary"]}
    default, unit = run_macro(tables), run_macro(tables, radix=1)
    assert unit[("ordinary", 0)]["survivors"] == pytest.approx(1.0)
    for band in (0, 30, 90):
        assert unit[("ordinary", band)]["life_expectancy"] == pytest.approx(
            default[("ordinary", band)]["life_expectancy"], rel=1e-12)
        assert unit[("ordinary", band)]["life_expectancy_variance"] == pytest.approx(
            default[("ordinary", band)]["life_expectancy_variance"], rel=1e-12)


def test_open_band_alone_by_hand() -> None:
    """Only the open band: e = 1 / M and Var(e) = Var(M) / M^4 = (D / P^2) / M^4. D = 4, P = 8: e 2, Var 1."""
    rows = run_macro({"open": {"bands": [90], "person_years": [8.0], "deaths": [4.0]}})
    assert rows[("open", 90)]["life_expectancy"] == pytest.approx(2.0)
    assert rows[("open", 90)]["life_expectancy_variance"] == pytest.approx(1.0)


def test_two_bands_by_hand() -> None:
    """85-89 (n 5, a 0.5) then 90+: M = 0.1, q = 0.5 / 1.25 = 0.4; l90 = 0.6 l85; M90 = 0.5, e90 = 2.
    L85 = 5 (1 - 0.4) + 2.5 * 0.4 = 4; L90 = 0.6 / 0.5 = 1.2 (l85 = 1); e85 = 5.2.
    Var(q) = 25 * 0.1 * 0.75 / (100 * 1.25^3) = 0.0096; Var(M90) = 10 / 20^2 = 0.025.
    Var(e90) = 0.025 / 0.5^4 = 0.4; Var(e85) = (2.5 + 2)^2 * 0.0096 + 0.6^2 * 0.4 = 0.1944 + 0.144 = 0.3384."""
    rows = run_macro({"pair": {"bands": [85, 90], "person_years": [100.0, 20.0], "deaths": [10.0, 10.0]}})
    assert rows[("pair", 85)]["probability_of_dying"] == pytest.approx(0.4)
    assert rows[("pair", 85)]["probability_of_dying_variance"] == pytest.approx(0.0096)
    assert rows[("pair", 85)]["life_expectancy"] == pytest.approx(5.2)
    assert rows[("pair", 85)]["life_expectancy_variance"] == pytest.approx(0.3384)
    assert rows[("pair", 90)]["life_expectancy"] == pytest.approx(2.0)
    assert rows[("pair", 90)]["life_expectancy_variance"] == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("change", "band_index"),
    [("person_years", 5), ("person_years", 19), ("open_band_deaths", 19)],
)
def test_tables_that_cannot_be_computed_are_null(change: str, band_index: int) -> None:
    """A band without person-years, or no deaths in the open band (L = l / M undefined): the whole table NULL."""
    table = hand_made_tables()["ordinary"]
    table = {key: list(values) for key, values in table.items()}
    if change == "person_years":
        table["person_years"][band_index] = 0.0
        table["deaths"][band_index] = 0.0
    else:
        table["deaths"][band_index] = 0.0
    rows = run_macro({"broken": table, "ordinary": hand_made_tables()["ordinary"]})
    for band in LOWER_AGES:
        row = rows[("broken", band)]
        assert not row["is_computable"]
        assert row["life_expectancy"] is None and row["life_expectancy_variance"] is None
        assert row["survivors"] is None and row["probability_of_dying"] is None
    assert rows[("ordinary", 0)]["is_computable"]  # other groups are untouched


def test_groups_are_separate() -> None:
    tables = hand_made_tables()
    together = run_macro(tables)
    for name, table in tables.items():
        alone = run_macro({name: table})
        assert alone[(name, 0)]["life_expectancy"] == pytest.approx(together[(name, 0)]["life_expectancy"], rel=1e-12)


def test_variance_agrees_with_simulation() -> None:
    """Chiang's standard error of e0 against the spread of e0 over tables with Poisson deaths: within 10 %."""
    table = gompertz_table(4_000, 5)
    pop = np.array(table["person_years"])
    rate = np.array(table["deaths"]) / pop
    rng = np.random.default_rng(20250101)
    simulated = []
    for _ in range(3000):
        deaths = rng.poisson(rate * pop).astype(float)
        if deaths[-1] == 0:
            continue
        simulated.append(chiang_by_hand(table["bands"], pop.tolist(), deaths.tolist())[0][0])
    rows = run_macro({"sim": table})
    assert math.sqrt(rows[("sim", 0)]["life_expectancy_variance"]) == pytest.approx(np.std(simulated), rel=0.10)


def test_macro_renders_with_var_only_and_bands_match_the_seed() -> None:
    sql = render("x", ["a"])
    assert "{{" not in sql and "{%" not in sql
    seed = (SEEDS_DIR / "config" / "mortality_age_bands.csv").read_text().splitlines()[1:]
    assert [int(line.split(",")[2]) for line in seed] == LOWER_AGES
    widths = [int(line.split(",")[1]) - int(line.split(",")[0]) + 1 for line in seed]
    assert widths[:-1] == WIDTHS[:-1]
