#!/usr/bin/env python3
"""Read-only HTTP API over the public database: indicators, geography, and data as JSON-stat 2.0 or CSV.

    python scripts/api.py [--host 127.0.0.1] [--port 8000] [--db publish/levekar.duckdb]    # or `make api`

Endpoints (README, section Publishing > API):
    GET /indicators                     the catalogue (table `indicators`)
    GET /indicators/{id}                one indicator, with the periods, levels, sexes and age groups it has
    GET /geography?level=&parent=       published units, optionally of some levels and below one parent
    GET /data/{id}?level=&geo=&parent=&period=&sex=&age_group=&format=jsonstat|csv

Defaults come from the environment: LEVEKAR_PUBLIC_DB [publish/levekar.duckdb, relative to the project],
LEVEKAR_API_HOST [127.0.0.1], LEVEKAR_API_PORT [8000], LEVEKAR_API_MAX_CELLS [500000].

The build replaces the public database by writing a new file and renaming it over the old one. The API keeps
one read-only connection and reopens it when the file's identity (device, inode, mtime, size) changes, so it
serves the new release from the first request after the rename. DuckDB hands out the already open database for
the same path while any connection to it is alive, so the old connection is closed first, once no request uses
it; requests running during the swap finish on the old release.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PROJECT_DIR = Path(__file__).resolve().parent.parent

GEO_LEVELS = ("land", "fylke", "kommune", "bydel", "levekarssone")
# The column of table `geography` that holds a unit's ancestor of the parent's level, by the parent code's length.
PARENT_COLUMNS = {
    1: ("land", None), 2: ("fylke", "fylke_code"), 4: ("kommune", "kommune_code"), 6: ("bydel", "bydel_code"),
}
SEX_LABELS = {"0": "Begge kjønn", "1": "Menn", "2": "Kvinner"}
STATUS_LABELS = {
    "1": "mangler eller er ubrukelig (spv_flag 1)",
    "2": "kan ikke beregnes (spv_flag 2)",
    "3": "skjult av personvernhensyn (spv_flag 3)",
    ".": "finnes ikke i tabellen for denne kombinasjonen",
}

PATTERNS = {
    "indicator_id": re.compile(r"[a-z][a-z0-9_]{0,63}"),
    "geo": re.compile(r"0|\d{2}|\d{4}|\d{6}|\d{10}"),
    "parent": re.compile(r"0|\d{2}|\d{4}|\d{6}"),
    "period": re.compile(r"\d{4}_\d{4}"),
    "sex": re.compile(r"[012]"),
    "age_group": re.compile(r"\d{1,3}_\d{1,3}"),
}
FORMATS = ("jsonstat", "csv")
# More values than there are published units would only be a way to make the server build huge SQL statements.
MAX_VALUES_PER_PARAMETER = 5000
DEFAULT_MAX_CELLS = 500_000

CSV_COLUMNS = (
    "indicator_id", "period", "geo_level", "geo_code", "geo_name", "sex", "age_group",
    "numerator", "denominator", "value", "ci_lower", "ci_upper", "spv_flag",
)


class ApiError(Exception):
    """An error the client can act on: sent as {"error": {"status", "message", "parameter"}}."""

    def __init__(self, status: int, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameter = parameter


def error_response(status: int, message: str, parameter: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"status": status, "message": message}
    if parameter is not None:
        body["parameter"] = parameter
    return JSONResponse({"error": body}, status_code=status)


@dataclass
class _OpenDatabase:
    identity: tuple[int, int, int, int]
    connection: duckdb.DuckDBPyConnection
    users: int = 0


class PublicDatabase:
    """The public DuckDB file, opened read-only and reopened after the build renames a new release into place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._open: _OpenDatabase | None = None

    @contextmanager
    def cursor(self) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
        """Yield a cursor and the release's time stamp (the file's mtime, UTC, ISO 8601)."""
        with self._lock:
            try:
                stat = os.stat(self.path)
            except FileNotFoundError:
                raise ApiError(503, "the public database does not exist yet: run the build") from None
            identity = (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)
            if self._open is not None and self._open.identity != identity and self._open.users == 0:
                self._open.connection.close()
                self._open = None
            if self._open is None:
                try:
                    connection = duckdb.connect(str(self.path), read_only=True)
                except duckdb.Error as error:
                    raise ApiError(503, f"the public database cannot be opened: {error}") from None
                self._open = _OpenDatabase(identity, connection)
            current = self._open
            current.users += 1
            cursor = current.connection.cursor()
        updated = datetime.datetime.fromtimestamp(current.identity[2] / 1e9, tz=datetime.timezone.utc)
        try:
            yield cursor, updated.strftime("%Y-%m-%dT%H:%M:%SZ")
        finally:
            cursor.close()
            with self._lock:
                current.users -= 1


