"""Tests for scripts/klass_extract.py against a local KLASS-like HTTP server, and the committed KLASS seeds."""

from __future__ import annotations

import csv
import importlib.util
import json
import logging
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "klass"
COMMITTED_SEEDS = PROJECT_DIR / "seeds" / "klass"


def _load_script() -> Any:
    spec = importlib.util.spec_from_file_location("klass_extract", PROJECT_DIR / "scripts" / "klass_extract.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["klass_extract"] = module
    spec.loader.exec_module(module)
    return module


kx = _load_script()

LKS_ID = "9999"  # stands for the (unconfirmed) levekårssone classification id
API_PREFIX = "/api/klass/v1"


# ----------------------------------------------------------------------------------------------------------------
# A local KLASS-like server
# ----------------------------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict[str, Any] = b""
    delay: float = 0.0
    content_type: str = "application/json"


def route_key(path: str, **params: Any) -> tuple[str, frozenset[tuple[str, str]]]:
    return (f"{API_PREFIX}/{path}", frozenset((k, str(v)) for k, v in params.items()))


@dataclass
class FakeKlass:
    base_url: str = ""
    routes: dict[tuple[str, frozenset[tuple[str, str]]], list[Reply]] = field(default_factory=dict)
    hits: Counter = field(default_factory=Counter)
    accept_headers: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, path: str, *replies: Reply, **params: Any) -> None:
        """Replies are used in order; the last one repeats."""
        self.routes[route_key(path, **params)] = list(replies)

    def count(self, path: str, **params: Any) -> int:
        return self.hits[route_key(path, **params)]

    def handle(self, raw_path: str, accept: str) -> Reply:
        parsed = urllib.parse.urlsplit(raw_path)
        key = (parsed.path, frozenset(urllib.parse.parse_qsl(parsed.query)))
        with self.lock:
            self.accept_headers.append(accept)
            self.hits[key] += 1
            replies = self.routes.get(key)
            if not replies:
                return Reply(404, {"type": "about:blank", "title": "Not Found", "status": 404,
                                   "detail": f"no test route for {raw_path}"})
            return replies.pop(0) if len(replies) > 1 else replies[0]


def fixture_reply(name: str) -> Reply:
    return Reply(200, (FIXTURES / name).read_bytes())


def serve_complete_year(klass: FakeKlass, year: int = 2024) -> None:
    """Every endpoint `fetch` uses for one year, in the real response formats."""
    date = f"{year}-01-01"
    window = {"from": date, "to": f"{year + 1}-01-02"}
    klass.set("classifications/1/codesAt", fixture_reply("synthetic_1_codesAt__date-2024-01-01__selectLevel-2.json"),
              date=date, selectLevel=2)
    klass.set("classifications/131/codesAt", fixture_reply("synthetic_131_codesAt__date-2024-01-01.json"), date=date)
    klass.set("classifications/104/codesAt", fixture_reply("classifications_104_codes__from-2022-07-10.json"),
              date=date)
    klass.set("classifications/103/codesAt", fixture_reply("synthetic_103_codesAt__date-2024-01-01.json"), date=date)
    klass.set("classifications/103/correspondsAt",
              fixture_reply("synthetic_103_correspondsAt__targetClassificationId-1__date-2024-01-01.json"),
              targetClassificationId=1, date=date)
    klass.set(f"classifications/{LKS_ID}/correspondsAt",
              fixture_reply("synthetic_lks_correspondsAt__targetClassificationId-1__date-2024-01-01.json"),
              targetClassificationId=1, date=date)
    klass.set("classifications/1/changes", fixture_reply("synthetic_1_changes__from-2024-01-01__to-2025-01-02.json"),
              **window)
    klass.set("classifications/131/changes",
              fixture_reply("classifications_104_changes__from-2018-01-01__to-2019-01-02.json"), **window)
    klass.set("classifications/104/changes",
              fixture_reply("classifications_104_changes__from-2019-01-01__to-2020-01-02.json"), **window)


class _Handler(BaseHTTPRequestHandler):
    klass: FakeKlass

    def do_GET(self) -> None:  # noqa: N802
        reply = self.server.klass.handle(self.path, self.headers.get("Accept", ""))  # type: ignore[attr-defined]
        if reply.delay:
            time.sleep(reply.delay)
        body = reply.body
        if isinstance(body, dict):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def klass() -> Iterator[FakeKlass]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    fake = FakeKlass(base_url=f"http://127.0.0.1:{server.server_address[1]}{API_PREFIX}/")
    server.klass = fake  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def client(klass: FakeKlass, **kwargs: Any) -> Any:
    options = {"timeout": 2.0, "retries": 2, "backoff": 0.01}
    options.update(kwargs)
    return kx.KlassClient(base_url=klass.base_url, **options)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# ----------------------------------------------------------------------------------------------------------------
