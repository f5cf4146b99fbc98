"""The read-only API (scripts/api.py) on the small demo's public database, through Starlette's TestClient.

Expected values come from the public database read directly with plain SQL, or from facts about the small demo
(Stavanger 1103 has the bydeler 110301-110309 and zones 1103BBNNNN), never from the API's own code paths.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx
import jsonschema
import pytest
from starlette.testclient import TestClient

import api
from conftest import PROJECT_DIR, SCRIPTS_DIR, PipelineRun

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "jsonstat-2.0.schema.json").read_text())
VALIDATOR = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
STAVANGER = "1103"
STAVANGER_BYDELER = [f"1103{n:02d}" for n in range(1, 10)]


@pytest.fixture(scope="module")
def public_db(small_pipeline: PipelineRun) -> Path:
    return small_pipeline.public_db


@pytest.fixture(scope="module")
def client(public_db: Path) -> TestClient:
    return TestClient(api.create_app(public_db))


def db_rows(public_db: Path, sql: str, parameters: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(public_db), read_only=True) as connection:
        return connection.execute(sql, parameters or []).fetchall()


def cell_index(dataset: dict[str, Any], coordinates: dict[str, str]) -> int:
    """Row-major position of a cell (the last dimension varies fastest), from the dataset's own categories."""
    index = 0
    for dimension_id, size in zip(dataset["id"], dataset["size"]):
        position = dataset["dimension"][dimension_id]["category"]["index"].index(coordinates[dimension_id])
        index = index * size + position
    return index


def test_the_schema_is_active_and_rejects_a_broken_dataset() -> None:
    broken = {"version": "2.0", "class": "dataset", "id": ["GEO"], "value": [1], "dimension": {}}
    assert not VALIDATOR.is_valid(broken)  # `size` missing
    assert not VALIDATOR.is_valid({**broken, "size": [1], "status": [None]})


@pytest.mark.parametrize(
    "query",
    [
        "/data/low_income?level=kommune,bydel,levekarssone&parent=1103",
        "/data/national_tests_reading?level=levekarssone&sex=0",
        "/data/crowded_housing?geo=0,11,1103&period=2022_2024",
        "/data/life_expectancy?level=land,fylke",
        "/data/population?level=land&geo=1103",
    ],
)
def test_jsonstat_validates_against_the_schema(client: TestClient, public_db: Path, query: str) -> None:
    response = client.get(query)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    dataset = response.json()
    errors = [error.message for error in VALIDATOR.iter_errors(dataset)]
    assert errors == []
    assert dataset["id"] == ["GEO", "AAR", "KJONN", "ALDER"]
    cells = math.prod(dataset["size"])
    assert len(dataset["value"]) == cells
    for name in ("ci_lower", "ci_upper", "numerator", "denominator"):
        assert len(dataset["extension"][name]) == cells
    updated = datetime.datetime.fromisoformat(dataset["updated"].replace("Z", "+00:00"))
    assert abs(updated.timestamp() - public_db.stat().st_mtime) < 1


def test_an_empty_selection_is_a_valid_empty_dataset(client: TestClient) -> None:
    # land is not below Stavanger: every filter is valid, their combination has no rows
    dataset = client.get("/data/population?level=land&parent=1103").json()
    assert VALIDATOR.is_valid(dataset)
    assert dataset["size"] == [0, 0, 0, 0] and dataset["value"] == []


def test_cell_order_by_hand(client: TestClient, public_db: Path) -> None:
    # 2 GEO x 1 AAR x 3 KJONN x 1 ALDER: (GEO 1, AAR 0, KJONN 2, ALDER 0) is cell ((1*1 + 0)*3 + 2)*1 + 0 = 5
    dataset = client.get("/data/low_income?geo=1103,110301&period=2022_2024&age_group=0_120").json()
    assert dataset["size"] == [2, 1, 3, 1]
    assert dataset["dimension"]["GEO"]["category"]["index"] == ["1103", "110301"]
    assert dataset["dimension"]["KJONN"]["category"]["index"] == ["0", "1", "2"]
    ((value, lower, upper, numerator, denominator),) = db_rows(
        public_db,
        "select value, ci_lower, ci_upper, numerator, denominator from indicator_values where indicator_id ="
        " 'low_income' and geo_code = '110301' and period = '2022_2024' and sex = '2' and age_group = '0_120'",
    )
    assert value is not None and lower < value < upper
    assert dataset["value"][5] == value
    assert dataset["extension"]["ci_lower"][5] == lower
    assert dataset["extension"]["ci_upper"][5] == upper
    assert dataset["extension"]["numerator"][5] == numerator
    assert dataset["extension"]["denominator"][5] == denominator
    assert dataset["dimension"]["GEO"]["category"]["label"] == {"1103": "Stavanger", "110301": "Hundvåg"}
    assert dataset["dimension"]["KJONN"]["category"]["label"] == {"0": "Begge kjønn", "1": "Menn", "2": "Kvinner"}
    assert dataset["dimension"]["ALDER"]["category"]["label"] == {"0_120": "Alle aldre"}
    assert dataset["dimension"]["AAR"]["category"]["label"] == {"2022_2024": "2022-2024"}