def query_values(request: Request, name: str) -> list[str]:
    """Every value of a parameter: repeated (?geo=a&geo=b) or comma-separated (?geo=a,b), each checked."""
    values = [part.strip() for raw in request.query_params.getlist(name) for part in raw.split(",")]
    if any(value == "" for value in values):
        raise ApiError(400, f"parameter '{name}' has an empty value", name)
    if len(values) > MAX_VALUES_PER_PARAMETER:
        raise ApiError(400, f"parameter '{name}' has more than {MAX_VALUES_PER_PARAMETER} values", name)
    pattern = PATTERNS.get(name)
    for value in values:
        if name == "level" and value not in GEO_LEVELS:
            raise ApiError(400, f"unknown level '{value[:40]}': use one of {', '.join(GEO_LEVELS)}", name)
        if pattern is not None and not pattern.fullmatch(value):
            raise ApiError(400, f"malformed value '{value[:40]}' for parameter '{name}'", name)
    return list(dict.fromkeys(values))


def reject_unknown_parameters(request: Request, allowed: tuple[str, ...]) -> None:
    for name in request.query_params:
        if name not in allowed:
            accepted = f"allowed are {', '.join(allowed)}" if allowed else "this endpoint takes no parameters"
            raise ApiError(400, f"unknown parameter '{name[:40]}': {accepted}", name[:40])


def placeholders(values: list[str]) -> str:
    return ", ".join("?" for _ in values)


def rows_as_dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def fetch_indicator(cursor: duckdb.DuckDBPyConnection, indicator_id: str) -> dict[str, Any]:
    if PATTERNS["indicator_id"].fullmatch(indicator_id):
        rows = rows_as_dicts(cursor.execute("select * from indicators where indicator_id = ?", [indicator_id]))
        if rows:
            return rows[0]
    raise ApiError(404, f"unknown indicator '{indicator_id[:64]}': see /indicators")


def parent_filter(cursor: duckdb.DuckDBPyConnection, parents: list[str]) -> tuple[str, list[str]]:
    """SQL condition (on table alias g) and parameters for units below any of the parents; each must exist."""
    conditions, parameters = [], []
    for parent in parents:
        level, column = PARENT_COLUMNS[len(parent)]
        found = cursor.execute(
            "select count(*) from geography where geo_level = ? and geo_code = ?", [level, parent]
        ).fetchone()
        if found is None or found[0] == 0:
            raise ApiError(400, f"unknown parent '{parent}': no {level} with this code", "parent")
        if column is None:
            conditions.append("g.geo_level <> 'land'")
        else:
            conditions.append(f"(g.{column} = ? and g.geo_code <> ?)")
            parameters += [parent, parent]
    return "(" + " or ".join(conditions) + ")", parameters


def check_known(known: list[str], values: list[str], parameter: str, what: str, listing: str) -> None:
    unknown = [value for value in values if value not in known]
    if unknown:
        shown = ", ".join(known) if len(known) <= 20 else f"see {listing}"
        raise ApiError(400, f"unknown {what} '{unknown[0]}' (available: {shown})", parameter)


