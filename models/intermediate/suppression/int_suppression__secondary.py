"""Secondary (complementary) suppression of the additive indicators: see docs/suppression.md.

For every table with additive relations (one share indicator with a numerator limit, one age group, one
period) the cells are every published unit x sex, plus one hidden "remainder" cell per parent relation and
sex where the parent has persons outside its published children (kommune minus its zones, bydel minus its
zones, kommune minus its bydeler, fylke minus its kommuner, land minus its fylker). Relations: children +
remainder = parent, and sex 1 + sex 2 = sex 0 for every unit and remainder.

Two phases, both monotone (hiding one more cell never makes a hidden cell easier to find):
1. Gaussian elimination: a hidden cell is determined by the published cells exactly when every vector of the
   null space of the relations restricted to the hidden columns is zero at that cell. While a primary cell
   is determined, hide the cheapest candidate cell (smallest denominator, then lowest level, then code and
   sex) next to its hidden component that makes it undetermined.
2. Intervals (the idea of SSB's FixRiskyIntervals): for each primary cell, minimise and maximise it by linear
   programming (HiGHS) over hidden cells between 0 and their denominator (an attacker who knows every unit's
   population knows or closely bounds the denominators); while the interval is narrower than T + 1 (or than
   the whole range 0..denominator of a tiny cell), hide more cells in the same cost order. This also covers
   zeros, singletons and cells at a bound beside a total.

3. Overlapping periods (overlap_suppression): per series (indicator, age group, unit, sex) of every indicator
   with a numerator limit, shown periods are hidden (reason 'series') until no primary period can be narrowed
   by differencing overlapping periods.

Only the additive indicators get steps 1 and 2 (DSR, SMR and life expectancy are not additive; population is
never suppressed). The model's rows are the cells to hide, with their reason ('secondary' or 'series');
int_suppression__series applies them. The reason column is internal QC and never published.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections import defaultdict, namedtuple

import highspy
import numpy as np
import pyarrow as pa

LEVEL_RANK = {"levekarssone": 0, "bydel": 1, "kommune": 2, "fylke": 3, "land": 4}
TOLERANCE = 1e-7


class Table:
    """The cells and linear relations of one table (indicator, age group, period)."""

    def __init__(self, rows: list, units: list, limit: float, max_candidates: int,
                 preferred: frozenset = frozenset()):
        self.limit = limit
        self.max_candidates = max_candidates
        self.keys: list[tuple] = []  # (geo_level, geo_code, sex) or ('remainder', parent relation, sex)
        self.value: list[float] = []
        self.upper: list[float] = []  # the denominator: a numerator can be no larger
        self.cost: list[tuple] = []
        self.hidden: list[bool] = []
        self.known: list[bool] = []  # cells the attacker knows whatever we do (spv_flag 1 or 2)
        self.primary: list[int] = []
        self.row_cells: list[list[tuple[int, float]]] = []
        self.cell_rows: list[list[int]] = []
        self.index: dict[tuple, int] = {}

        sexes = sorted({row.sex for row in rows})
        denominators: dict[tuple, float] = {}
        for row in rows:
            key = (row.geo_level, row.geo_code, row.sex)
            denominator = float(row.denominator or 0)
            denominators[key] = denominator
            cell = self._add_cell(
                key,
                float(row.numerator or 0),
                denominator,
                (key not in preferred, denominator, LEVEL_RANK[row.geo_level], row.geo_code, row.sex),
                hidden=row.spv_flag == 3,
                known=row.spv_flag in (1, 2),
            )
            if row.suppression_reason == "primary":
                self.primary.append(cell)

        # Parent relations: children + remainder = parent, for each sex present.
        groups: dict[tuple, list[tuple[str, str]]] = defaultdict(list)
        for unit in units:
            if unit.parent_geo_level is not None:
                groups[(unit.parent_geo_level, unit.parent_geo_code, unit.geo_level)].append(
                    (unit.geo_level, unit.geo_code)
                )
        # A remainder's sexes add up only when its relation has the same children in every sex (zones may be
        # published for both sexes only: then the sex 1 remainder is the whole parent, not a part of sex 0's).
        self.same_children_by_sex: set[str] = set()
        for (parent_level, parent_code, child_level), children in sorted(groups.items()):
            present_by_sex = {
                sex: frozenset(child for child in children if (*child, sex) in self.index) for sex in sexes
            }
            if len(set(present_by_sex.values())) == 1:
                self.same_children_by_sex.add(f"{parent_level}:{parent_code}:{child_level}")
            for sex in sexes:
                parent = (parent_level, parent_code, sex)
                if parent not in self.index:
                    continue
                members = [(level, code, sex) for level, code in children if (level, code, sex) in self.index]
                rest_denominator = denominators[parent] - sum(denominators[member] for member in members)
                rest_value = self.value[self.index[parent]] - sum(self.value[self.index[m]] for m in members)
                terms = [(self.index[member], 1.0) for member in members] + [(self.index[parent], -1.0)]
                if rest_denominator > 0 or abs(rest_value) > TOLERANCE:
                    rest = self._add_cell(
                        ("remainder", f"{parent_level}:{parent_code}:{child_level}", sex),
                        rest_value,
                        max(rest_denominator, rest_value),
                        (float("inf"),),
                        hidden=True,
                        known=False,
                    )
                    terms.append((rest, 1.0))
                self._add_row(terms)
        # Sex relations: 1 + 2 = 0 for every unit and remainder with all three sexes.
        if {"0", "1", "2"} <= set(sexes):
            bases = sorted({key[:2] for key in self.index})
            for base in bases:
                present = {sex: self.index.get((*base, sex)) for sex in ("0", "1", "2")}
                if base[0] != "remainder" and None in present.values():
                    continue  # a unit missing a sex: no relation. An absent remainder is a known zero.
                if base[0] == "remainder" and base[1] not in self.same_children_by_sex:
                    continue
                terms = [(cell, -1.0 if sex == "0" else 1.0) for sex, cell in present.items() if cell is not None]
                if len(terms) > 1:
                    self._add_row(terms)
        self.value_array = np.array(self.value)

    def _add_cell(self, key, value, upper, cost, hidden, known) -> int:
        cell = len(self.keys)
        self.keys.append(key)
        self.value.append(value)
        self.upper.append(upper)
        self.cost.append(cost)
        self.hidden.append(bool(hidden))
        self.known.append(bool(known))
        self.cell_rows.append([])
        self.index[key] = cell
        return cell

    def _add_row(self, terms) -> None:
        row = len(self.row_cells)
        self.row_cells.append(terms)
        for cell, _ in terms:
            self.cell_rows[cell].append(row)

    # --- structure around a hidden cell ---
    def component(self, start: int, extra: int | None = None) -> tuple[list[int], list[int]]:
        """Hidden cells connected to start through relations (with extra hidden too), and their rows."""
        hidden, known, cell_rows, row_cells = self.hidden, self.known, self.cell_rows, self.row_cells
        seen_cells, seen_rows, stack = {start}, set(), [start]
        while stack:
            cell = stack.pop()
            for row in cell_rows[cell]:
                if row in seen_rows:
                    continue
                seen_rows.add(row)
                for other, _ in row_cells[row]:
                    if other not in seen_cells and ((hidden[other] and not known[other]) or other == extra):
                        seen_cells.add(other)
                        stack.append(other)
        return sorted(seen_cells), sorted(seen_rows)

    def candidates(self, cells: list[int], rows: list[int]) -> list[int]:
        found = {
            other
            for row in rows
            for other, _ in self.row_cells[row]
            if not self.hidden[other] and not self.known[other]
        }
        return sorted(found, key=lambda cell: self.cost[cell])

    def _matrix(self, cells, rows):
        position = {cell: i for i, cell in enumerate(cells)}
        matrix = np.zeros((len(rows), len(cells)))
        rhs = np.zeros(len(rows))
        for r, row in enumerate(rows):
            for cell, coefficient in self.row_cells[row]:
                if cell in position:
                    matrix[r, position[cell]] = coefficient
                else:
                    rhs[r] -= coefficient * self.value_array[cell]
        return matrix, rhs, position

    def is_determined(self, target: int, extra: int | None = None) -> bool:
        cells, rows = self.component(target, extra)
        if not rows:
            return False
        matrix, _, position = self._matrix(cells, rows)
        # The null space from numpy's SVD with scipy.linalg.null_space's rank rule, without scipy's wrappers
        # (which cost more than the decomposition of these small matrices).
        _, singular, vh = np.linalg.svd(matrix)
        rank = int((singular > singular.max(initial=0.0) * np.finfo(float).eps * max(matrix.shape)).sum())
        basis = vh[rank:]
        return basis.shape[0] == 0 or float(np.abs(basis[:, position[target]]).max()) < TOLERANCE

    def width(self, target: int, extra: int | None = None) -> float:
        cells, rows = self.component(target, extra)
        if not rows:
            return float("inf")
        matrix, rhs, position = self._matrix(cells, rows)
        low, high = lp_interval(matrix, rhs, rhs, np.array([self.upper[cell] for cell in cells]), position[target])
        return high - low

    # --- the two phases ---
    def protect(self) -> list[int]:
        # One pass per phase suffices: hiding more cells never undoes a fix, so a primary cell that is safe
        # stays safe while later ones are fixed.
        added: list[int] = []
        for check in (self._gauss_fix, self._interval_fix):
            for target in self.primary:
                while check(target, added):
                    pass
        return added

    def _hide(self, cell: int, added: list[int]) -> None:
        self.hidden[cell] = True
        added.append(cell)

    def _gauss_fix(self, target: int, added: list[int]) -> bool:
        if not self.is_determined(target):
            return False
        cells, rows = self.component(target)
        options = self.candidates(cells, rows)
        for cell in options[: self.max_candidates]:
            if not self.is_determined(target, extra=cell):
                self._hide(cell, added)
                return True
        if options:  # no single cell frees it: hide the cheapest and look again
            self._hide(options[0], added)
            return True
        return False

    def _interval_fix(self, target: int, added: list[int]) -> bool:
        required = min(self.limit + 1, self.upper[target])
        current = self.width(target)
        if current >= required - TOLERANCE:
            return False
        cells, rows = self.component(target)
        options = self.candidates(cells, rows)
        best, best_width = None, current
        for cell in options[: self.max_candidates]:
            width = self.width(target, extra=cell)
            if width >= required - TOLERANCE:
                self._hide(cell, added)
                return True
            if width > best_width + TOLERANCE:
                best, best_width = cell, width
        if best is None and options:
            best = options[0]
        if best is None:
            return False
        self._hide(best, added)
        return True


_SOLVER: list[highspy.Highs] = []


def _solver() -> highspy.Highs:
    """One HiGHS instance for the whole run (creating one costs more than a small solve); passModel replaces
    its model."""
    if not _SOLVER:
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        _SOLVER.append(highs)
    return _SOLVER[0]


def lp_interval(matrix: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray, upper: np.ndarray,
                target: int) -> tuple[float, float]:
    """Min and max of variable target subject to row_lower <= matrix @ x <= row_upper, 0 <= x <= upper (HiGHS,
    called directly: scipy's linprog wrapper costs several times the solve on these small problems)."""
    highs = _solver()
    lp = highspy.HighsLp()
    lp.num_row_, lp.num_col_ = matrix.shape
    lp.col_cost_ = np.zeros(lp.num_col_)
    lp.col_lower_ = np.zeros(lp.num_col_)
    lp.col_upper_ = upper.astype(float)
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    rows, columns = np.nonzero(matrix.T)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(np.count_nonzero(matrix, axis=0))]).astype(np.int32)
    lp.a_matrix_.index_ = columns.astype(np.int32)
    lp.a_matrix_.value_ = matrix.T[rows, columns]
    highs.passModel(lp)
    highs.changeColCost(target, 1.0)
    bounds = []
    for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
        highs.changeObjectiveSense(sense)
        highs.run()
        if highs.getModelStatus() == highspy.HighsModelStatus.kUnknown:
            # HiGHS can stall when warm-started from the previous solve: solve once more from scratch.
            highs.clearSolver()
            highs.run()
        if sense == highspy.ObjSense.kMaximize and highs.getModelStatus() == highspy.HighsModelStatus.kUnbounded:
            bounds.append(np.inf)
            continue
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            # The true values are feasible and every variable is bounded: a relation is wrong.
            status = highs.modelStatusToString(highs.getModelStatus())
            raise RuntimeError(f"secondary suppression LP not solved: {status}")
        bounds.append(highs.getInfo().objective_function_value)
    return bounds[0], bounds[1]