@pytest.mark.parametrize("indicator_id", ["low_income", "national_tests_reading", "population"])
def test_every_db_row_is_at_its_computed_index(client: TestClient, public_db: Path, indicator_id: str) -> None:
    dataset = client.get(f"/data/{indicator_id}?level=kommune,bydel,levekarssone&parent={STAVANGER}").json()
    rows = db_rows(
        public_db,
        "select geo_code, period, sex, age_group, value, ci_lower, ci_upper, numerator, denominator, spv_flag"
        " from indicator_values where indicator_id = ? and geo_level in ('kommune', 'bydel', 'levekarssone')"
        " and geo_code like '1103%'",
        [indicator_id],
    )
    # parent=1103 is everything below Stavanger, not Stavanger itself
    rows = [row for row in rows if row[0] != STAVANGER]
    assert len(rows) > 100
    flags = {row[9] for row in rows}
    if indicator_id == "national_tests_reading":
        assert 3 in flags  # the comparison covers suppressed cells
    seen = set()
    for geo, period, sex, age, value, lower, upper, numerator, denominator, flag in rows:
        index = cell_index(dataset, {"GEO": geo, "AAR": period, "KJONN": sex, "ALDER": age})
        seen.add(index)
        assert dataset["value"][index] == value
        assert dataset["extension"]["ci_lower"][index] == lower
        assert dataset["extension"]["ci_upper"][index] == upper
        assert dataset["extension"]["numerator"][index] == numerator
        assert dataset["extension"]["denominator"][index] == denominator
        assert dataset["status"].get(str(index)) == (str(flag) if flag else None)
    missing = {int(index) for index, symbol in dataset["status"].items() if symbol == "."}
    assert seen.isdisjoint(missing)
    assert len(seen) + len(missing) == math.prod(dataset["size"])