def distinct_values(cursor: duckdb.DuckDBPyConnection, column: str, indicator_id: str) -> list[str]:
    """The values of one column of indicator_values that the indicator has, in cube order."""
    if column == "geo_level":
        sql = (
            "select v.geo_level from indicator_values as v join geography as g using (geo_level, geo_code)"
            " where v.indicator_id = ? group by v.geo_level order by min(g.level_order)"
        )
    else:
        order = {
            "period": "period",
            "sex": "sex",
            "age_group": "split_part(age_group, '_', 1)::integer, split_part(age_group, '_', 2)::integer",
        }[column]
        sql = f"select distinct {column} from indicator_values where indicator_id = ? order by {order}"
    return [row[0] for row in cursor.execute(sql, [indicator_id]).fetchall()]


def age_group_label(age_group: str) -> str:
    """The labels of seeds/config/age_groups.csv, which the public database does not carry."""
    low, high = (int(part) for part in age_group.split("_"))
    if low == 0 and high == 120:
        return "Alle aldre"
    if high == 120:
        return f"{low} år og eldre"
    return f"{low}-{high} år"


def period_label(period: str) -> str:
    first, last = period.split("_")
    return first if first == last else f"{first}-{last}"


@dataclass(frozen=True)
class Selection:
    where: str
    parameters: list[Any]


def data_selection(request: Request, cursor: duckdb.DuckDBPyConnection, indicator_id: str) -> Selection:
    conditions = ["v.indicator_id = ?"]
    parameters: list[Any] = [indicator_id]
    levels = query_values(request, "level")
    if levels:
        conditions.append(f"v.geo_level in ({placeholders(levels)})")
        parameters += levels
    geos = query_values(request, "geo")
    if geos:
        known = cursor.execute(
            f"select geo_code from geography where geo_code in ({placeholders(geos)})", geos
        ).fetchall()
        check_known([row[0] for row in known], geos, "geo", "geo code", "/geography")
        conditions.append(f"v.geo_code in ({placeholders(geos)})")
        parameters += geos
    parents = query_values(request, "parent")
    if parents:
        condition, parent_parameters = parent_filter(cursor, parents)
        conditions.append(condition)
        parameters += parent_parameters
    for name, what in (("period", "period"), ("sex", "sex"), ("age_group", "age group")):
        values = query_values(request, name)
        if values:
            check_known(
                distinct_values(cursor, name, indicator_id), values, name, f"{what} for {indicator_id}",
                f"/indicators/{indicator_id}",
            )
            conditions.append(f"v.{name} in ({placeholders(values)})")
            parameters += values
    return Selection(" and ".join(conditions), parameters)


def select_rows(cursor: duckdb.DuckDBPyConnection, selection: Selection) -> list[tuple[Any, ...]]:
    # Rows in the order of the JSON-stat cube: GEO (level, code), AAR, KJONN, ALDER (lower, upper age).
    return cursor.execute(
        "select v.indicator_id, v.period, v.geo_level, v.geo_code, g.geo_name, v.sex, v.age_group,"
        " v.numerator, v.denominator, v.value, v.ci_lower, v.ci_upper, v.spv_flag"
        " from indicator_values as v join geography as g using (geo_level, geo_code)"
        f" where {selection.where}"
        " order by g.level_order, v.geo_code, v.period, v.sex,"
        " split_part(v.age_group, '_', 1)::integer, split_part(v.age_group, '_', 2)::integer",
        selection.parameters,
    ).fetchall()


def check_size(cursor: duckdb.DuckDBPyConnection, selection: Selection, max_cells: int) -> None:
    counts = cursor.execute(
        "select count(distinct v.geo_code), count(distinct v.period), count(distinct v.sex),"
        " count(distinct v.age_group)"
        " from indicator_values as v join geography as g using (geo_level, geo_code)"
        f" where {selection.where}",
        selection.parameters,
    ).fetchone()
    cells = 1
    for count in counts or ():
        cells *= count
    if cells > max_cells:
        raise ApiError(
            400,
            f"the selection has {cells} cells, more than the limit of {max_cells}:"
            " narrow it with level, geo, parent or period",
        )


