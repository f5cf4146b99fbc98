#!/usr/bin/env python3
"""Write a self-contained static HTML zone profile for every kommune with levekårssoner.

    python scripts/zone_profiles.py                          # every kommune with zones and data
    python scripts/zone_profiles.py --kommune 0301,4601      # only these
    python scripts/zone_profiles.py --out /tmp/profiles

Reads only the public database (LEVEKAR_PUBLIC_DB [publish/levekar.duckdb]), read-only. Writes `index.html`
(kommuner grouped by fylke) and one `<kommune_code>.html` per kommune into `--out` [publish/profiles]: the pages
are first written into a new folder beside it that then replaces the old one, so a reader never sees a mix of
two runs. Charts are inline SVG drawn here; the pages load nothing from the network.

Each page shows, for every indicator except pure counts, both sexes together and its all-ages group (or each of
its age groups when it has no all-ages group, as for population_share), the latest period: one row per zone with
value and 95 % interval, coloured by the comparison with the land, reference lines for the kommune and the land,
and a trend chart of the kommune, its zones and the land over every period. Hidden cells are labelled, never
drawn as zero.
"""

from __future__ import annotations

import argparse
import html
import math
import os
import shutil
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent

PROFILE_SEX = "0"
ALL_AGES = "0_120"

# How each unit is labelled and rounded on the page; the data table shows the same rounding as the charts.
UNIT_LABELS: dict[str, str] = {
    "percent": "prosent",
    "per_100000": "per 100 000 personår, aldersstandardisert",
    "ratio": "indeks, landet = 100",
    "years": "år",
}
UNIT_DECIMALS: dict[str, int] = {"percent": 1, "per_100000": 0, "ratio": 0, "years": 1}

SPV_LABELS: dict[int, str] = {1: "mangler", 2: "kan ikke beregnes", 3: "skjult (personvern)"}

COMPARISON_LABELS: dict[str | None, str] = {
    "better": "bedre enn landet",
    "similar": "ikke forskjellig fra landet",
    "worse": "dårligere enn landet",
    "higher": "høyere enn landet",
    "lower": "lavere enn landet",
    None: "ikke sammenlignet",
}
COMPARISON_CLASSES: dict[str | None, str] = {
    "better": "cmp-better",
    "similar": "cmp-similar",
    "worse": "cmp-worse",
    "higher": "cmp-higher",
    "lower": "cmp-lower",
    None: "cmp-none",
}