def test_csv_equals_the_db_rows(client: TestClient, public_db: Path) -> None:
    response = client.get("/data/national_tests_reading?level=levekarssone&parent=110301&format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    served = list(csv.reader(io.StringIO(response.text)))
    assert served[0] == list(api.CSV_COLUMNS)

    def number(text: str) -> float | None:
        return None if text == "" else float(text)

    parsed = [
        (*row[:7], *(number(cell) for cell in row[7:12]), int(row[12])) for row in served[1:]
    ]
    expected = db_rows(
        public_db,
        "select v.indicator_id, v.period, v.geo_level, v.geo_code, g.geo_name, v.sex, v.age_group,"
        " v.numerator, v.denominator, v.value, v.ci_lower, v.ci_upper, v.spv_flag"
        " from indicator_values as v join geography as g on g.geo_code = v.geo_code"
        " where v.indicator_id = 'national_tests_reading' and v.geo_code like '110301____'",
    )
    assert len(parsed) == len(expected) > 0
    assert sorted(parsed, key=repr) == sorted(expected, key=repr)


def test_geography_filters_by_level_and_parent(client: TestClient, public_db: Path) -> None:
    bydeler = client.get(f"/geography?level=bydel&parent={STAVANGER}").json()
    assert [unit["geo_code"] for unit in bydeler["geography"]] == STAVANGER_BYDELER
    assert bydeler["count"] == 9

    all_geography = db_rows(public_db, "select geo_level, geo_code from geography")
    zones_of_bydel = sorted(code for level, code in all_geography if level == "levekarssone" and code[:6] == "110302")
    served = client.get("/geography?parent=110302").json()["geography"]
    assert [unit["geo_code"] for unit in served] == zones_of_bydel and len(zones_of_bydel) > 3

    # fylke 11 Rogaland: its kommuner, Stavanger's bydeler and every zone of its kommuner, nothing else
    below_rogaland = {code for level, code in all_geography if code.startswith("11") and level != "fylke"}
    served = client.get("/geography?parent=11").json()["geography"]
    assert {unit["geo_code"] for unit in served} == below_rogaland

    several = client.get("/geography?level=kommune&level=fylke&parent=11,15").json()["geography"]
    assert {unit["geo_level"] for unit in several} == {"kommune"}
    assert {unit["geo_code"][:2] for unit in several} == {"11", "15"}

    everything = client.get("/geography").json()
    assert everything["count"] == len(all_geography) == 1 + 15 + 357 + 38 + 2010


def test_data_filters(client: TestClient) -> None:
    dataset = client.get(
        "/data/low_income?level=levekarssone&parent=110301&period=2020_2022,2022_2024&sex=1&sex=2&age_group=0_17"
    ).json()
    geos = dataset["dimension"]["GEO"]["category"]["index"]
    assert geos and all(code.startswith("110301") and len(code) == 10 for code in geos)
    assert set(dataset["dimension"]["GEO"]["extension"]["geo_level"].values()) == {"levekarssone"}
    assert dataset["dimension"]["AAR"]["category"]["index"] == ["2020_2022", "2022_2024"]
    assert dataset["dimension"]["KJONN"]["category"]["index"] == ["1", "2"]
    assert dataset["dimension"]["ALDER"]["category"]["index"] == ["0_17"]


def test_indicator_endpoints(client: TestClient, public_db: Path) -> None:
    catalogue = client.get("/indicators").json()
    ids = [row[0] for row in db_rows(public_db, "select indicator_id from indicators order by 1")]
    assert [row["indicator_id"] for row in catalogue["indicators"]] == ids
    assert {"population", "low_income", "life_expectancy"} <= set(ids)
    low_income = client.get("/indicators/low_income").json()
    assert low_income["unit"] == "percent" and low_income["period_years"] == 3
    # the small demo of the fixture covers 2010-2024: every 3-year window inside it
    assert low_income["available"]["period"] == [f"{year}_{year + 2}" for year in range(2010, 2023)]
    assert low_income["available"]["age_group"] == ["0_17", "0_120"]
    assert low_income["available"]["geo_level"] == list(api.GEO_LEVELS)


@pytest.mark.parametrize(
    ("query", "status", "parameter", "message_part"),
    [
        ("/data/low_income?level=zone", 400, "level", "unknown level 'zone'"),
        ("/data/low_income?geo=123", 400, "geo", "malformed value '123'"),
        ("/data/low_income?geo=9999", 400, "geo", "unknown geo code '9999'"),
        ("/data/low_income?period=2000_2002", 400, "period", "unknown period for low_income '2000_2002'"),
        ("/data/low_income?period=2022", 400, "period", "malformed value '2022'"),
        ("/data/low_income?age_group=80_120", 400, "age_group", "unknown age group for low_income '80_120'"),
        ("/data/crowded_housing?sex=1", 400, "sex", "unknown sex for crowded_housing '1'"),
        ("/data/low_income?sex=3", 400, "sex", "malformed value '3'"),
        ("/data/low_income?format=xlsx", 400, "format", "unknown format 'xlsx'"),
        ("/data/low_income?geo=", 400, "geo", "empty value"),
        ("/data/low_income?region=11", 400, "region", "unknown parameter 'region'"),
        ("/geography?parent=1104", 400, "parent", "unknown parent '1104'"),
        ("/geography?parent=110301001", 400, "parent", "malformed value '110301001'"),
        ("/indicators?x=1", 400, "x", "unknown parameter 'x'"),
        ("/data/no_such_indicator", 404, None, "unknown indicator 'no_such_indicator'"),
        ("/indicators/no_such_indicator", 404, None, "unknown indicator 'no_such_indicator'"),
        ("/no/such/route", 404, None, "no such endpoint"),
    ],
)
def test_error_bodies(client: TestClient, query: str, status: int, parameter: str | None, message_part: str) -> None:
    response = client.get(query)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["status"] == status
    assert message_part in error["message"]
    assert error.get("parameter") == parameter


@pytest.mark.parametrize(
    "query",
    [
        "/data/low_income?geo=1103' or '1'='1",
        "/data/low_income?level=kommune; drop table indicators",
        "/data/low_income?period=2022_2024' --",
        "/data/low_income?age_group=0_120) or (1=1",
        "/geography?parent=11 or 1=1",
        "/geography?level=bydel' union select * from indicators --",
    ],
)
def test_sql_injection_is_rejected(client: TestClient, query: str) -> None:
    response = client.get(query)
    assert response.status_code == 400
    assert response.json()["error"]["parameter"] in {"geo", "level", "period", "age_group", "parent"}


def test_injection_in_the_path_is_an_unknown_indicator(client: TestClient) -> None:
    response = client.get("/data/low_income' or '1'='1")
    assert response.status_code == 404
    assert client.get("/indicators").json()["count"] > 0


def test_size_limit(public_db: Path) -> None:
    # geo 2 x period 1 x sex 3 x age 1 = 6 cells
    limited = TestClient(api.create_app(public_db, max_cells=5))
    query = "/data/low_income?geo=1103,110301&period=2022_2024&age_group=0_120"
    response = limited.get(query)
    assert response.status_code == 400
    assert "6 cells" in response.json()["error"]["message"]
    assert TestClient(api.create_app(public_db, max_cells=6)).get(query).status_code == 200


def test_missing_database_is_503(tmp_path: Path) -> None:
    response = TestClient(api.create_app(tmp_path / "missing.duckdb")).get("/indicators")
    assert response.status_code == 503
    assert "does not exist" in response.json()["error"]["message"]


def test_a_replaced_file_is_served(public_db: Path, tmp_path: Path) -> None:
    served_path = tmp_path / "levekar.duckdb"
    shutil.copyfile(public_db, served_path)
    client = TestClient(api.create_app(served_path))
    query = "/data/low_income?geo=1103&period=2022_2024&sex=0&age_group=0_120"
    ((original,),) = db_rows(
        public_db,
        "select value from indicator_values where indicator_id = 'low_income' and geo_code = '1103'"
        " and period = '2022_2024' and sex = '0' and age_group = '0_120'",
    )
    assert client.get(query).json()["value"] == [original]

    new_release = tmp_path / "levekar.duckdb.new"
    shutil.copyfile(public_db, new_release)
    with duckdb.connect(str(new_release)) as connection:
        connection.execute(
            "update indicator_values set value = 12.5 where indicator_id = 'low_income' and geo_code = '1103'"
            " and period = '2022_2024' and sex = '0' and age_group = '0_120'"
        )
    os.replace(new_release, served_path)
    assert original != 12.5
    assert client.get(query).json()["value"] == [12.5]

    served_path.unlink()
    assert client.get(query).status_code == 503


def test_a_request_running_during_the_rename_finishes_on_the_old_release(public_db: Path, tmp_path: Path) -> None:
    served_path = tmp_path / "levekar.duckdb"
    shutil.copyfile(public_db, served_path)
    new_release = tmp_path / "levekar.duckdb.new"
    shutil.copyfile(public_db, new_release)
    with duckdb.connect(str(new_release)) as connection:
        connection.execute("delete from indicators where indicator_id = 'population'")
    count = "select count(*) from indicators"
    ((old_count,),) = db_rows(public_db, count)

    database = api.PublicDatabase(served_path)
    with database.cursor() as (running, _):
        os.replace(new_release, served_path)
        assert running.execute(count).fetchone() == (old_count,)
        # DuckDB serves the open database for the same path: until the running request ends, the old release
        with database.cursor() as (concurrent, _):
            assert concurrent.execute(count).fetchone() == (old_count,)
    with database.cursor() as (after, _):
        assert after.execute(count).fetchone() == (old_count - 1,)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_one_command_serves_the_api(public_db: Path) -> None:
    port = free_port()
    env = {**os.environ, "LEVEKAR_PUBLIC_DB": str(public_db), "LEVEKAR_API_PORT": str(port)}
    server = subprocess.Popen(
        [sys.executable, str(SCRIPTS_DIR / "api.py")], cwd=PROJECT_DIR, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/data/population?geo=0&period=2024_2024&sex=0"
                                     "&age_group=0_120&format=csv", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()
                assert time.monotonic() < deadline, "the server did not answer within 30 s"
                time.sleep(0.2)
        ((persons,),) = db_rows(
            public_db,
            "select value from indicator_values where indicator_id = 'population' and geo_code = '0'"
            " and period = '2024_2024' and sex = '0' and age_group = '0_120'",
        )
        assert response.status_code == 200
        assert float(response.text.splitlines()[1].split(",")[9]) == persons > 0
    finally:
        server.terminate()
        server.wait(timeout=10)
