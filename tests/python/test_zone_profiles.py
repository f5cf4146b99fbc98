"""Zone profiles written from the small demo's public database, read back and rendered in headless Chromium.

The expected numbers come from SQL on the public database and are rounded here with the page's documented
precision (one decimal for percent and years, none for rates per 100,000 and SMR), so a page that shows a
wrong zone, period, sex or age group, or a hidden cell as a number, fails.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import numpy as np
import pytest

from conftest import PROJECT_DIR, SCRIPTS_DIR, PipelineRun

DECIMALS = {"percent": 1, "years": 1, "per_100000": 0, "ratio": 0}
STATUS = {1: "mangler", 2: "kan ikke beregnes", 3: "skjult (personvern)"}
# Fill colours of the comparison classes in the page's CSS, as drawn by Chromium.
COMPARISON_RGB = {"better": (0x2C, 0x7B, 0xB6), "similar": (0xF2, 0xC1, 0x4E), "worse": (0xD7, 0x19, 0x1C)}
WINDOW = (900, 1200)


@dataclass
class Section:
    indicator_id: str
    age_group: str
    latest: dict[str, str] = field(default_factory=dict)  # geo_code -> text of the value cell
    zone_dots: int = 0
    chart_status: list[str] = field(default_factory=list)  # the labels of zone rows without a dot
    trend_points: int = 0


class ProfileParser(HTMLParser):
    """Collects, per indicator section, the value cells of the latest-period table and the chart marks."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[Section] = []
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self._table: str | None = None
        self._geo: str | None = None
        self._in_value = False
        self._in_status = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        classes = (attr.get("class") or "").split()
        if "href" in attr:
            self.hrefs.append(attr["href"] or "")
        if "src" in attr:
            self.srcs.append(attr["src"] or "")
        if tag == "section" and "indicator" in classes:
            self.sections.append(Section(attr["data-indicator"] or "", attr["data-age-group"] or ""))
        elif tag == "table":
            self._table = classes[0] if classes else None
        elif tag == "tr" and self._table == "latest":
            self._geo = attr.get("data-geo")
        elif tag == "td" and self._table == "latest" and "value" in classes:
            self._in_value = True
            self.sections[-1].latest[self._geo or ""] = ""
        elif tag == "text" and "status" in classes:
            self._in_status = True
            self.sections[-1].chart_status.append("")
        elif tag == "circle" and "zone-dot" in classes:
            self.sections[-1].zone_dots += 1
        elif tag == "circle" and "trend-point" in classes:
            self.sections[-1].trend_points += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag == "td":
            self._in_value = False
        elif tag == "text":
            self._in_status = False

    def handle_data(self, data: str) -> None:
        if self._in_value:
            self.sections[-1].latest[self._geo or ""] += data
        if self._in_status:
            self.sections[-1].chart_status[-1] += data


def parse(text: str) -> ProfileParser:
    parser = ProfileParser()
    parser.feed(text)
    return parser


def run_profiles(public_db: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPTS_DIR / "zone_profiles.py"), "--out", str(out), *extra],
        env={**os.environ, "LEVEKAR_PUBLIC_DB": str(public_db)},
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def public_db(small_pipeline: PipelineRun) -> Path:
    return small_pipeline.public_db