def jsonstat_dataset(indicator: dict[str, Any], rows: list[tuple[Any, ...]], updated: str) -> dict[str, Any]:
    geo_names: dict[str, str] = {}
    geo_levels: dict[str, str] = {}
    for row in rows:
        geo_names.setdefault(row[3], row[4])
        geo_levels.setdefault(row[3], row[2])
    periods = sorted({row[1] for row in rows})
    sexes = sorted({row[5] for row in rows})
    ages = sorted({row[6] for row in rows}, key=lambda code: tuple(int(part) for part in code.split("_")))
    categories = [list(geo_names), periods, sexes, ages]
    positions = [{code: i for i, code in enumerate(codes)} for codes in categories]
    size = [len(codes) for codes in categories]
    cells = size[0] * size[1] * size[2] * size[3]

    value: list[float | None] = [None] * cells
    extension_arrays: dict[str, list[float | None]] = {
        name: [None] * cells for name in ("ci_lower", "ci_upper", "numerator", "denominator")
    }
    present = bytearray(cells)
    status: dict[str, str] = {}
    for row in rows:
        g, a, k, al = (positions[d][code] for d, code in enumerate((row[3], row[1], row[5], row[6])))
        index = ((g * size[1] + a) * size[2] + k) * size[3] + al
        value[index] = row[9]
        extension_arrays["numerator"][index] = row[7]
        extension_arrays["denominator"][index] = row[8]
        extension_arrays["ci_lower"][index] = row[10]
        extension_arrays["ci_upper"][index] = row[11]
        present[index] = 1
        if row[12]:
            status[str(index)] = str(row[12])
    status.update({str(index): "." for index in range(cells) if not present[index]})

    def dimension(label: str, codes: list[str], labels: dict[str, str]) -> dict[str, Any]:
        return {"label": label, "category": {"index": codes, "label": {code: labels[code] for code in codes}}}

    return {
        "version": "2.0",
        "class": "dataset",
        "label": f"{indicator['name_nb']} ({indicator['unit']})",
        "source": "Folkehelsestatistikk: levekår (publish/levekar.duckdb)",
        "updated": updated,
        "note": [indicator["description"]] if indicator.get("description") else [],
        "id": ["GEO", "AAR", "KJONN", "ALDER"],
        "size": size,
        "role": {"geo": ["GEO"], "time": ["AAR"]},
        "dimension": {
            "GEO": {**dimension("Geografi", categories[0], geo_names), "extension": {"geo_level": geo_levels}},
            "AAR": dimension("År", periods, {code: period_label(code) for code in periods}),
            "KJONN": dimension("Kjønn", sexes, SEX_LABELS),
            "ALDER": dimension("Alder", ages, {code: age_group_label(code) for code in ages}),
        },
        "value": value,
        "status": status,
        "extension": {
            "indicator": {key: indicator[key] for key in (
                "indicator_id", "name_nb", "name_en", "unit", "multiplier", "method", "period_years", "polarity"
            )},
            "status_labels": STATUS_LABELS,
            **extension_arrays,
        },
    }


