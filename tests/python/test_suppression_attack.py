"""Play the attacker on the PUBLIC database: can any primary-suppressed numerator be recomputed or narrowly bounded?

Written independently of models/intermediate/suppression (no shared code). For every additive share indicator,
period and age group the attacker sets up the linear relations among published cells (zones + remainder =
bydel or kommune, bydeler + remainder = kommune, kommuner + remainder = fylke, fylker + remainder = land,
sex 1 + sex 2 = sex 0), fixes the published numerators, treats every spv_flag 3 cell and every non-empty
remainder as an unknown non-negative count, and solves two LPs (min and max) per primary cell with HiGHS.
A cell is exposed when its interval is narrower than T + 1 (numerator_limit + 1).

What the attacker is granted beyond the public file (all of it makes the attacker stronger): the denominator of
every hidden cell and remainder (from the build database: an attacker knows each unit's population, and some
denominators are published population counts), used as an upper bound (numerator <= denominator); which
remainders are non-empty; and the numerators of cells hidden for other reasons (spv_flag 1 or 2: zero
denominators are zero numerators). A cell whose denominator is below T + 1 is exposed only when the attacker
narrows it below its whole range 0..denominator.
Which spv_flag 3 cells were primary is read from the build database's QC table.

The independent LP blocks are the connected components of the unknown cells through the relations.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy.optimize import linprog

from conftest import PipelineRun

KEY = ("indicator_id", "age_group", "period_start", "geo_level", "geo_code", "sex")


def load(run: PipelineRun):
    public = duckdb.connect(str(run.public_db), read_only=True)
    build = duckdb.connect(str(run.build_db), read_only=True)
    limits = dict(build.execute(
        "select indicator_id, numerator_limit from seeds.indicator_catalogue "
        "where method = 'share' and numerator_limit is not null"
    ).fetchall())
    names = ", ".join(f"'{name}'" for name in limits)
    published = {
        tuple(key): (numerator, spv_flag)
        for *key, numerator, spv_flag in public.execute(
            f"select {', '.join(KEY)}, numerator, spv_flag from indicator_values where indicator_id in ({names})"
        ).fetchall()
    }
    qc = {
        tuple(key): (numerator, denominator, reason)
        for *key, numerator, denominator, reason in build.execute(
            f"select {', '.join(KEY)}, numerator, denominator, suppression_reason "
            f"from intermediate.int_suppression__series where indicator_id in ({names})"
        ).fetchall()
    }
    geography = public.execute("select geo_level, geo_code, kommune_code, fylke_code, bydel_code from geography").fetchall()
    period_years = dict(public.execute("select indicator_id, period_years from indicators").fetchall())
    return limits, published, qc, geography, period_years


def parent_of(level, code, kommune, fylke, bydel):
    if level == "levekarssone":
        return ("bydel", bydel) if bydel else ("kommune", kommune)
    return {"bydel": ("kommune", kommune), "kommune": ("fylke", fylke), "fylke": ("land", "0")}.get(level)


def attack(limits, published, qc, geography, hidden_of, sample_every: int = 1) -> list[tuple]:
    """Exposed primary cells: (key, low, high). hidden_of(key, spv_flag, reason) -> is the cell unknown?"""
    children = defaultdict(list)
    for level, code, kommune, fylke, bydel in geography:
        parent = parent_of(level, code, kommune, fylke, bydel)
        if parent:
            children[(*parent, level)].append((level, code))
    tables = defaultdict(dict)
    for key, (numerator, spv_flag) in published.items():
        tables[key[:3]][key[3:]] = (numerator, spv_flag)
    exposures = []
    for table_number, (table, cells) in enumerate(sorted(tables.items())):
        if table_number % sample_every:
            continue
        limit = limits[table[0]]
        value, unknown, primary, upper = {}, set(), [], {}
        for cell, (numerator, spv_flag) in cells.items():
            truth = qc[(*table, *cell)]
            reason = truth[2]
            if hidden_of(cell, spv_flag, reason):
                unknown.add(cell)
                upper[cell] = truth[1] or 0
                if reason == "primary":
                    primary.append(cell)
            else:
                value[cell] = numerator if spv_flag == 0 else (truth[0] or 0)
                if spv_flag == 3:  # revealed in the weak pattern: the true number
                    value[cell] = truth[0]
        if not primary:
            continue
        sexes = sorted({cell[2] for cell in cells})
        relations, comparable_rests = [], set()
        for (parent_level, parent_code, child_level), members in children.items():
            kids_by_sex = {sex: {m for m in members if (*m, sex) in cells} for sex in sexes}
            if all(kids == kids_by_sex[sexes[0]] for kids in kids_by_sex.values()):
                comparable_rests.add(f"{parent_level}{parent_code}{child_level}")
            for sex in sexes:
                parent = (parent_level, parent_code, sex)
                if parent not in cells:
                    continue
                kids = [(level, code, sex) for level, code in members if (level, code, sex) in cells]
                terms = [(kid, 1.0) for kid in kids] + [(parent, -1.0)]
                rest_denominator = (qc[(*table, *parent)][1] or 0) - sum(qc[(*table, *kid)][1] or 0 for kid in kids)
                if rest_denominator > 0:
                    rest = ("rest", f"{parent_level}{parent_code}{child_level}", sex)
                    unknown.add(rest)
                    upper[rest] = rest_denominator
                    terms.append((rest, 1.0))
                relations.append(terms)
        if {"0", "1", "2"} <= set(sexes):
            bases = {cell[:2] for cell in cells} | {cell[:2] for cell in unknown if cell[0] == "rest"}
            for base in bases:
                terms = [((*base, sex), 1.0 if sex != "0" else -1.0) for sex in "012"
                         if (*base, sex) in cells or (*base, sex) in unknown]
                if base[0] != "rest" and len(terms) < 3:
                    continue  # a unit without a sex breakdown
                if base[0] == "rest" and base[1] not in comparable_rests:
                    continue  # children published in some sexes only: the remainders' sexes do not add up
                relations.append(terms)
        exposures += attack_table(table, relations, value, unknown, upper, primary, limit)
    return exposures


def attack_table(table, relations, value, unknown, upper, primary, limit) -> list[tuple]:
    # union-find over unknown cells sharing a relation: independent LP blocks
    parent = {cell: cell for cell in unknown}

    def find(cell):
        while parent[cell] != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    for terms in relations:
        hidden = [cell for cell, _ in terms if cell in unknown]
        for cell in hidden[1:]:
            parent[find(cell)] = find(hidden[0])
    block_relations = defaultdict(list)
    for terms in relations:
        hidden = [cell for cell, _ in terms if cell in unknown]
        if hidden:
            block_relations[find(hidden[0])].append(terms)
    exposures = []
    for target in sorted(primary):
        rows = block_relations.get(find(target), [])
        if not rows:
            continue  # in no relation: nothing to learn
        variables = sorted({cell for terms in rows for cell, _ in terms if cell in unknown})
        position = {cell: i for i, cell in enumerate(variables)}
        matrix = np.zeros((len(rows), len(variables)))
        rhs = np.zeros(len(rows))
        for r, terms in enumerate(rows):
            for cell, coefficient in terms:
                if cell in position:
                    matrix[r, position[cell]] += coefficient
                else:
                    rhs[r] -= coefficient * value[cell]
        objective = np.zeros(len(variables))
        objective[position[target]] = 1.0
        bounds = [(0.0, upper[cell]) for cell in variables]
        low = linprog(objective, A_eq=matrix, b_eq=rhs, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=matrix, b_eq=rhs, bounds=bounds, method="highs")
        assert low.status == 0 and high.status == 0, (table, target, low.message, high.message)
        if -high.fun - low.fun < min(limit + 1, upper[target]) - 1e-7:
            exposures.append(((*table, *target), low.fun, -high.fun))
    return exposures


@pytest.fixture(scope="module")
def attack_data(request: pytest.FixtureRequest):
    """The small demo pipeline, or an existing build (LEVEKAR_ATTACK_DIR: a folder with build.duckdb and
    publish/levekar.duckdb, e.g. the national demo) to attack at full scale."""
    folder = os.environ.get("LEVEKAR_ATTACK_DIR")
    if folder:
        path = Path(folder)
        return load(PipelineRun(path / "raw", path / "build.duckdb", path / "publish" / "levekar.duckdb", path))
    return load(request.getfixturevalue("small_pipeline"))


def test_every_additive_indicator_is_attacked(attack_data):
    limits, published, qc, _, _ = attack_data
    primary_by_indicator = {key[0] for key, truth in qc.items() if truth[2] == "primary" and key in published}
    assert primary_by_indicator, "the demo has no primary cells to attack"
    assert {key[0] for key in published} == set(limits)


def test_published_pattern_withstands_the_attack(attack_data):
    limits, published, qc, geography, _ = attack_data
    exposures = attack(limits, published, qc, geography, hidden_of=lambda cell, spv, reason: spv == 3)
    assert not exposures, f"{len(exposures)} primary cells exposed, e.g. {exposures[:5]}"


def test_primary_only_pattern_fails_the_attack(attack_data):
    limits, published, qc, geography, _ = attack_data
    exposures = attack(limits, published, qc, geography, hidden_of=lambda cell, spv, reason: reason == "primary")
    assert exposures, "the attack finds nothing in a primary-only pattern: it is too weak to trust"


def overlapping_period_attack(limits, period_years, published, qc) -> tuple[int, list[tuple]]:
    """Attack one unit's series through its overlapping periods (2021_2023 - 2022_2024 = 2021 - 2024).

    Unknowns: the numerator of every single year, non-negative; every shown period fixes the sum of its years,
    every hidden period is bounded by its denominator. Returns (series attacked, exposed primary cells).
    """
    series = defaultdict(dict)
    for key, (numerator, spv_flag) in published.items():
        indicator, age_group, period_start, level, code, sex = key
        series[(indicator, age_group, level, code, sex)][period_start] = (numerator, spv_flag, qc[key])
    attacked, exposures = 0, []
    for (indicator, age_group, level, code, sex), periods in sorted(series.items()):
        primary = [start for start, (_, spv, truth) in periods.items() if spv == 3 and truth[2] == "primary"]
        shown = [start for start, (_, spv, _) in periods.items() if spv == 0]
        if not primary or not shown:
            continue
        attacked += 1
        years_per_period = {start: range(start, start + period_years[indicator]) for start in periods}
        years = sorted({year for span in years_per_period.values() for year in span})
        position = {year: i for i, year in enumerate(years)}
        equalities, equality_rhs, bounds_rows, bounds_rhs = [], [], [], []
        for start, (numerator, spv, truth) in periods.items():
            row = np.zeros(len(years))
            for year in years_per_period[start]:
                row[position[year]] = 1.0
            if spv == 0:
                equalities.append(row)
                equality_rhs.append(numerator)
            elif spv == 3:
                bounds_rows.append(row)
                bounds_rhs.append(truth[1] or 0)
        for start in primary:
            objective = np.zeros(len(years))
            for year in years_per_period[start]:
                objective[position[year]] = 1.0
            problem = dict(A_eq=np.array(equalities), b_eq=np.array(equality_rhs), bounds=(0, None), method="highs")
            if bounds_rows:
                problem.update(A_ub=np.array(bounds_rows), b_ub=np.array(bounds_rhs))
            low = linprog(objective, **problem)
            high = linprog(-objective, **problem)
            assert low.status == 0, (indicator, code, start, low.message)
            upper = np.inf if high.status == 3 else -high.fun
            denominator = periods[start][2][1] or 0
            if upper - low.fun < min(limits[indicator] + 1, denominator) - 1e-7:
                exposures.append(((indicator, age_group, start, level, code, sex), low.fun, upper))
    return attacked, exposures


def test_overlapping_periods_do_not_expose_primary_cells(attack_data):
    limits, published, qc, _, period_years = attack_data
    attacked, exposures = overlapping_period_attack(limits, period_years, published, qc)
    print(f"overlapping-period attack: {attacked} series with primary cells, {len(exposures)} exposed")
    assert attacked, "no series with both shown and primary-suppressed periods: the attack tested nothing"
    assert not exposures, f"{len(exposures)} primary cells exposed through overlapping periods, e.g. {exposures[:5]}"


def test_build_log_counts_suppressed_cells_by_reason_and_level(small_pipeline: PipelineRun):
    """The summary printed by the build agrees with a count of hidden cells in the public database."""
    log = small_pipeline.log_file.read_text().splitlines()
    start = log.index("suppression of the indicators with small-cell limits (published cells):")
    header = log[start + 1].split()
    printed = {line.split()[0]: [int(n.replace(",", "")) for n in line.split()[1:]] for line in log[start + 2:start + 6]}
    public = duckdb.connect(str(small_pipeline.public_db), read_only=True)
    counted = dict(public.execute(
        "select geo_level, count(*) filter (where spv_flag = 3) from indicator_values "
        "where indicator_id in (select indicator_id from indicators where numerator_limit is not null) group by all"
    ).fetchall())
    shown = dict(public.execute(
        "select geo_level, count(*) filter (where spv_flag = 0) from indicator_values "
        "where indicator_id in (select indicator_id from indicators where numerator_limit is not null) group by all"
    ).fetchall())
    for column, level in enumerate(header[1:]):
        hidden = printed["primary"][column] + printed["secondary"][column] + printed["series"][column]
        assert hidden == counted.get(level, 0), level
        assert printed["shown"][column] == shown.get(level, 0), level
    assert printed["primary"][0] > 0 and printed["secondary"][0] > 0 and printed["series"][0] > 0


def nested_age_group_attack(limits, published, qc) -> tuple[int, list[tuple]]:
    """A hidden age group inside a shown wider one (low income 0-17 inside 0-120) of the same unit, sex and
    period: n(0-17) lies in [N - (D - d), N] cut to [0, d], with N, D the wider group's numerator and
    denominator and d the hidden group's denominator. Returns (cells attacked, exposed primary cells)."""
    def bounds(age_group):
        low, high = age_group.split("_")
        return int(low), int(high)

    groups = defaultdict(dict)
    for key, (numerator, spv_flag) in published.items():
        groups[(key[0], key[2], key[3], key[4], key[5])][key[1]] = (numerator, spv_flag, qc[key])
    attacked, exposures = 0, []
    for (indicator, period, level, code, sex), by_age in sorted(groups.items()):
        for inner, (_, inner_flag, inner_truth) in by_age.items():
            if inner_flag != 3 or inner_truth[2] != "primary":
                continue
            for outer, (outer_numerator, outer_flag, outer_truth) in by_age.items():
                lo, hi = bounds(inner)
                outer_lo, outer_hi = bounds(outer)
                if outer == inner or outer_flag != 0 or not (outer_lo <= lo and hi <= outer_hi):
                    continue
                attacked += 1
                inner_denominator = inner_truth[1] or 0
                low = max(0.0, outer_numerator - ((outer_truth[1] or 0) - inner_denominator))
                high = min(outer_numerator, inner_denominator)
                if high - low < min(limits[indicator] + 1, inner_denominator) - 1e-7:
                    exposures.append(((indicator, inner, period, level, code, sex), low, high))
    return attacked, exposures


def test_nested_age_groups_do_not_expose_primary_cells(attack_data):
    limits, published, qc, _, _ = attack_data
    attacked, exposures = nested_age_group_attack(limits, published, qc)
    print(f"nested-age-group attack: {attacked} hidden cells inside a shown wider age group, {len(exposures)} exposed")
    assert not exposures, f"{len(exposures)} primary cells exposed by a wider age group, e.g. {exposures[:5]}"