Unit = namedtuple("Unit", "geo_level geo_code parent_geo_level parent_geo_code")
KEY_COLUMNS = ["indicator_id", "age_group", "period_start", "geo_level", "geo_code", "sex"]
ROW_COLUMNS = KEY_COLUMNS + ["numerator", "denominator", "spv_flag", "suppression_reason"]
Row = namedtuple("Row", ROW_COLUMNS)
MARK_COLUMNS = KEY_COLUMNS + ["suppression_reason"]


def published_units(units: list[dict]) -> list[Unit]:
    """Published units with the parent whose relation they are in (zones: bydel if any, else kommune)."""
    result = []
    for unit in units:
        if not unit["is_published"]:
            continue
        level = unit["geo_level"]
        if level == "levekarssone":
            parent = ("bydel", unit["bydel_code"]) if unit["bydel_code"] else ("kommune", unit["kommune_code"])
        else:
            parent = {
                "bydel": ("kommune", unit["kommune_code"]),
                "kommune": ("fylke", unit["fylke_code"]),
                "fylke": ("land", "0"),
            }.get(level, (None, None))
        result.append(Unit(level, unit["geo_code"], *parent))
    return sorted(result)


def run_in_processes(function, items: list, processes: int, weights: list[float] | None = None) -> list:
    """[function(item) for item in items], spread over forked worker processes when processes > 1 (the tables
    and series are independent). Items go to the least loaded worker, heaviest first.

    Fork, not spawn: a dbt Python model is not an importable module. A child must not inherit a HiGHS solver
    that has run (its thread pool is not copied), so on this path the parent never solves an LP itself.
    """
    if processes <= 1 or len(items) < 2:
        return [function(item) for item in items]
    context = multiprocessing.get_context("fork")
    weights = weights or [1.0] * len(items)
    shares: list[list[int]] = [[] for _ in range(min(processes, len(items)))]
    loads = [0.0] * len(shares)
    for index in sorted(range(len(items)), key=lambda index: -weights[index]):
        lightest = loads.index(min(loads))
        shares[lightest].append(index)
        loads[lightest] += weights[index]
    workers = []
    for share in shares:
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_work_share, args=(function, [items[index] for index in share], sender))
        process.start()
        sender.close()
        workers.append((share, receiver, process))
    results: list = [None] * len(items)
    failures = []
    for share, receiver, process in workers:
        try:
            status, payload = receiver.recv()
        except EOFError:
            status, payload = "error", "the worker process died without an answer"
        process.join()
        if status == "error":
            failures.append(payload)
            continue
        for index, result in zip(share, payload):
            results[index] = result
    if failures:
        raise RuntimeError("secondary suppression worker failed:\n" + "\n".join(failures))
    return results