@pytest.fixture(scope="module")
def profiles(public_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("profiles") / "profiles"
    result = run_profiles(public_db, out)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def kommune_code(public_db: Path) -> str:
    """The kommune with zones that has the most hidden zone cells in the latest periods (the small demo has some)."""
    with duckdb.connect(str(public_db), read_only=True) as con:
        row = con.sql(
            """
            with latest as (
                select indicator_id, age_group, max(period_end) as period_end
                from indicator_values group by indicator_id, age_group
            )
            select g.kommune_code, count(*) as hidden
            from indicator_values as v
            inner join latest as l
                on v.indicator_id = l.indicator_id and v.age_group = l.age_group and v.period_end = l.period_end
            inner join geography as g on v.geo_code = g.geo_code and g.geo_level = 'levekarssone'
            where v.geo_level = 'levekarssone' and v.sex = '0' and v.spv_flag = 3
            group by g.kommune_code order by hidden desc, g.kommune_code limit 1
            """
        ).fetchone()
    assert row is not None, "the small demo should have hidden zone cells in a latest period"
    return row[0]


def expected_sections(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """Non-count indicators: the all-ages group where the indicator has one, else each of its age groups."""
    expected = []
    for indicator_id, unit, age_groups in con.sql(
        "select indicator_id, unit, age_groups from indicators where method <> 'count'"
    ).fetchall():
        groups = age_groups.split()
        for age_group in ["0_120"] if "0_120" in groups else groups:
            published = con.execute(
                "select count(*) from indicator_values where indicator_id = ? and age_group = ? and sex = '0'",
                [indicator_id, age_group],
            ).fetchone()[0]
            if published:
                expected.append((indicator_id, age_group, unit))
    return expected


def shown_number(text: str) -> float:
    return float(text.replace("\u00a0", "").replace(",", "."))


def test_labels_and_axis_ticks() -> None:
    from zone_profiles import age_group_label, format_number, nice_ticks, period_label

    assert format_number(1234.56, 1) == "1\u00a0234,6"
    assert format_number(0.04, 0) == "0"
    assert format_number(100.0, 0) == "100"
    assert period_label("2022_2024") == "2022–2024" and period_label("2024_2024") == "2024"
    assert age_group_label("0_17") == "0–17 år" and age_group_label("67_120") == "67 år og eldre"
    assert nice_ticks(13.2, 26.1) == [10, 15, 20, 25, 30]
    assert nice_ticks(380, 1480) == [0, 500, 1000, 1500]
    assert nice_ticks(0.13, 0.19, 4) == [0.12, 0.14, 0.16, 0.18, 0.2]


def test_index_lists_every_kommune_with_zones_and_shown_values(public_db: Path, profiles: Path) -> None:
    with duckdb.connect(str(public_db), read_only=True) as con:
        expected = {
            code
            for (code,) in con.sql(
                """
                select distinct g.kommune_code
                from geography as g
                inner join indicator_values as v on v.geo_code = g.kommune_code and v.geo_level = 'kommune'
                inner join indicators as i on v.indicator_id = i.indicator_id
                where g.geo_level = 'levekarssone' and i.method <> 'count' and v.spv_flag = 0
                """
            ).fetchall()
        }
    assert expected, "the small demo should have kommuner with zones"
    index = parse((profiles / "index.html").read_text(encoding="utf-8"))
    assert set(index.hrefs) == {f"{code}.html" for code in expected}
    assert {p.name for p in profiles.iterdir()} == {"index.html"} | {f"{code}.html" for code in expected}


def test_page_numbers_equal_the_database(public_db: Path, profiles: Path, kommune_code: str) -> None:
    page = parse((profiles / f"{kommune_code}.html").read_text(encoding="utf-8"))
    hidden_seen = 0
    with duckdb.connect(str(public_db), read_only=True) as con:
        sections = expected_sections(con)
        assert [(s.indicator_id, s.age_group) for s in page.sections] != []
        assert sorted((s.indicator_id, s.age_group) for s in page.sections) == sorted(
            (i, a) for i, a, _ in sections
        )
        units = {(i, a): u for i, a, u in sections}
        zones = [
            code
            for (code,) in con.execute(
                "select geo_code from geography where geo_level = 'levekarssone' and kommune_code = ?",
                [kommune_code],
            ).fetchall()
        ]
        for section in page.sections:
            rows = con.execute(
                """
                select geo_code, value, spv_flag from indicator_values
                where indicator_id = ? and age_group = ? and sex = '0'
                    and (geo_code in ('0', ?) or list_contains(?, geo_code))
                    and geo_level in ('land', 'kommune', 'levekarssone')
                    and period_end = (
                        select max(period_end) from indicator_values where indicator_id = ? and age_group = ?
                    )
                """,
                [section.indicator_id, section.age_group, kommune_code, zones, section.indicator_id,
                 section.age_group],
            ).fetchall()
            decimals = DECIMALS[units[(section.indicator_id, section.age_group)]]
            db = {code: (value, spv) for code, value, spv in rows}
            assert set(section.latest) == {"0", kommune_code, *zones}
            for code, text in section.latest.items():
                value, spv = db[code]
                if spv == 0:
                    assert shown_number(text) == round(value, decimals), (section.indicator_id, code, text)
                else:
                    assert text == STATUS[spv] and not re.search(r"\d", text), (section.indicator_id, code, text)
                    hidden_seen += spv == 3
            shown_zones = sum(1 for code in zones if db[code][1] == 0)
            assert section.zone_dots == shown_zones, section.indicator_id
            assert section.chart_status == [STATUS[db[code][1]] for code in sorted(zones) if db[code][1] > 0]
            kommune_periods = con.execute(
                "select count(*) from indicator_values where indicator_id = ? and age_group = ? and sex = '0'"
                " and geo_level = 'kommune' and geo_code = ? and spv_flag = 0",
                [section.indicator_id, section.age_group, kommune_code],
            ).fetchone()[0]
            periods = con.execute(
                "select count(distinct period) from indicator_values where indicator_id = ? and age_group = ?",
                [section.indicator_id, section.age_group],
            ).fetchone()[0]
            # The trend marks every shown period of the kommune; a single period gets no trend chart.
            assert section.trend_points == (kommune_periods if periods > 1 else 0), section.indicator_id
    assert hidden_seen > 0, "the chosen kommune should show hidden cells"


def test_pages_load_nothing_from_outside(profiles: Path) -> None:
    for path in profiles.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        parsed = parse(text)
        assert not re.search(r"https?:", text), path.name
        assert not re.search(r"@import|url\(", text), path.name
        assert parsed.srcs == [], path.name
        assert all(re.fullmatch(r"(\d{4}|index)\.html", href) for href in parsed.hrefs), path.name


def test_kommune_option_and_replacing_an_old_folder(public_db: Path, kommune_code: str, tmp_path: Path) -> None:
    out = tmp_path / "profiles"
    out.mkdir()
    (out / "stale.html").write_text("old run", encoding="utf-8")
    result = run_profiles(public_db, out, "--kommune", kommune_code)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(["index.html", f"{kommune_code}.html"])
    assert [p.name for p in tmp_path.iterdir()] == ["profiles"]

    bad = run_profiles(public_db, tmp_path / "other", "--kommune", "9999")
    assert bad.returncode == 2
    assert "9999" in bad.stderr
    assert not (tmp_path / "other").exists()
    missing = run_profiles(tmp_path / "missing.duckdb", tmp_path / "other")
    assert missing.returncode == 2 and "not found" in missing.stderr


def read_png(data: bytes) -> np.ndarray:
    """The RGB pixels (height, width, 3) of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    position, idat, header = 8, b"", b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        if kind == b"IHDR":
            header = data[position + 8 : position + 8 + length]
        elif kind == b"IDAT":
            idat += data[position + 8 : position + 8 + length]
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    channels = 4 if colour == 6 else 3
    stride = width * channels
    raw = zlib.decompress(idat)
    assert len(raw) == height * (stride + 1)
    image = np.zeros((height, stride), dtype=np.int64)
    previous = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        row = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int64)
        if kind == 0:
            out = row
        elif kind == 1:  # Sub: a running sum per channel
            out = np.cumsum(row.reshape(width, channels), axis=0).reshape(stride) % 256
        elif kind == 2:  # Up
            out = (row + previous) % 256
        else:  # Average and Paeth depend on the byte just decoded
            out = np.zeros(stride, dtype=np.int64)
            for i in range(stride):
                left = int(out[i - channels]) if i >= channels else 0
                up = int(previous[i])
                if kind == 3:
                    predictor = (left + up) // 2
                else:
                    corner = int(previous[i - channels]) if i >= channels else 0
                    estimate = left + up - corner
                    pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                    predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                out[i] = (int(row[i]) + predictor) % 256
        image[y] = out
        previous = out
    return image.reshape(height, width, channels)[:, :, :3].astype(np.uint8)


def colour_counts(image: np.ndarray) -> dict[tuple[int, int, int], int]:
    packed = image[:, :, 0].astype(np.int64) << 16 | image[:, :, 1].astype(np.int64) << 8 | image[:, :, 2]
    values, counts = np.unique(packed, return_counts=True)
    return {(int(v) >> 16, int(v) >> 8 & 0xFF, int(v) & 0xFF): int(c) for v, c in zip(values, counts)}


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed: install Debian's chromium package (`apt-get install chromium`)")
    return path


def test_profile_renders_in_headless_chromium(profiles: Path, kommune_code: str, tmp_path: Path) -> None:
    page = profiles / f"{kommune_code}.html"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'u'}"]
    dom = subprocess.run(
        [chromium(), *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=180, check=True
    ).stdout
    rendered, written = parse(dom), parse(page.read_text(encoding="utf-8"))
    assert len(rendered.sections) == len(written.sections) > 0
    for seen, source in zip(rendered.sections, written.sections):
        assert seen.zone_dots == source.zone_dots and seen.trend_points == source.trend_points
    assert sum(s.zone_dots for s in rendered.sections) > 0

    def screenshot(html_file: Path) -> dict[tuple[int, int, int], int]:
        shot = tmp_path / f"{html_file.stem}.png"
        subprocess.run(
            [chromium(), *flags, f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--screenshot={shot}",
             html_file.as_uri()],
            capture_output=True, timeout=180, check=True,
        )
        image = read_png(shot.read_bytes())
        assert image.shape == (WINDOW[1], WINDOW[0], 3)
        return colour_counts(image)

    # The same page without its indicator sections: what the header and legend alone paint.
    bare = tmp_path / "bare.html"
    bare.write_text(
        re.sub(r"<section .*?</section>", "", page.read_text(encoding="utf-8"), flags=re.S), encoding="utf-8"
    )
    full, header_only = screenshot(page), screenshot(bare)
    white = full.get((255, 255, 255), 0) / (WINDOW[0] * WINDOW[1])
    assert 0.5 < white < 0.99, f"{white:.1%} white: the page is blank or not drawn on white"
    more = {name: full.get(rgb, 0) - header_only.get(rgb, 0) for name, rgb in COMPARISON_RGB.items()}
    # Zone dots in at least two comparison colours are painted beyond the legend's.
    assert sum(1 for extra in more.values() if extra >= 40) >= 2, more