def csv_text(rows: list[tuple[Any, ...]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue()


def json_response(body: Any) -> Response:
    # allow_nan=False: a NaN in the public tables is a pipeline bug and must not leave as invalid JSON.
    return Response(
        json.dumps(body, ensure_ascii=False, allow_nan=False), media_type="application/json; charset=utf-8"
    )


def create_app(db_path: Path, max_cells: int = DEFAULT_MAX_CELLS) -> Starlette:
    database = PublicDatabase(db_path)

    def index(request: Request) -> Response:
        reject_unknown_parameters(request, ())
        return json_response({
            "endpoints": [
                "/indicators",
                "/indicators/{indicator_id}",
                "/geography?level=&parent=",
                "/data/{indicator_id}?level=&geo=&parent=&period=&sex=&age_group=&format=jsonstat|csv",
            ]
        })

    def indicators(request: Request) -> Response:
        reject_unknown_parameters(request, ())
        with database.cursor() as (cursor, _):
            rows = rows_as_dicts(cursor.execute("select * from indicators order by indicator_id"))
        return json_response({"count": len(rows), "indicators": rows})

    def indicator(request: Request) -> Response:
        reject_unknown_parameters(request, ())
        with database.cursor() as (cursor, _):
            row = fetch_indicator(cursor, request.path_params["indicator_id"])
            row["available"] = {
                column: distinct_values(cursor, column, row["indicator_id"])
                for column in ("period", "geo_level", "sex", "age_group")
            }
        return json_response(row)

    def geography(request: Request) -> Response:
        reject_unknown_parameters(request, ("level", "parent"))
        levels = query_values(request, "level")
        parents = query_values(request, "parent")
        with database.cursor() as (cursor, _):
            conditions, parameters = ["true"], []
            if levels:
                conditions.append(f"g.geo_level in ({placeholders(levels)})")
                parameters += levels
            if parents:
                condition, parent_parameters = parent_filter(cursor, parents)
                conditions.append(condition)
                parameters += parent_parameters
            rows = rows_as_dicts(cursor.execute(
                "select geo_level, geo_code, geo_name, fylke_code, fylke_name, kommune_code, kommune_name,"
                " bydel_code, bydel_name from geography as g"
                f" where {' and '.join(conditions)} order by level_order, geo_code",
                parameters,
            ))
        return json_response({"count": len(rows), "geography": rows})

    def data(request: Request) -> Response:
        reject_unknown_parameters(request, ("level", "geo", "parent", "period", "sex", "age_group", "format"))
        formats = query_values(request, "format") or ["jsonstat"]
        if len(formats) != 1 or formats[0] not in FORMATS:
            raise ApiError(400, f"unknown format '{','.join(formats)[:40]}': use jsonstat or csv", "format")
        with database.cursor() as (cursor, updated):
            indicator_row = fetch_indicator(cursor, request.path_params["indicator_id"])
            selection = data_selection(request, cursor, indicator_row["indicator_id"])
            check_size(cursor, selection, max_cells)
            rows = select_rows(cursor, selection)
        if formats[0] == "csv":
            return Response(
                csv_text(rows),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{indicator_row["indicator_id"]}.csv"'},
            )
        return json_response(jsonstat_dataset(indicator_row, rows, updated))

    async def api_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, ApiError)
        return error_response(error.status, error.message, error.parameter)

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        message = f"no such endpoint: {request.url.path[:80]}" if error.status_code == 404 else str(error.detail)
        return error_response(error.status_code, message)

    async def server_error(request: Request, error: Exception) -> Response:
        return error_response(500, f"internal error: {type(error).__name__}")

    return Starlette(
        routes=[
            Route("/", index),
            Route("/indicators", indicators),
            Route("/indicators/{indicator_id}", indicator),
            Route("/geography", geography),
            Route("/data/{indicator_id}", data),
        ],
        exception_handlers={ApiError: api_error, HTTPException: http_error, Exception: server_error},
    )


def resolve_path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else PROJECT_DIR / path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("LEVEKAR_API_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("LEVEKAR_API_PORT", "8000")))
    parser.add_argument("--db", default=os.environ.get("LEVEKAR_PUBLIC_DB", "publish/levekar.duckdb"))
    parser.add_argument(
        "--max-cells", type=int, default=int(os.environ.get("LEVEKAR_API_MAX_CELLS", str(DEFAULT_MAX_CELLS))),
        help="largest JSON-stat cube or CSV selection served; larger requests get 400",
    )
    args = parser.parse_args(argv)
    db_path = resolve_path(args.db)
    if not db_path.is_file():
        print(f"warning: {db_path} does not exist yet; the API answers 503 until the build publishes it",
              file=sys.stderr)
    print(f"serving {db_path} on http://{args.host}:{args.port}/", file=sys.stderr)
    uvicorn.run(create_app(db_path, args.max_cells), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