def _work_share(function, items: list, sender) -> None:
    _SOLVER.clear()
    try:
        sender.send(("ok", [function(item) for item in items]))
    except BaseException:  # noqa: BLE001 - the parent raises it with the child's traceback
        sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()


def protect_groups(groups: dict[tuple, list[Row]], protect, processes: int) -> list[tuple]:
    """Sorted keys that protect(group_key, rows) returns for every group (table or series) holding a primary
    cell, the groups spread over worker processes; those with the most primary cells take the longest."""
    work = [
        (group_key, group_rows)
        for group_key, group_rows in sorted(groups.items())
        if any(row.suppression_reason == "primary" for row in group_rows)
    ]
    weights = [1.0 + sum(row.suppression_reason == "primary" for row in group_rows) for _, group_rows in work]
    return sorted(key for keys in run_in_processes(lambda item: protect(*item), work, processes, weights)
                  for key in keys)


def secondary_suppression(rows: list[Row], units: list[dict], limits: dict[str, float], max_candidates: int = 40,
                          preferred: set[tuple] | None = None, processes: int = 1):
    """Keys (indicator_id, age_group, period_start, geo_level, geo_code, sex) of the secondary cells.

    rows: the cells of the additive indicators (limits: numerator_limit per indicator) after primary suppression,
    sex as text. preferred: keys hidden in the previous release, tried first so the pattern stays stable between
    releases. processes: worker processes for the tables (run_in_processes).
    """
    published = published_units(units)
    unit_keys = {(unit.geo_level, unit.geo_code) for unit in published}
    tables: dict[tuple, list[Row]] = defaultdict(list)
    for row in rows:
        if row.indicator_id in limits and (row.geo_level, row.geo_code) in unit_keys:
            tables[(row.indicator_id, row.age_group, row.period_start)].append(row)

    def protect_table(table_key: tuple, table_rows: list[Row]) -> list[tuple]:
        indicator, age_group, period_start = table_key
        table_rows.sort(key=lambda row: (row.geo_level, row.geo_code, row.sex))
        in_table = frozenset(key[3:] for key in preferred or () if key[:3] == (indicator, age_group, period_start))
        table = Table(table_rows, published, limits[indicator], max_candidates, in_table)
        return [(indicator, age_group, period_start, *table.keys[cell]) for cell in table.protect()]

    return protect_groups(tables, protect_table, processes)


