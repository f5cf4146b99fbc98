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
   programming (HiGHS) over non-negative hidden cells; while the interval is narrower than T + 1, hide more
   cells in the same cost order. This also covers zeros, singletons and cells at a bound beside a total.

Other indicators (population counts, DSR, SMR, life expectancy) pass through unchanged: they are not additive
or never suppressed. The reason column is internal QC and never published.
"""

from __future__ import annotations

from collections import defaultdict, namedtuple

import numpy as np
import pyarrow as pa
from scipy.linalg import null_space
from scipy.optimize import linprog

LEVEL_RANK = {"levekarssone": 0, "bydel": 1, "kommune": 2, "fylke": 3, "land": 4}
TOLERANCE = 1e-7


class Table:
    """The cells and linear relations of one table (indicator, age group, period)."""

    def __init__(self, rows: list, units: list, limit: float, max_candidates: int):
        self.limit = limit
        self.max_candidates = max_candidates
        self.keys: list[tuple] = []  # (geo_level, geo_code, sex) or ('remainder', parent relation, sex)
        self.value: list[float] = []
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
                (denominator, LEVEL_RANK[row.geo_level], row.geo_code, row.sex),
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
        for (parent_level, parent_code, child_level), children in sorted(groups.items()):
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
                terms = [(cell, -1.0 if sex == "0" else 1.0) for sex, cell in present.items() if cell is not None]
                if len(terms) > 1:
                    self._add_row(terms)
        self.value_array = np.array(self.value)

    def _add_cell(self, key, value, cost, hidden, known) -> int:
        cell = len(self.keys)
        self.keys.append(key)
        self.value.append(value)
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
        def is_hidden(cell):
            return (self.hidden[cell] and not self.known[cell]) or cell == extra

        seen_cells, seen_rows, stack = {start}, set(), [start]
        while stack:
            cell = stack.pop()
            for row in self.cell_rows[cell]:
                if row in seen_rows:
                    continue
                seen_rows.add(row)
                for other, _ in self.row_cells[row]:
                    if other not in seen_cells and is_hidden(other):
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
        basis = null_space(matrix)
        return basis.shape[1] == 0 or float(np.abs(basis[position[target]]).max()) < TOLERANCE

    def width(self, target: int, extra: int | None = None) -> float:
        cells, rows = self.component(target, extra)
        if not rows:
            return float("inf")
        matrix, rhs, position = self._matrix(cells, rows)
        objective = np.zeros(len(cells))
        objective[position[target]] = 1.0
        low = linprog(objective, A_eq=matrix, b_eq=rhs, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=matrix, b_eq=rhs, bounds=(0, None), method="highs")
        if high.status == 3:
            return float("inf")
        if low.status != 0 or high.status != 0:
            return 0.0  # should not happen: the true values are feasible
        return -high.fun - low.fun

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
        required = self.limit + 1
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


Unit = namedtuple("Unit", "geo_level geo_code parent_geo_level parent_geo_code")
KEY_COLUMNS = ["indicator_id", "age_group", "period_start", "geo_level", "geo_code", "sex"]
ROW_COLUMNS = KEY_COLUMNS + ["numerator", "denominator", "spv_flag", "suppression_reason"]
Row = namedtuple("Row", ROW_COLUMNS)


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


def secondary_suppression(rows: list[Row], units: list[dict], limits: dict[str, float], max_candidates: int = 40):
    """Keys (indicator_id, age_group, period_start, geo_level, geo_code, sex) of the secondary cells.

    rows: the cells of the additive indicators (limits: numerator_limit per indicator) after primary suppression.
    """
    published = published_units(units)
    unit_keys = {(unit.geo_level, unit.geo_code) for unit in published}
    tables: dict[tuple, list[Row]] = defaultdict(list)
    for row in rows:
        if row.indicator_id in limits and (row.geo_level, row.geo_code) in unit_keys:
            tables[(row.indicator_id, row.age_group, row.period_start)].append(row._replace(sex=str(row.sex)))
    secondary_keys = []
    for (indicator, age_group, period_start), table_rows in sorted(tables.items()):
        if not any(row.suppression_reason == "primary" for row in table_rows):
            continue
        table_rows.sort(key=lambda row: (row.geo_level, row.geo_code, row.sex))
        table = Table(table_rows, published, limits[indicator], max_candidates)
        for cell in table.protect():
            level, code, sex = table.keys[cell]
            secondary_keys.append((indicator, age_group, period_start, level, code, sex))
    return sorted(secondary_keys)


def fetch_dicts(relation) -> list[dict]:
    columns = relation.columns
    return [dict(zip(columns, values)) for values in relation.fetchall()]


def model(dbt, session):
    dbt.config(materialized="table")
    suppressed = dbt.ref("int_indicators__suppressed")
    enabled = str(dbt.config.get("suppression_secondary")).lower() not in ("false", "0", "no")
    max_candidates = int(dbt.config.get("suppression_max_candidates") or 40)
    catalogue = fetch_dicts(dbt.ref("indicator_catalogue"))
    limits = {
        entry["indicator_id"]: float(entry["numerator_limit"])
        for entry in catalogue
        if entry["method"] == "share" and entry["numerator_limit"] is not None
    }
    keys: list[tuple] = []
    if enabled and limits:
        wanted = ", ".join("'" + indicator.replace("'", "''") + "'" for indicator in sorted(limits))
        rows = [Row(*values) for values in suppressed.filter(f"indicator_id in ({wanted})").project(
            ", ".join(ROW_COLUMNS)).fetchall()]
        keys = secondary_suppression(rows, fetch_dicts(dbt.ref("int_geography__units")), limits, max_candidates)
    marks = pa.table({column: [key[i] for key in keys] for i, column in enumerate(KEY_COLUMNS)},
                     schema=pa.schema([("indicator_id", pa.string()), ("age_group", pa.string()),
                                       ("period_start", pa.int32()), ("geo_level", pa.string()),
                                       ("geo_code", pa.string()), ("sex", pa.string())]))
    # Relation API on the ref itself: a registered Arrow reader of the same connection would deadlock.
    on = " and ".join(f"s.{column} = m.{column}" for column in KEY_COLUMNS)
    joined = suppressed.set_alias("s").join(session.from_arrow(marks).set_alias("m"), on, how="left")
    return joined.project("""
        s.indicator_id, s.age_group, s.period_start, s.period_end, s.geo_level, s.geo_code, s.sex,
        s.numerator, s.denominator, s.value, s.ci_lower, s.ci_upper,
        case when m.indicator_id is null then s.spv_flag else 3 end as spv_flag,
        case when m.indicator_id is null then s.suppression_reason else 'secondary' end as suppression_reason
    """)