AGE_GROUP_LABELS_NB = {"0_120": "alle aldre"}

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0 auto;max-width:980px;
padding:1rem 1.5rem;color:#1a1a1a;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin:2rem 0 .2rem;border-top:1px solid #ccc;
padding-top:1rem}h3{font-size:1rem;margin:.8rem 0 .2rem}
.meta,.note{color:#444;font-size:.9rem}.refs{font-size:.9rem;margin:.2rem 0 .4rem}
svg{display:block;max-width:100%;height:auto;font-size:12px}
svg text{fill:#1a1a1a}.axis line,.grid{stroke:#ddd}.axis text{fill:#555}
.whisker{stroke:#555;stroke-width:1.5}
.zone-dot{stroke:#1a1a1a;stroke-width:1}
.cmp-better{fill:#2c7bb6}.cmp-similar{fill:#f2c14e}.cmp-worse{fill:#d7191c}
.cmp-higher{fill:#5e3c99}.cmp-lower{fill:#b2abd2}.cmp-none{fill:#999}
.ref-kommune{stroke:#1a1a1a;stroke-width:2}.ref-land{stroke:#1a1a1a;stroke-width:1.5;stroke-dasharray:5 4}
.status{fill:#666;font-style:italic}
.trend-zone{fill:none;stroke:#b9c4cf;stroke-width:1}
.trend-kommune{fill:none;stroke:#1a1a1a;stroke-width:3}
.trend-land{fill:none;stroke:#1a1a1a;stroke-width:1.5;stroke-dasharray:5 4}
.trend-point{fill:#1a1a1a}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;font-size:.9rem;margin:.6rem 0;padding:0;list-style:none}
.legend svg{display:inline;vertical-align:middle}
table{border-collapse:collapse;font-size:.85rem;margin:.4rem 0}th,td{padding:.15rem .5rem;border-bottom:1px solid #eee;
text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
details{margin:.4rem 0}summary{cursor:pointer;color:#124}
ul.kommuner{columns:2}
"""


class ProfileError(Exception):
    """A failure the user can act on; printed as a message, not a stack trace."""


@dataclass(frozen=True)
class Cell:
    value: float | None
    ci_lower: float | None
    ci_upper: float | None
    spv_flag: int
    compared_with_land: str | None


@dataclass(frozen=True)
class Indicator:
    indicator_id: str
    name_nb: str
    unit: str
    age_group: str
    periods: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.indicator_id, self.age_group)

    @property
    def latest_period(self) -> str:
        return self.periods[-1]

    @property
    def title(self) -> str:
        if self.age_group == ALL_AGES:
            return self.name_nb
        return f"{self.name_nb}, {age_group_label(self.age_group)}"


@dataclass
class Kommune:
    code: str
    name: str
    fylke_code: str
    fylke_name: str
    zones: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ProfileData:
    source_name: str
    geography_year: int | None
    land_name: str
    indicators: list[Indicator]
    kommuner: dict[str, Kommune]
    # (indicator_id, age_group) -> geo_code -> period -> cell
    cells: dict[tuple[str, str], dict[str, dict[str, Cell]]]


def age_group_label(age_group: str) -> str:
    if age_group in AGE_GROUP_LABELS_NB:
        return AGE_GROUP_LABELS_NB[age_group]
    low, high = age_group.split("_")
    return f"{low} år og eldre" if high == "120" else f"{low}–{high} år"


def period_label(period: str) -> str:
    first, last = period.split("_")
    return first if first == last else f"{first}–{last}"


def format_number(value: float, decimals: int) -> str:
    """Norwegian style: decimal comma, no-break space between thousands."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u00a0").replace(".", ",")


def load(public_db: Path, kommune_codes: list[str] | None) -> ProfileData:
    if not public_db.is_file():
        raise ProfileError(f"public database {public_db} not found; run `make demo` or `make build` first")
    with duckdb.connect(str(public_db), read_only=True) as con:
        tables = {row[0] for row in con.sql("select table_name from information_schema.tables").fetchall()}
        missing = {"indicator_values", "geography", "indicators"} - tables
        if missing:
            raise ProfileError(f"{public_db} is not a levekår public database: no table {', '.join(sorted(missing))}")
        land = con.sql("select geo_name, geography_year from geography where geo_level = 'land'").fetchone()
        kommuner = load_kommuner(con)
        catalogue = con.sql(
            "select indicator_id, name_nb, unit, age_groups from indicators"
            # Indicators that can be better or worse come first; neutral ones (age structure) give context.
            " where method <> 'count' order by polarity = 'none', name_nb, indicator_id"
        ).fetchall()
        wanted: list[tuple[str, str, str, str]] = []
        for indicator_id, name_nb, unit, age_groups in catalogue:
            groups = age_groups.split()
            for age_group in [ALL_AGES] if ALL_AGES in groups else groups:
                wanted.append((indicator_id, name_nb, unit, age_group))
        con.execute("create temporary table wanted (indicator_id varchar, age_group varchar)")
        con.executemany("insert into wanted values (?, ?)", [(w[0], w[3]) for w in wanted])
        rows = con.sql(
            """
            select v.indicator_id, v.age_group, v.period, v.geo_code,
                v.value, v.ci_lower, v.ci_upper, v.spv_flag, v.compared_with_land
            from indicator_values as v
            inner join wanted as w on v.indicator_id = w.indicator_id and v.age_group = w.age_group
            where v.sex = '0' and v.geo_level in ('land', 'kommune', 'levekarssone')
            order by v.period_end
            """
        ).fetchall()
    cells: dict[tuple[str, str], dict[str, dict[str, Cell]]] = defaultdict(lambda: defaultdict(dict))
    periods: dict[tuple[str, str], list[str]] = defaultdict(list)
    for indicator_id, age_group, period, geo_code, value, lower, upper, spv, comparison in rows:
        key = (indicator_id, age_group)
        cells[key][geo_code][period] = Cell(value, lower, upper, spv, comparison)
        if period not in periods[key]:
            periods[key].append(period)
    indicators = [
        Indicator(indicator_id, name_nb, unit, age_group, tuple(periods[(indicator_id, age_group)]))
        for indicator_id, name_nb, unit, age_group in wanted
        if periods[(indicator_id, age_group)]
    ]
    data = ProfileData(
        source_name=public_db.name,
        geography_year=land[1] if land else None,
        land_name=land[0] if land else "Norge",
        indicators=indicators,
        kommuner=kommuner,
        cells=cells,
    )
    return select_kommuner(data, kommune_codes)


def load_kommuner(con: duckdb.DuckDBPyConnection) -> dict[str, Kommune]:
    kommuner: dict[str, Kommune] = {}
    for code, name, fylke_code, fylke_name in con.sql(
        "select geo_code, geo_name, fylke_code, fylke_name from geography where geo_level = 'kommune'"
        " order by geo_code"
    ).fetchall():
        kommuner[code] = Kommune(code, name, fylke_code, fylke_name)
    for code, name, kommune_code in con.sql(
        "select geo_code, geo_name, kommune_code from geography where geo_level = 'levekarssone' order by geo_code"
    ).fetchall():
        if kommune_code in kommuner:
            kommuner[kommune_code].zones.append((code, name))
    return {code: k for code, k in kommuner.items() if k.zones}


def has_shown_value(data: ProfileData, kommune: Kommune) -> bool:
    for indicator in data.indicators:
        if is_shown(data.cells[indicator.key].get(kommune.code, {}).get(indicator.latest_period)):
            return True
    return False


def select_kommuner(data: ProfileData, kommune_codes: list[str] | None) -> ProfileData:
    """Kommuner with zones; without --kommune only those with a shown value (the small demo covers a few)."""
    if kommune_codes is None:
        data.kommuner = {c: k for c, k in data.kommuner.items() if has_shown_value(data, k)}
        return data
    unknown = [code for code in kommune_codes if code not in data.kommuner]
    if unknown:
        raise ProfileError(
            f"no kommune with published levekårssoner has the code {', '.join(unknown)}"
            " (a kommune with a single zone has no zone profile)"
        )
    data.kommuner = {code: data.kommuner[code] for code in kommune_codes}
    return data


# ---------------------------------------------------------------------------------------------------- charts


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        high = low + 1.0
    raw_step = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw_step)
    first = math.floor(low / step) * step
    ticks = []
    tick = first
    while tick <= high + step * 1e-9:
        ticks.append(round(tick, 10))
        tick += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def bounds(cells: list[Cell]) -> tuple[float, float]:
    numbers = [
        n for c in cells if c.spv_flag == 0 for n in (c.value, c.ci_lower, c.ci_upper) if n is not None
    ]
    return (min(numbers), max(numbers)) if numbers else (0.0, 1.0)


def is_shown(cell: Cell | None) -> bool:
    return cell is not None and cell.spv_flag == 0 and cell.value is not None


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def cell_description(cell: Cell | None, decimals: int) -> str:
    if cell is None:
        return "mangler"
    if not is_shown(cell):
        return SPV_LABELS.get(cell.spv_flag, "mangler")
    text = format_number(cell.value, decimals)
    if cell.ci_lower is not None and cell.ci_upper is not None:
        text += f" (95 % KI {format_number(cell.ci_lower, decimals)}–{format_number(cell.ci_upper, decimals)})"
    return text


def dot_chart(data: ProfileData, kommune: Kommune, indicator: Indicator, chart_id: str) -> str:
    decimals = UNIT_DECIMALS.get(indicator.unit, 1)
    period = indicator.latest_period
    by_geo = data.cells[indicator.key]
    kommune_cell = by_geo.get(kommune.code, {}).get(period)
    land_cell = by_geo.get("0", {}).get(period)
    zone_cells = [(code, name, by_geo.get(code, {}).get(period)) for code, name in kommune.zones]
    references = [c for c in (kommune_cell, land_cell) if c is not None]
    low, high = bounds([c for _, _, c in zone_cells if c is not None] + references)
    ticks = nice_ticks(low, high)
    width, label_width, value_width, row_height, top, bottom = 820, 250, 150, 20, 30, 34
    x0, x1 = label_width, width - value_width
    height = top + row_height * len(zone_cells) + bottom

    def x(value: float) -> float:
        return x0 + (value - ticks[0]) / (ticks[-1] - ticks[0]) * (x1 - x0)

    title = f"{indicator.title}, {period_label(period)}: soner i {kommune.name}"
    desc = (
        f"Prikk og 95 % konfidensintervall for hver av {len(zone_cells)} levekårssoner. "
        f"{kommune.name}: {cell_description(kommune_cell, decimals)}. "
        f"{data.land_name}: {cell_description(land_cell, decimals)}."
    )
    parts = [
        f'<svg class="dot-chart" id="{chart_id}" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{esc(title)}</title><desc id="{chart_id}-desc">{esc(desc)}</desc>',
        '<g class="axis">',
    ]
    axis_y = height - bottom
    for tick in ticks:
        parts.append(
            f'<line class="grid" x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top - 4}" y2="{axis_y}"/>'
            f'<text x="{x(tick):.1f}" y="{axis_y + 15}" text-anchor="middle">'
            f"{esc(format_number(tick, tick_decimals(ticks)))}</text>"
        )
    parts.append("</g>")
    for index, (code, name, cell) in enumerate(zone_cells):
        y = top + row_height * index + row_height / 2
        parts.append(f'<g class="zone-row" data-geo="{esc(code)}">')
        parts.append(f'<text x="{x0 - 8}" y="{y + 4:.1f}" text-anchor="end">{esc(short_name(name))}</text>')
        if not is_shown(cell):
            label = cell_description(cell, decimals)
            parts.append(f'<text class="status" x="{x0 + 6}" y="{y + 4:.1f}">{esc(label)}</text>')
        else:
            if cell.ci_lower is not None and cell.ci_upper is not None:
                xl, xu = x(cell.ci_lower), x(cell.ci_upper)
                parts.append(
                    f'<path class="whisker" d="M{xl:.1f} {y:.1f}H{xu:.1f}M{xl:.1f} {y - 4:.1f}v8'
                    f'M{xu:.1f} {y - 4:.1f}v8"/>'
                )
            comparison = COMPARISON_LABELS.get(cell.compared_with_land, COMPARISON_LABELS[None])
            parts.append(
                f'<circle class="zone-dot {COMPARISON_CLASSES.get(cell.compared_with_land, "cmp-none")}"'
                f' cx="{x(cell.value):.1f}" cy="{y:.1f}" r="5"><title>{esc(name)}: '
                f"{esc(cell_description(cell, decimals))}, {esc(comparison)}</title></circle>"
            )
            parts.append(
                f'<text x="{x1 + 10}" y="{y + 4:.1f}">{esc(format_number(cell.value, decimals))}</text>'
            )
        parts.append("</g>")
    # The label of the lower reference line goes to its left and the other's to its right, so they never overlap.
    kommune_right = not (is_shown(land_cell) and is_shown(kommune_cell) and kommune_cell.value < land_cell.value)
    for cell, css, label, right in (
        (kommune_cell, "ref-kommune", kommune.name, kommune_right),
        (land_cell, "ref-land", data.land_name, not kommune_right),
    ):
        if is_shown(cell):
            xv = x(cell.value)
            anchor = "start" if right else "end"
            dx = 4 if right else -4
            parts.append(
                f'<line class="{css}" x1="{xv:.1f}" x2="{xv:.1f}" y1="{top - 6}" y2="{axis_y}">'
                f"<title>{esc(label)}: {esc(cell_description(cell, decimals))}</title></line>"
                f'<text x="{xv + dx:.1f}" y="{top - 12}" text-anchor="{anchor}">{esc(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def tick_decimals(ticks: list[float]) -> int:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    return 0 if step >= 1 else min(3, max(1, -math.floor(math.log10(step))))


def short_name(name: str, limit: int = 38) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def trend_chart(data: ProfileData, kommune: Kommune, indicator: Indicator, chart_id: str) -> str:
    decimals = UNIT_DECIMALS.get(indicator.unit, 1)
    by_geo = data.cells[indicator.key]
    periods = indicator.periods
    if len(periods) < 2:
        return f'<p class="note">Bare én periode ({esc(period_label(periods[0]))}): ingen utvikling å vise.</p>'
    series_codes = [code for code, _ in kommune.zones] + [kommune.code, "0"]
    low, high = bounds([c for code in series_codes for c in by_geo.get(code, {}).values()])
    ticks = nice_ticks(low, high, 4)
    width, height, left, right, top, bottom = 820, 230, 60, 110, 12, 30
    x0, x1, y0, y1 = left, width - right, height - bottom, top

    def x(index: int) -> float:
        return x0 + index / (len(periods) - 1) * (x1 - x0)

    def y(value: float) -> float:
        return y0 - (value - ticks[0]) / (ticks[-1] - ticks[0]) * (y0 - y1)

    def segments(code: str) -> list[list[tuple[float, float]]]:
        result: list[list[tuple[float, float]]] = [[]]
        for index, period in enumerate(periods):
            cell = by_geo.get(code, {}).get(period)
            if not is_shown(cell):
                if result[-1]:
                    result.append([])
            else:
                result[-1].append((x(index), y(cell.value)))
        return [s for s in result if s]

    def polylines(code: str, css: str, label: str) -> str:
        out = []
        for segment in segments(code):
            points = " ".join(f"{px:.1f},{py:.1f}" for px, py in segment)
            out.append(f'<polyline class="{css}" points="{points}"><title>{esc(label)}</title></polyline>')
        return "".join(out)

    title = f"{indicator.title}: utvikling {period_label(periods[0])} til {period_label(periods[-1])}"
    desc = (
        f"Linjer for {kommune.name} (tykk), {data.land_name} (stiplet) og hver av {len(kommune.zones)} soner (tynne, grå)."
        " Skjulte eller manglende verdier bryter linjen."
    )
    parts = [
        f'<svg class="trend-chart" id="{chart_id}" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{esc(title)}</title><desc id="{chart_id}-desc">{esc(desc)}</desc>',
        '<g class="axis">',
    ]
    for tick in ticks:
        parts.append(
            f'<line class="grid" x1="{x0}" x2="{x1}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
            f'<text x="{x0 - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">'
            f"{esc(format_number(tick, tick_decimals(ticks)))}</text>"
        )
    step = max(1, math.ceil(len(periods) / 8))
    for index, period in enumerate(periods):
        if index % step == 0 or index == len(periods) - 1:
            parts.append(
                f'<text x="{x(index):.1f}" y="{y0 + 18}" text-anchor="middle">{esc(period_label(period))}</text>'
            )
    parts.append("</g>")
    for code, name in kommune.zones:
        parts.append(polylines(code, "trend-zone", name))
    parts.append(polylines("0", "trend-land", data.land_name))
    parts.append(polylines(kommune.code, "trend-kommune", kommune.name))
    for index, period in enumerate(periods):
        cell = by_geo.get(kommune.code, {}).get(period)
        if is_shown(cell):
            parts.append(
                f'<circle class="trend-point" cx="{x(index):.1f}" cy="{y(cell.value):.1f}" r="3.5">'
                f"<title>{esc(kommune.name)} {esc(period_label(period))}: "
                f"{esc(cell_description(cell, decimals))}</title></circle>"
            )
    end_labels = []
    for code, label in ((kommune.code, kommune.name), ("0", data.land_name)):
        cell = by_geo.get(code, {}).get(periods[-1])
        if is_shown(cell):
            end_labels.append([y(cell.value) + 4, label])
    # Labels of lines that end close together are pushed apart to stay readable.
    end_labels.sort()
    if len(end_labels) == 2 and end_labels[1][0] - end_labels[0][0] < 13:
        middle = (end_labels[0][0] + end_labels[1][0]) / 2
        end_labels[0][0], end_labels[1][0] = middle - 6.5, middle + 6.5
    for label_y, label in end_labels:
        parts.append(f'<text x="{x1 + 6}" y="{label_y:.1f}">{esc(short_name(label, 16))}</text>')
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------------- tables


def value_cells(cell: Cell | None, decimals: int) -> str:
    if not is_shown(cell):
        status = SPV_LABELS.get(cell.spv_flag, "mangler") if cell is not None else "mangler"
        return f'<td class="value status-text" colspan="3">{esc(status)}</td><td>–</td>'
    lower = format_number(cell.ci_lower, decimals) if cell.ci_lower is not None else "–"
    upper = format_number(cell.ci_upper, decimals) if cell.ci_upper is not None else "–"
    comparison = COMPARISON_LABELS.get(cell.compared_with_land, COMPARISON_LABELS[None])
    return (
        f'<td class="num value">{esc(format_number(cell.value, decimals))}</td>'
        f'<td class="num ci-lower">{esc(lower)}</td><td class="num ci-upper">{esc(upper)}</td>'
        f"<td>{esc(comparison)}</td>"
    )


def latest_table(data: ProfileData, kommune: Kommune, indicator: Indicator) -> str:
    decimals = UNIT_DECIMALS.get(indicator.unit, 1)
    period = indicator.latest_period
    by_geo = data.cells[indicator.key]
    rows = [("0", data.land_name, "land"), (kommune.code, kommune.name, "kommune")]
    rows += [(code, name, "levekarssone") for code, name in kommune.zones]
    body = "".join(
        f'<tr data-geo="{esc(code)}" data-level="{level}"><th scope="row">{esc(name)}</th>'
        f"{value_cells(by_geo.get(code, {}).get(period), decimals)}</tr>"
        for code, name, level in rows
    )
    return (
        f'<table class="latest"><caption>{esc(indicator.title)}, {esc(period_label(period))}</caption>'
        '<thead><tr><th scope="col">Område</th><th scope="col">Verdi</th><th scope="col">Nedre grense</th>'
        '<th scope="col">Øvre grense</th><th scope="col">Sammenlignet med landet</th></tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def trend_table(data: ProfileData, kommune: Kommune, indicator: Indicator) -> str:
    decimals = UNIT_DECIMALS.get(indicator.unit, 1)
    by_geo = data.cells[indicator.key]
    rows = [("0", data.land_name), (kommune.code, kommune.name)] + list(kommune.zones)
    head = "".join(f'<th scope="col">{esc(period_label(p))}</th>' for p in indicator.periods)
    body = []
    for code, name in rows:
        cells = []
        for period in indicator.periods:
            cell = by_geo.get(code, {}).get(period)
            if is_shown(cell):
                cells.append(f'<td class="num">{esc(format_number(cell.value, decimals))}</td>')
            else:
                cells.append(f"<td>{esc(cell_description(cell, decimals))}</td>")
        body.append(f'<tr data-geo="{esc(code)}"><th scope="row">{esc(name)}</th>{"".join(cells)}</tr>')
    return (
        f'<table class="trend"><caption>{esc(indicator.title)}: alle perioder</caption>'
        f'<thead><tr><th scope="col">Område</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


# ---------------------------------------------------------------------------------------------------- pages


def legend() -> str:
    items = [
        ("cmp-better", "bedre enn landet"),
        ("cmp-similar", "ikke forskjellig fra landet"),
        ("cmp-worse", "dårligere enn landet"),
        ("cmp-higher", "høyere enn landet (ingen retning for godt/dårlig)"),
        ("cmp-lower", "lavere enn landet (ingen retning for godt/dårlig)"),
    ]
    dots = "".join(
        f'<li><svg width="14" height="14" aria-hidden="true"><circle class="{css}" cx="7" cy="7" r="5"'
        f' stroke="#1a1a1a"/></svg> {esc(label)}</li>'
        for css, label in items
    )
    lines = (
        '<li><svg width="28" height="14" aria-hidden="true"><line class="ref-kommune" x1="14" x2="14" y1="0"'
        ' y2="14"/></svg> kommunen</li><li><svg width="28" height="14" aria-hidden="true"><line class="ref-land"'
        ' x1="14" x2="14" y1="0" y2="14"/></svg> landet</li>'
    )
    return f'<ul class="legend" aria-label="Forklaring">{dots}{lines}</ul>'


EXPLANATION = (
    "Hver prikk er en levekårssones verdi; den vannrette streken er 95 % konfidensintervall, området der den "
    "sanne verdien med stor sannsynlighet ligger når tallene er små. En sone er merket bedre eller dårligere "
    "enn landet bare når landets verdi ligger utenfor sonens intervall; ellers er den ikke forskjellig fra "
    "landet. For indikatorer uten retning (som andel av befolkningen) står det høyere eller lavere. "
    "Celler med for få personer er skjult av hensyn til personvern og vises som «skjult (personvern)», aldri "
    "som null; «mangler» betyr at data mangler for perioden, «kan ikke beregnes» at nevneren er null eller "
    "tallene er for små for metoden."
)


def page(data: ProfileData, kommune: Kommune) -> str:
    sections = []
    for number, indicator in enumerate(data.indicators):
        unit = UNIT_LABELS.get(indicator.unit, indicator.unit)
        decimals = UNIT_DECIMALS.get(indicator.unit, 1)
        period = indicator.latest_period
        kommune_cell = data.cells[indicator.key].get(kommune.code, {}).get(period)
        land_cell = data.cells[indicator.key].get("0", {}).get(period)
        chart_id = f"i{number}"
        sections.append(
            f'<section class="indicator" id="{esc(indicator.indicator_id)}-{esc(indicator.age_group)}"'
            f' data-indicator="{esc(indicator.indicator_id)}" data-age-group="{esc(indicator.age_group)}">'
            f"<h2>{esc(indicator.title)}</h2>"
            f'<p class="meta">{esc(unit)}; begge kjønn; {esc(period_label(period))}</p>'
            f'<p class="refs">{esc(kommune.name)}: <strong>{esc(cell_description(kommune_cell, decimals))}</strong>'
            f" · {esc(data.land_name)}: {esc(cell_description(land_cell, decimals))}</p>"
            f"{dot_chart(data, kommune, indicator, chart_id + 'd')}"
            f"<h3>Utvikling</h3>{trend_chart(data, kommune, indicator, chart_id + 't')}"
            f"<details><summary>Tallene i tabell</summary>{latest_table(data, kommune, indicator)}"
            f"{trend_table(data, kommune, indicator)}</details></section>"
        )
    geography = f"geografi per 1. januar {data.geography_year}" if data.geography_year else "gjeldende geografi"
    return (
        '<!DOCTYPE html><html lang="nb"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Levekårsprofil {esc(kommune.name)}</title><style>{CSS}</style></head><body>"
        '<p class="note"><a href="index.html">Alle kommuner</a></p>'
        f"<h1>Levekårsprofil for {esc(kommune.name)}</h1>"
        f'<p class="meta">Kommunenummer {esc(kommune.code)}, {esc(kommune.fylke_name)}; '
        f"{len(kommune.zones)} levekårssoner; siste periode for hver indikator; begge kjønn.</p>"
        f'<p class="note">Kilde: den offentlige levekårsdatabasen ({esc(data.source_name)}), {esc(geography)}. '
        "Tallene er beregnet fra grunnkretsdata med samme metode på alle nivåer.</p>"
        f"{legend()}<p class=\"note\">{esc(EXPLANATION)}</p>"
        f"{''.join(sections)}</body></html>\n"
    )


def index_page(data: ProfileData) -> str:
    by_fylke: dict[tuple[str, str], list[Kommune]] = defaultdict(list)
    for kommune in data.kommuner.values():
        by_fylke[(kommune.fylke_code, kommune.fylke_name)].append(kommune)
    groups = []
    for (fylke_code, fylke_name), kommuner in sorted(by_fylke.items()):
        items = "".join(
            f'<li><a href="{esc(k.code)}.html">{esc(k.name)}</a> ({esc(k.code)}, {len(k.zones)} soner)</li>'
            for k in sorted(kommuner, key=lambda k: k.code)
        )
        groups.append(f'<h2 id="fylke-{esc(fylke_code)}">{esc(fylke_name)}</h2><ul class="kommuner">{items}</ul>')
    return (
        '<!DOCTYPE html><html lang="nb"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Levekårsprofiler</title><style>{CSS}</style></head><body><h1>Levekårsprofiler</h1>"
        f'<p class="meta">{len(data.kommuner)} kommuner med levekårssoner. '
        f"Kilde: den offentlige levekårsdatabasen ({esc(data.source_name)}).</p>"
        f"{''.join(groups)}</body></html>\n"
    )


def write_profiles(data: ProfileData, out: Path) -> int:
    """Write every page into a new folder beside `out`, then swap it in."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.new-{os.getpid()}"
    retired = out.parent / f".{out.name}.old-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        for kommune in data.kommuner.values():
            (staging / f"{kommune.code}.html").write_text(page(data, kommune), encoding="utf-8")
        (staging / "index.html").write_text(index_page(data), encoding="utf-8")
        if out.exists():
            out.rename(retired)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(retired, ignore_errors=True)
    return len(data.kommuner)


def parse_codes(text: str | None) -> list[str] | None:
    if text is None:
        return None
    codes = [code.strip() for code in text.split(",") if code.strip()]
    if not codes:
        raise ProfileError("--kommune needs at least one kommune code, e.g. --kommune 0301,4601")
    return codes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "publish" / "profiles", help="output folder")
    parser.add_argument("--kommune", help="comma-separated kommune codes (default: every kommune with zones)")
    args = parser.parse_args(argv)
    public_db = Path(os.environ.get("LEVEKAR_PUBLIC_DB", "publish/levekar.duckdb"))
    # Relative paths are read from the project folder, as scripts/levekar.py writes them.
    public_db = public_db if public_db.is_absolute() else PROJECT_DIR / public_db
    try:
        data = load(public_db, parse_codes(args.kommune))
        if not data.kommuner:
            raise ProfileError(f"{public_db} has no kommune with levekårssoner and shown values")
        count = write_profiles(data, args.out)
    except ProfileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (OSError, duckdb.Error) as error:
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(f"wrote {count} zone profiles and index.html to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