def overlap_suppression(rows: list[Row], hidden: set[tuple], limits: dict[str, float], period_years: dict[str, int],
                        bounded: set[str], processes: int = 1) -> list[tuple]:
    """Keys of shown cells to hide so that no primary cell can be narrowed by differencing the overlapping
    periods of its own series (2021_2023 - 2022_2024 = 2021 - 2024).

    The attacker's unknowns are the single years' numerators (>= 0); a shown period fixes the sum of its years,
    a hidden one is at most its denominator (indicators in bounded). While a primary period's interval is
    narrower than T + 1 (or its whole range 0..denominator), the shown period nearest to it is hidden (earlier
    first on a tie): hiding a period only relaxes the attacker's constraints, so the loop ends.
    """
    series: dict[tuple, list[Row]] = defaultdict(list)
    for row in rows:
        if row.indicator_id in limits and row.spv_flag in (0, 3):
            series[(row.indicator_id, row.age_group, row.geo_level, row.geo_code, row.sex)].append(row)
    return protect_groups(
        series,
        lambda series_key, periods: _protect_series(series_key, periods, hidden, limits, period_years, bounded),
        processes,
    )


def _protect_series(series_key: tuple, periods: list[Row], hidden: set[tuple], limits: dict[str, float],
                    period_years: dict[str, int], bounded: set[str]) -> list[tuple]:
    """overlap_suppression for one series: the keys of its shown periods to hide."""
    indicator, age_group, level, code, sex = series_key
    added = []
    periods.sort(key=lambda row: row.period_start)
    length = period_years[indicator]
    years = list(range(periods[0].period_start, periods[-1].period_start + length))
    matrix = np.zeros((len(periods), len(years)))
    for i, row in enumerate(periods):
        matrix[i, row.period_start - years[0]:row.period_start - years[0] + length] = 1.0
    key = [(indicator, age_group, row.period_start, level, code, sex) for row in periods]
    is_hidden = [row.spv_flag == 3 or key[i] in hidden for i, row in enumerate(periods)]
    numerators = np.array([float(row.numerator or 0) for row in periods])
    ceilings = np.array([float(row.denominator) if indicator in bounded else np.inf for row in periods])
    for target, row in enumerate(periods):
        if row.suppression_reason != "primary":
            continue
        required = min(limits[indicator] + 1, ceilings[target])
        # The target's sum as an extra variable tied to its years keeps lp_interval's single-variable form.
        extended = np.zeros((len(periods) + 1, len(years) + 1))
        extended[:-1, :-1] = matrix
        extended[-1, :-1] = matrix[target]
        extended[-1, -1] = -1.0
        while True:
            row_lower = np.where(is_hidden, 0.0, numerators)
            row_upper = np.where(is_hidden, ceilings, numerators)
            low, high = lp_interval(
                extended,
                np.append(row_lower, 0.0),
                np.append(row_upper, 0.0),
                np.full(len(years) + 1, np.inf),
                len(years),
            )
            shown = [i for i in range(len(periods)) if not is_hidden[i]]
            if high - low >= required - TOLERANCE or not shown:
                break
            nearest = min(shown, key=lambda i: (abs(i - target), i))
            is_hidden[nearest] = True
            added.append(key[nearest])
    return added


