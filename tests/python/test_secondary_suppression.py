"""The secondary suppression model's choices on tables small enough to check by hand."""

from __future__ import annotations

import ast
import importlib.util
import re

from conftest import PROJECT_DIR

spec = importlib.util.spec_from_file_location(
    "secondary", PROJECT_DIR / "models" / "intermediate" / "suppression" / "int_suppression__secondary.py")
secondary = importlib.util.module_from_spec(spec)
spec.loader.exec_module(secondary)

UNITS = [
    {"geo_level": "kommune", "geo_code": "0301", "is_published": True, "bydel_code": None,
     "kommune_code": "0301", "fylke_code": "03"},
] + [
    {"geo_level": "levekarssone", "geo_code": code, "is_published": True, "bydel_code": None,
     "kommune_code": "0301", "fylke_code": "03"}
    for code in ("0301000001", "0301000002", "0301000003")
]


def row(level, code, numerator, denominator, reason=None):
    return secondary.Row("low_income", "0_120", 2020, level, code, "0", numerator, denominator,
                         3 if reason else 0, reason)


# Kommune = three zones (no remainder): zone 1 is primary (3 of 50); hiding it alone gives it back by subtraction.
ROWS = [
    row("kommune", "0301", 30, 160),
    row("levekarssone", "0301000001", 3, 50, "primary"),
    row("levekarssone", "0301000002", 12, 50),
    row("levekarssone", "0301000003", 15, 60),
]


def test_cheapest_complement_is_hidden():
    keys = secondary.secondary_suppression(ROWS, UNITS, {"low_income": 4})
    # Zone 2 has the smallest denominator: hiding it leaves zone 1 anywhere in [0, 15].
    assert keys == [("low_income", "0_120", 2020, "levekarssone", "0301000002", "0")]


def test_previous_release_cells_are_tried_first():
    previous = {("low_income", "0_120", 2020, "levekarssone", "0301000003", "0")}
    keys = secondary.secondary_suppression(ROWS, UNITS, {"low_income": 4}, preferred=previous)
    assert keys == [("low_income", "0_120", 2020, "levekarssone", "0301000003", "0")]


def test_a_narrow_interval_needs_more_than_one_complement():
    # Zone 2 alone would leave zone 1 in [0, 3 + 1] = width 4 < T + 1 = 5: a third cell must go too.
    rows = [
        row("kommune", "0301", 20, 160),
        row("levekarssone", "0301000001", 3, 50, "primary"),
        row("levekarssone", "0301000002", 1, 50),
        row("levekarssone", "0301000003", 16, 60),
    ]
    keys = secondary.secondary_suppression(rows, UNITS, {"low_income": 4})
    assert len(keys) == 2


def test_overlapping_periods_hide_the_nearest_shown_period():
    def period(start, numerator, denominator=100, reason=None):
        return secondary.Row("low_income", "0_120", start, "levekarssone", "0301000001", "0", numerator,
                             denominator, 3 if reason else 0, reason)

    # Single years n18..n23. Shown: 2018_2020 = 5, 2019_2021 = 9, 2021_2023 = 5; hidden primary 2020_2022 = 4 of
    # 8. By hand: n19 + n20 <= 5 so n21 >= 9 - 5 = 4, hence 2020_2022 >= 4; and it is at most its denominator 8:
    # the attacker learns [4, 8], 4 wide, narrower than T + 1 = 5. Hiding the nearest shown period (2019_2021,
    # earlier of the two at distance 1) frees n21 and the interval becomes [0, 8].
    rows = [period(2018, 5), period(2019, 9), period(2020, 4, 8, "primary"), period(2021, 5)]
    keys = secondary.overlap_suppression(rows, set(), {"low_income": 4}, {"low_income": 3}, {"low_income"})
    assert keys == [("low_income", "0_120", 2019, "levekarssone", "0301000001", "0")]



def test_worker_processes_choose_the_same_cells_as_one_process():
    # Two independent tables (periods 2020 and 2021) and two series: split over two forked workers.
    rows = ROWS + [row._replace(period_start=2021) for row in ROWS]
    assert secondary.secondary_suppression(rows, UNITS, {"low_income": 4}, processes=2) == [
        ("low_income", "0_120", 2020, "levekarssone", "0301000002", "0"),
        ("low_income", "0_120", 2021, "levekarssone", "0301000002", "0"),
    ]
    # The series of test_overlapping_periods_hide_the_nearest_shown_period, in two zones.
    series = [
        secondary.Row("low_income", "0_120", start, "levekarssone", zone, "0", numerator, denominator,
                      3 if reason else 0, reason)
        for zone in ("0301000001", "0301000002")
        for start, numerator, denominator, reason in
        [(2018, 5, 100, None), (2019, 9, 100, None), (2020, 4, 8, "primary"), (2021, 5, 100, None)]
    ]
    one = secondary.overlap_suppression(series, set(), {"low_income": 4}, {"low_income": 3}, {"low_income"})
    two = secondary.overlap_suppression(series, set(), {"low_income": 4}, {"low_income": 3}, {"low_income"},
                                        processes=2)
    assert one == [("low_income", "0_120", 2019, "levekarssone", zone, "0") for zone in ("0301000001", "0301000002")]
    assert two == one


def test_a_failing_worker_stops_the_model_with_its_traceback():
    def fails_on_two(item):
        if item == 2:
            raise ValueError("bad table 2")
        return item

    assert secondary.run_in_processes(lambda item: item * 10, [1, 2, 3], 2) == [10, 20, 30]
    try:
        secondary.run_in_processes(fails_on_two, [1, 2, 3], 2)
    except RuntimeError as error:
        assert "ValueError: bad table 2" in str(error)
    else:
        raise AssertionError("a worker's exception must reach the parent")

def test_rebuild_against_the_previous_release_keeps_the_pattern(small_pipeline, tmp_path):
    """Same data, previous release given (LEVEKAR_PREVIOUS_PUBLIC_DB): the hidden cells stay the same."""
    import os

    import duckdb

    from conftest import new_run, run_pipeline

    run = new_run(tmp_path, small_pipeline.raw_dir)
    os.environ["LEVEKAR_PREVIOUS_PUBLIC_DB"] = str(small_pipeline.public_db)
    try:
        result = run_pipeline(run)
    finally:
        del os.environ["LEVEKAR_PREVIOUS_PUBLIC_DB"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    query = ("select indicator_id, period, geo_level, geo_code, sex, age_group from indicator_values "
             "where spv_flag = 3 order by all")
    before = duckdb.connect(str(small_pipeline.public_db), read_only=True).execute(query).fetchall()
    after = duckdb.connect(str(run.public_db), read_only=True).execute(query).fetchall()
    assert before and after == before


def test_every_setting_reaches_the_python_model(small_pipeline):
    """dbt hands a Python model only the config keys whose dbt.config.get calls its parser finds (not one inside
    `x or default`): the compiled model must carry every setting of _suppression__models.yml."""
    compiled = (small_pipeline.target_dir / "run" / "levekar" / "models" / "intermediate" / "suppression"
                / "int_suppression__secondary.py").read_text()
    settings = ast.literal_eval(re.search(r"^config_dict = (\{.*\})$", compiled, re.MULTILINE).group(1))
    assert int(settings["suppression_max_candidates"]) == 40
    assert int(settings["suppression_processes"]) >= 1
    assert settings["suppression_previous_release"] == ""
    assert str(settings["suppression_secondary"]) == "True"