# fetch
# ----------------------------------------------------------------------------------------------------------------


def test_fetch_writes_every_seed(klass: FakeKlass, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    serve_complete_year(klass)
    # An existing seed with another year: kept.
    (tmp_path / "klass_kommuner.csv").write_text("year,kommune_code,kommune_name\n2023,0301,Oslo\n", encoding="utf-8")
    with caplog.at_level(logging.INFO):
        counts = kx.fetch(client(klass), 2024, 2024, tmp_path, LKS_ID)

    assert set(klass.accept_headers) == {"application/json"}
    grunnkretser = read_rows(tmp_path / "klass_grunnkretser.csv")
    assert [r["grunnkrets_code"] for r in grunnkretser] == [
        "03010101", "03012401", "03019999", "30010101", "30019999", "46010101"]
    assert {r["year"] for r in grunnkretser} == {"2024"}
    assert grunnkretser[1]["grunnkrets_name"] == "Tøyen Rode 1"
    kommuner = read_rows(tmp_path / "klass_kommuner.csv")
    assert [(r["year"], r["kommune_code"]) for r in kommuner] == [
        ("2023", "0301"), ("2024", "0301"), ("2024", "3001"), ("2024", "4601"), ("2024", "9999")]
    fylker = read_rows(tmp_path / "klass_fylker.csv")
    assert len(fylker) == 12 and fylker[0] == {"year": "2024", "fylke_code": "03", "fylke_name": "Oslo"}
    assert "99" in {r["fylke_code"] for r in fylker}
    assert len(read_rows(tmp_path / "klass_bydeler.csv")) == 4
    assert {r["grunnkrets_code"]: r["bydel_code"] for r in read_rows(tmp_path / "klass_grunnkrets_bydel.csv")} == {
        "03010101": "030102", "03012401": "030101", "03019999": "030199", "46010101": "460101"}
    lks = read_rows(tmp_path / "klass_levekarssone_grunnkrets.csv")
    assert {r["grunnkrets_code"]: r["levekarssone_code"] for r in lks}["03010101"] == "0301999999"
    assert any("recoded 1 row" in m for m in caplog.messages)

    changes = read_rows(tmp_path / "klass_changes.csv")
    assert Counter(r["classification"] for r in changes) == {"fylke": 13, "grunnkrets": 4}  # kommune: empty list
    created = next(r for r in changes if r["new_code"] == "02350199")
    assert created["old_code"] == "" and created["old_name"] == "" and created["change_date"] == "2024-07-01"
    ceased = next(r for r in changes if r["old_code"] == "02350198")
    assert ceased["new_code"] == "" and ceased["new_name"] == ""
    assert counts["klass_changes.csv"] == 17

    text = (tmp_path / "klass_grunnkretser.csv").read_text(encoding="utf-8")
    assert text.startswith("year,grunnkrets_code,grunnkrets_name\n") and text.endswith("\n") and "\r" not in text
    assert not list(tmp_path.glob(".*.tmp"))


def test_fetch_two_years_replaces_those_years_only(klass: FakeKlass, tmp_path: Path) -> None:
    serve_complete_year(klass, 2024)
    serve_complete_year(klass, 2025)
    for name, header, row in [
        ("klass_fylker.csv", "year,fylke_code,fylke_name", "2023,50,Trøndelag - Trööndelage"),
        ("klass_fylker.csv", None, "2024,01,Stale row"),
        ("klass_changes.csv", "classification,old_code,old_name,new_code,new_name,change_date",
         "fylke,16,Sør-Trøndelag,50,Trøndelag,2018-01-01"),
    ]:
        with (tmp_path / name).open("a", encoding="utf-8") as handle:
            handle.write((header + "\n" if header else "") + row + "\n")
    kx.fetch(client(klass), 2024, 2025, tmp_path, LKS_ID)
    fylker = read_rows(tmp_path / "klass_fylker.csv")
    assert Counter(r["year"] for r in fylker) == {"2023": 1, "2024": 12, "2025": 12}
    assert "Stale row" not in {r["fylke_name"] for r in fylker}
    # The same levekårssone table on 2024-01-01 and 2025-01-01 is one table, first valid in 2024.
    assert {r["year"] for r in read_rows(tmp_path / "klass_levekarssone_grunnkrets.csv")} == {"2024"}
    changes = read_rows(tmp_path / "klass_changes.csv")
    keys = [tuple(r.values()) for r in changes]
    assert len(keys) == len(set(keys))  # the two windows overlap on 1 January: no duplicates
    assert ("fylke", "16", "Sør-Trøndelag", "50", "Trøndelag", "2018-01-01") in keys  # outside the fetched years


def test_command_line_script_runs(tmp_path: Path) -> None:
    import subprocess

    script = PROJECT_DIR / "scripts" / "klass_extract.py"
    ok = subprocess.run([sys.executable, str(script), "import-lks", str(FIXTURES / "lks2026_sample.csv"),
                         "--year", "2026", "--seeds-dir", str(tmp_path)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    missing = subprocess.run([sys.executable, str(script), "import-lks", str(tmp_path / "missing.csv"),
                              "--year", "2026", "--seeds-dir", str(tmp_path)], capture_output=True, text=True)
    assert missing.returncode == 1 and missing.stderr.startswith("error: cannot read")
    assert len(missing.stderr.strip().splitlines()) == 1


def test_fetch_without_levekarssone_id_says_how_to_find_it(
    klass: FakeKlass, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    serve_complete_year(klass)
    with caplog.at_level(logging.INFO):
        kx.fetch(client(klass), 2024, 2024, tmp_path, None)
    assert any("classifications/search?query=lev" in m and "includeCodelists=true" in m for m in caplog.messages)
    assert not (tmp_path / "klass_levekarssone_grunnkrets.csv").exists()
    assert klass.count(f"classifications/{LKS_ID}/correspondsAt", targetClassificationId=1, date="2024-01-01") == 0


def test_404_on_a_correspondence_is_an_empty_table(klass: FakeKlass, tmp_path: Path) -> None:
    serve_complete_year(klass)
    klass.set("classifications/103/correspondsAt", Reply(404, "Not found"), targetClassificationId=1,
              date="2024-01-01")
    klass.set(f"classifications/{LKS_ID}/correspondsAt", Reply(200, {"correspondenceItems": []}),
              targetClassificationId=1, date="2024-01-01")
    kx.fetch(client(klass), 2024, 2024, tmp_path, LKS_ID)
    assert read_rows(tmp_path / "klass_grunnkrets_bydel.csv") == []
    assert read_rows(tmp_path / "klass_levekarssone_grunnkrets.csv") == []
    assert len(read_rows(tmp_path / "klass_grunnkretser.csv")) == 6


def test_404_with_problem_json_on_codes_is_a_clear_error_and_not_retried(klass: FakeKlass) -> None:
    problem = {"type": "about:blank", "title": "Not Found", "status": 404,
               "detail": "Classification with id 131 not found", "instance": "/classifications/131/codesAt"}
    klass.set("classifications/131/codesAt", Reply(404, problem, content_type="application/problem+json"),
              date="2024-01-01")
    with pytest.raises(kx.KlassError) as err:
        client(klass).get_json("classifications/131/codesAt", {"date": "2024-01-01"})
    message = str(err.value)
    assert "HTTP 404" in message and "Not Found: Classification with id 131 not found" in message
    assert klass.base_url + "classifications/131/codesAt?date=2024-01-01" in message
    assert err.value.status == 404
    assert klass.count("classifications/131/codesAt", date="2024-01-01") == 1


def test_plain_text_error_body_and_status_from_http_not_body(klass: FakeKlass) -> None:
    klass.set("classifications/104/codesAt", Reply(400, "Invalid date format: 2024-13-01", content_type="text/plain"),
              date="2024-13-01")
    with pytest.raises(kx.KlassError, match=r"HTTP 400 .*Invalid date format: 2024-13-01"):
        client(klass).get_json("classifications/104/codesAt", {"date": "2024-13-01"})
    assert klass.count("classifications/104/codesAt", date="2024-13-01") == 1


def test_500_is_retried(klass: FakeKlass) -> None:
    klass.set("classifications/104/codesAt", Reply(500, {"title": "Internal Server Error"}),
              fixture_reply("classifications_104_codes__from-2022-07-10.json"), date="2024-01-01")
    payload = client(klass).get_json("classifications/104/codesAt", {"date": "2024-01-01"})
    assert len(kx.parse_codes(payload, "test")) == 12
    assert klass.count("classifications/104/codesAt", date="2024-01-01") == 2


def test_persistent_500_gives_up_after_the_retries(klass: FakeKlass) -> None:
    klass.set("classifications/104/codesAt", Reply(503, "Service Unavailable", content_type="text/plain"),
              date="2024-01-01")
    with pytest.raises(kx.KlassError, match=r"failed after 3 attempts.*HTTP 503"):
        client(klass, retries=2).get_json("classifications/104/codesAt", {"date": "2024-01-01"})
    assert klass.count("classifications/104/codesAt", date="2024-01-01") == 3


def test_timeout_is_retried(klass: FakeKlass) -> None:
    ok = fixture_reply("classifications_104_codes__from-2022-07-10.json")
    klass.set("classifications/104/codesAt", Reply(200, ok.body, delay=0.6), ok, date="2024-01-01")
    payload = client(klass, timeout=0.2).get_json("classifications/104/codesAt", {"date": "2024-01-01"})
    assert len(payload["codes"]) == 12
    assert klass.count("classifications/104/codesAt", date="2024-01-01") == 2


def test_malformed_json_is_a_clear_error(klass: FakeKlass) -> None:
    klass.set("classifications/104/codesAt", Reply(200, '{"codes": [{"code": "03",'), date="2024-01-01")
    with pytest.raises(kx.KlassError, match=r"malformed JSON from http://127\.0\.0\.1:\d+/.*/104/codesAt\?date="):
        client(klass).get_json("classifications/104/codesAt", {"date": "2024-01-01"})


def test_invalid_code_format_names_the_rule(klass: FakeKlass, tmp_path: Path) -> None:
    serve_complete_year(klass)
    klass.set("classifications/131/codesAt", Reply(200, {"codes": [
        {"code": "301", "parentCode": None, "level": "1", "name": "Oslo"}]}), date="2024-01-01")
    (tmp_path / "klass_kommuner.csv").write_text("year,kommune_code,kommune_name\n2023,0301,Oslo\n", encoding="utf-8")
    before = (tmp_path / "klass_kommuner.csv").read_bytes()
    with pytest.raises(kx.KlassError, match=r"kommune codes have 4 digits.*'301'"):
        kx.fetch(client(klass), 2024, 2024, tmp_path, None)
    assert (tmp_path / "klass_kommuner.csv").read_bytes() == before
    assert not (tmp_path / "klass_grunnkretser.csv").exists()  # nothing written when a fetch fails


def test_grunnkrets_with_two_bydeler_is_an_error(klass: FakeKlass, tmp_path: Path) -> None:
    serve_complete_year(klass)
    payload = json.loads((FIXTURES / "synthetic_103_correspondsAt__targetClassificationId-1__date-2024-01-01.json")
                         .read_text(encoding="utf-8"))
    extra = dict(payload["correspondenceItems"][0], sourceCode="030102", sourceName="Grünerløkka")
    payload["correspondenceItems"].append(extra)
    klass.set("classifications/103/correspondsAt", Reply(200, payload), targetClassificationId=1, date="2024-01-01")
    with pytest.raises(kx.KlassError, match=r"one bydel per grunnkrets.*03012401"):
        kx.fetch(client(klass), 2024, 2024, tmp_path, None)


def test_main_prints_one_line_error_without_traceback(
    klass: FakeKlass, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    klass.set("classifications/1/codesAt", Reply(404, {"title": "Not Found", "detail": "no such classification"}),
              date="2024-01-01", selectLevel=2)
    code = kx.main(["fetch", "--from-year", "2024", "--to-year", "2024", "--seeds-dir", str(tmp_path),
                    "--base-url", klass.base_url, "--retries", "0", "--timeout", "2"])
    err = capsys.readouterr().err
    assert code == 1
    error_lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and "HTTP 404" in error_lines[0] and "no such classification" in error_lines[0]
    assert "Traceback" not in err


def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLASS_BASE_URL", "http://klass.example/api/klass/v1")
    monkeypatch.setenv("KLASS_LEVEKARSSONE_ID", "1234")
    args = kx.build_parser().parse_args(["fetch", "--from-year", "2024", "--to-year", "2024"])
    assert args.base_url == "http://klass.example/api/klass/v1"
    assert args.levekarssone_classification == "1234"
    assert kx.KlassClient(base_url=args.base_url).url("classifications/1/codesAt", {"date": "2024-01-01"}) == (
        "http://klass.example/api/klass/v1/classifications/1/codesAt?date=2024-01-01")
    monkeypatch.delenv("KLASS_BASE_URL")
    assert kx.build_parser().parse_args(["fetch", "--from-year", "1", "--to-year", "1"]).base_url == kx.DEFAULT_BASE_URL


# ----------------------------------------------------------------------------------------------------------------
# import-lks
# ----------------------------------------------------------------------------------------------------------------


def test_import_klass_csv_export(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    source = FIXTURES / "lks2025_sample.klass-csv-iso-8859-1.csv"
    with pytest.raises(UnicodeDecodeError):
        source.read_bytes().decode("utf-8")  # the fixture really is ISO-8859-1
    with caplog.at_level(logging.INFO):
        assert kx.main(["import-lks", str(source), "--year", "2025", "--seeds-dir", str(tmp_path)]) == 0
    rows = read_rows(tmp_path / "klass_levekarssone_grunnkrets.csv")
    assert len(rows) == 8 and {r["year"] for r in rows} == {"2025"}
    unknown = [r for r in rows if r["levekarssone_code"] == "0301999999"]
    assert len(unknown) == 3 and {r["levekarssone_name"] for r in unknown} == {"Oslo LKS 019999"}
    assert any("recoded 3 row(s)" in m for m in caplog.messages)
    assert all(len(r["levekarssone_code"]) == 10 for r in rows)
    keys = [(r["year"], r["levekarssone_code"], r["grunnkrets_code"]) for r in rows]
    assert keys == sorted(keys) and keys[0] == ("2025", "0301010201", "03012401")
    assert "Stavanger LKS 010001" in {r["levekarssone_name"] for r in rows}
    # Zone names in the sample have no Norwegian letters (grunnkrets names do): check a UTF-8 input as well.
    utf8 = tmp_path / "utf8.csv"
    utf8.write_text(source.read_bytes().decode("iso-8859-1").replace("Oslo LKS 010201", "Tøyen LKS"), encoding="utf-8")
    kx.import_lks(utf8, 2025, tmp_path)
    assert "Tøyen LKS" in (tmp_path / "klass_levekarssone_grunnkrets.csv").read_text(encoding="utf-8")


def test_import_2026_format_keeps_other_years(tmp_path: Path) -> None:
    kx.import_lks(FIXTURES / "lks2025_sample.klass-csv-iso-8859-1.csv", 2025, tmp_path)
    kx.import_lks(FIXTURES / "lks2026_sample.csv", 2026, tmp_path)
    kx.import_lks(FIXTURES / "lks2026_sample.csv", 2026, tmp_path)  # re-import replaces, does not duplicate
    rows = read_rows(tmp_path / "klass_levekarssone_grunnkrets.csv")
    assert Counter(r["year"] for r in rows) == {"2025": 8, "2026": 5}
    assert ["2025"] * 8 + ["2026"] * 5 == [r["year"] for r in rows]


def test_failing_import_leaves_the_seed_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kx.import_lks(FIXTURES / "lks2025_sample.klass-csv-iso-8859-1.csv", 2025, tmp_path)
    seed = tmp_path / "klass_levekarssone_grunnkrets.csv"
    before = seed.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("levekaar,lksnavn,grunnkrets\n1103010001,Stavanger LKS 010001,11031102\n"
                   "110301001,Stavanger LKS 01001,11031103\n", encoding="utf-8")
    assert kx.main(["import-lks", str(bad), "--year", "2025", "--seeds-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "bad.csv" in err and "10 digits" in err and "110301001" in err and "Traceback" not in err
    assert seed.read_bytes() == before

    mismatch = tmp_path / "mismatch.csv"
    mismatch.write_text("levekaar,lksnavn,grunnkrets\n1103010001,Stavanger LKS 010001,46011001\n", encoding="utf-8")
    with pytest.raises(kx.KlassError, match="kommune"):
        kx.import_lks(mismatch, 2025, tmp_path)
    two_zones = tmp_path / "two_zones.csv"
    two_zones.write_text("levekaar,lksnavn,grunnkrets\n1103010001,A,11031102\n1103010002,B,11031102\n",
                         encoding="utf-8")
    with pytest.raises(kx.KlassError, match="one levekårssone per grunnkrets"):
        kx.import_lks(two_zones, 2025, tmp_path)
    unknown_header = tmp_path / "unknown.csv"
    unknown_header.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(kx.KlassError, match="unknown header"):
        kx.import_lks(unknown_header, 2025, tmp_path)
    assert seed.read_bytes() == before


def test_failure_while_replacing_leaves_the_seed_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kx.import_lks(FIXTURES / "lks2025_sample.klass-csv-iso-8859-1.csv", 2025, tmp_path)
    seed = tmp_path / "klass_levekarssone_grunnkrets.csv"
    before = seed.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kx.os, "replace", broken_replace)
    with pytest.raises(OSError):
        kx.import_lks(FIXTURES / "lks2026_sample.csv", 2026, tmp_path)
    assert seed.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["klass_levekarssone_grunnkrets.csv"]


# ----------------------------------------------------------------------------------------------------------------
# The committed seeds
# ----------------------------------------------------------------------------------------------------------------


def test_committed_seeds_invariants() -> None:
    seeds = {name: read_rows(COMMITTED_SEEDS / file_name) for name, (file_name, _) in kx.SEED_FILES.items()}
    for name, (file_name, header) in kx.SEED_FILES.items():
        text = (COMMITTED_SEEDS / file_name).read_text(encoding="utf-8")
        assert text.split("\n", 1)[0] == ",".join(header) and text.endswith("\n") and "\r" not in text, file_name

    gk = seeds["grunnkrets"]
    assert len(gk) == 14_459 and sum(r["grunnkrets_code"].endswith("9999") for r in gk) == 358
    assert all(len(r["grunnkrets_code"]) == 8 and r["grunnkrets_code"].isdigit() for r in gk)
    assert not any(r["grunnkrets_code"].endswith("00") for r in gk)
    assert len(seeds["kommune"]) == 358 and "9999" in {r["kommune_code"] for r in seeds["kommune"]}
    assert all(len(r["kommune_code"]) == 4 for r in seeds["kommune"])
    assert len(seeds["fylke"]) == 16 and "99" in {r["fylke_code"] for r in seeds["fylke"]}
    assert len(seeds["bydel"]) == 42 and all(len(r["bydel_code"]) == 6 for r in seeds["bydel"])
    for name, code_column in [("grunnkrets", "grunnkrets_code"), ("kommune", "kommune_code"),
                              ("fylke", "fylke_code"), ("bydel", "bydel_code")]:
        keys = [(int(r["year"]), r[code_column]) for r in seeds[name]]
        assert keys == sorted(keys) and len(set(keys)) == len(keys), name

    gk_2024 = {r["grunnkrets_code"] for r in gk if r["year"] == "2024"}
    gb = seeds["grunnkrets_bydel"]
    assert len(gb) == 1_648 and len({r["grunnkrets_code"] for r in gb}) == len(gb)
    assert {r["grunnkrets_code"] for r in gb} <= gk_2024
    assert {r["bydel_code"] for r in gb} <= {r["bydel_code"] for r in seeds["bydel"]}

    lks = seeds["levekarssone_grunnkrets"]
    per_year: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in lks:
        per_year[r["year"]].append(r)
    assert {y: len(rows) for y, rows in per_year.items()} == {"2025": 14_063, "2026": 5_558}
    assert len({r["levekarssone_code"] for r in per_year["2025"]}) == 2_185
    assert len({r["levekarssone_code"] for r in per_year["2026"]}) == 1_137
    assert len({r["grunnkrets_code"][:4] for r in per_year["2025"]}) == 357
    assert len({r["grunnkrets_code"][:4] for r in per_year["2026"]}) == 66
    for rows in per_year.values():
        assert len({r["grunnkrets_code"] for r in rows}) == len(rows)  # one zone per grunnkrets
    assert all(len(r["levekarssone_code"]) == 10 and r["levekarssone_code"][:4] == r["grunnkrets_code"][:4]
               for r in lks)
    assert sum(r["levekarssone_code"] == "0301999999" for r in per_year["2025"]) == 6
    assert {r["grunnkrets_code"] for r in per_year["2025"]} <= gk_2024

    changes = seeds["changes"]
    assert {r["classification"] for r in changes} == {"grunnkrets", "kommune", "fylke"}
    assert all(len(r["change_date"]) == 10 and r["change_date"][4] == "-" for r in changes)
    assert all(r["old_code"] or r["new_code"] for r in changes)