def fetch_rows(suppressed, indicators: set[str], group: list[str], published: set[tuple]) -> list[Row]:
    """Rows of the given indicators in the groups (tables or series) that hold a primary cell."""
    if not indicators:
        return []
    wanted = ", ".join("'" + indicator.replace("'", "''") + "'" for indicator in sorted(indicators))
    columns = ", ".join(f"cells.{column}" for column in ROW_COLUMNS).replace("cells.sex", "cast(cells.sex as varchar)")
    matches = " and ".join(f"primary_cells.{column} = cells.{column}" for column in group)
    rows = suppressed.query("cells", f"""
        select {columns} from cells
        where cells.indicator_id in ({wanted}) and exists (
            select 1 from cells as primary_cells
            where primary_cells.suppression_reason = 'primary' and {matches}
        )
    """).fetchall()
    return [Row(*values) for values in rows if (values[3], values[4]) in published]


def fetch_dicts(relation) -> list[dict]:
    columns = relation.columns
    return [dict(zip(columns, values)) for values in relation.fetchall()]


def model(dbt, session):
    dbt.config(materialized="table")
    suppressed = dbt.ref("int_indicators__suppressed")
    # dbt passes a config key to a Python model only where it finds dbt.config.get as a statement's value or a
    # call's argument (not inside `x or default`): read each into a name first.
    enabled_setting = dbt.config.get("suppression_secondary")
    max_candidates_setting = dbt.config.get("suppression_max_candidates")
    processes_setting = dbt.config.get("suppression_processes")
    previous_release_setting = dbt.config.get("suppression_previous_release")
    enabled = str(enabled_setting).lower() not in ("false", "0", "no")
    max_candidates = int(max_candidates_setting or 40)
    processes = int(processes_setting or 1)
    previous_release = str(previous_release_setting or "")
    catalogue = fetch_dicts(dbt.ref("indicator_catalogue"))
    limits = {
        entry["indicator_id"]: float(entry["numerator_limit"])
        for entry in catalogue
        if entry["numerator_limit"] is not None
    }
    additive = {indicator for indicator in limits if catalogue_method(catalogue, indicator) == "share"}
    # A numerator can be no larger than its denominator except for SMR, whose denominator is expected deaths.
    bounded = {indicator for indicator in limits if catalogue_method(catalogue, indicator) in ("share", "dsr")}
    period_years = {entry["indicator_id"]: int(entry["period_years"]) for entry in catalogue}
    marks: list[tuple] = []
    if enabled and limits:
        units = fetch_dicts(dbt.ref("int_geography__units"))
        published = {(unit["geo_level"], unit["geo_code"]) for unit in units if unit["is_published"]}
        # Only tables and series with a primary cell need work: fetch just those rows.
        tables = fetch_rows(suppressed, additive, ["indicator_id", "age_group", "period_start"], published)
        secondary = secondary_suppression(tables, units, {indicator: limits[indicator] for indicator in additive},
                                          max_candidates, previously_hidden(session, previous_release), processes)
        series = fetch_rows(suppressed, set(limits), ["indicator_id", "age_group", "geo_level", "geo_code", "sex"],
                            published)
        overlaps = overlap_suppression(series, set(secondary), limits, period_years, bounded, processes)
        marks = [(*key, "secondary") for key in secondary] + [(*key, "series") for key in overlaps]
    # Only the cells to hide: int_suppression__series applies them. Writing all 2 million cells again here cost
    # more than a sixth of this model's time.
    marks_table = pa.table({column: [mark[i] for mark in marks] for i, column in enumerate(MARK_COLUMNS)},
                           schema=pa.schema([("indicator_id", pa.string()), ("age_group", pa.string()),
                                             ("period_start", pa.int32()), ("geo_level", pa.string()),
                                             ("geo_code", pa.string()), ("sex", pa.string()),
                                             ("suppression_reason", pa.string())]))
    return session.from_arrow(marks_table)


def previously_hidden(session, path: str) -> set[tuple]:
    """Cells with spv_flag 3 in the previous release's public database (empty path: none)."""
    if not path:
        return set()
    if not os.path.exists(path):
        raise FileNotFoundError(f"suppression_previous_release: {path} does not exist")
    session.execute(f"attach '{path}' as previous_release (read_only)")
    try:
        rows = session.execute(
            f"select {', '.join(KEY_COLUMNS)} from previous_release.main.indicator_values where spv_flag = 3"
        ).fetchall()
    finally:
        session.execute("detach previous_release")
    return {(indicator, age, int(start), level, code, str(sex)) for indicator, age, start, level, code, sex in rows}


def catalogue_method(catalogue: list[dict], indicator: str) -> str:
    return next(entry["method"] for entry in catalogue if entry["indicator_id"] == indicator)
