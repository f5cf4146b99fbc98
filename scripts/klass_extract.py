#!/usr/bin/env python3
"""Extract Norwegian geography from SSB's KLASS API into the dbt seeds in seeds/klass/.

    python scripts/klass_extract.py fetch --from-year 2024 --to-year 2025 [--levekarssone-classification ID]
    python scripts/klass_extract.py import-lks FILE --year 2025

`fetch` asks KLASS for the codes valid on 1 January of each year (grunnkrets 1 level 2, kommune 131, fylke 104,
bydel 103), the correspondences bydel -> grunnkrets and (if its classification id is given)
levekårssone -> grunnkrets, and the code changes of grunnkrets, kommune and fylke. The rows of the requested
years replace those years in the seeds; other years are kept.

`import-lks` imports a levekårssone -> grunnkrets table from a file: the KLASS correspondence CSV export
(`sourceCode;sourceName;targetCode;targetName`, ISO-8859-1 or UTF-8, `;` or `,`) or the `levekaar,lksnavn,grunnkrets`
format. It replaces the rows of `--year` in klass_levekarssone_grunnkrets.csv.

Every seed is written atomically (temporary file in the same folder, fsync, os.replace): a failure never leaves
half a file and never changes an existing seed. Data: "Statistisk sentralbyrå (SSB), KLASS", CC BY 4.0.
Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import logging
import os
import re
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

LOG = logging.getLogger("klass_extract")

DEFAULT_BASE_URL = "https://data.ssb.no/api/klass/v1/"
DEFAULT_SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds" / "klass"

# KLASS classification ids (see the KLASS API guide).
CLASSIFICATION_IDS: dict[str, int] = {"grunnkrets": 1, "bydel": 103, "fylke": 104, "kommune": 131}
CHANGE_CLASSIFICATIONS: tuple[str, ...] = ("grunnkrets", "kommune", "fylke")

# Code rules: kind -> (regex, human-readable rule).
CODE_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "grunnkrets": (re.compile(r"^\d{8}$"), "grunnkrets codes have 8 digits"),
    "kommune": (re.compile(r"^\d{4}$"), "kommune codes have 4 digits"),
    "fylke": (re.compile(r"^\d{2}$"), "fylke codes have 2 digits"),
    "bydel": (re.compile(r"^\d{6}$"), "bydel codes have 6 digits"),
    "levekarssone": (re.compile(r"^\d{10}$"), "levekårssone codes have 10 digits"),
}
UNKNOWN_ZONE_8 = re.compile(r"^(\d{4})9999$")

# Seed files and their headers (CONTRACT: the dbt models read exactly these).
SEED_FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "grunnkrets": ("klass_grunnkretser.csv", ("year", "grunnkrets_code", "grunnkrets_name")),
    "kommune": ("klass_kommuner.csv", ("year", "kommune_code", "kommune_name")),
    "fylke": ("klass_fylker.csv", ("year", "fylke_code", "fylke_name")),
    "bydel": ("klass_bydeler.csv", ("year", "bydel_code", "bydel_name")),
    "grunnkrets_bydel": ("klass_grunnkrets_bydel.csv", ("year", "grunnkrets_code", "bydel_code")),
    "levekarssone_grunnkrets": (
        "klass_levekarssone_grunnkrets.csv",
        ("year", "levekarssone_code", "levekarssone_name", "grunnkrets_code"),
    ),
    "changes": (
        "klass_changes.csv",
        ("classification", "old_code", "old_name", "new_code", "new_name", "change_date"),
    ),
}

Row = tuple[str, ...]


class KlassError(Exception):
    """A failure the operator can act on; printed as one line, without a stack trace."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


# --------------------------------------------------------------------------------------------------------------
# HTTP client
# --------------------------------------------------------------------------------------------------------------


def _error_message(body: bytes) -> str:
    """The readable message of an error body: RFC 7807 `title`/`detail`, another JSON message, or plain text."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return "(empty body)"
    try:
        payload = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(payload, dict):
        parts = [str(payload[k]) for k in ("title", "detail") if payload.get(k)]
        if not parts:
            parts = [str(payload[k]) for k in ("message", "error") if payload.get(k)]
        if parts:
            return ": ".join(parts)
    if isinstance(payload, str):
        return payload[:300]
    return text[:300]


@dataclass
class KlassClient:
    """Minimal KLASS REST client: JSON only, retries with exponential backoff on timeouts, connection errors and 5xx."""

    base_url: str = DEFAULT_BASE_URL
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0
    backoff_max: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        url = self.base_url.rstrip("/") + "/" + path.lstrip("/")
        if params:
            url += "?" + urllib.parse.urlencode(params)
        return url

    def get_json(self, path: str, params: Mapping[str, Any] | None = None, *, allow_404: bool = False) -> Any:
        """GET a JSON document. With allow_404, a 404 answer returns None (older servers: "no table")."""
        url = self.url(path, params)
        request = urllib.request.Request(
            url, headers={"Accept": "application/json", "User-Agent": "levekar-klass-extract/1.0"}
        )
        attempt = 0
        while True:
            attempt += 1
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    body = response.read()
                break
            except urllib.error.HTTPError as exc:
                status = exc.code
                try:
                    message = _error_message(exc.read())
                except (OSError, http.client.HTTPException):
                    message = exc.reason or "(no body)"
                if status == 404 and allow_404:
                    LOG.info("404 from %s: treated as an empty table (%s)", url, message)
                    return None
                if status < 500:
                    raise KlassError(f"KLASS answered HTTP {status} for {url}: {message}", url=url, status=status)
                problem = f"HTTP {status}: {message}"
            except (urllib.error.URLError, TimeoutError, socket.timeout, ConnectionError,
                    http.client.HTTPException) as exc:
                reason = getattr(exc, "reason", exc)
                problem = f"{type(exc).__name__}: {reason}"
                status = None
            if attempt > self.retries:
                raise KlassError(
                    f"KLASS request failed after {attempt} attempts for {url}: {problem}", url=url, status=status
                )
            delay = min(self.backoff * (2 ** (attempt - 1)), self.backoff_max)
            LOG.warning("attempt %d for %s failed (%s); retrying in %.2f s", attempt, url, problem, delay)
            self.sleep(delay)
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise KlassError(f"malformed JSON from {url}: {exc}", url=url) from None


# --------------------------------------------------------------------------------------------------------------
# Parsing the KLASS JSON formats
# --------------------------------------------------------------------------------------------------------------


def _items(payload: Any, key: str, source: str) -> list[dict[str, Any]]:
    if payload is None:
        return []
    if isinstance(payload, list) and not payload:
        return []
    if not isinstance(payload, dict) or key not in payload:
        raise KlassError(f"unexpected response from {source}: expected a JSON object with '{key}'")
    items = payload[key]
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise KlassError(f"unexpected response from {source}: '{key}' is not a list of objects")
    return items


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def parse_codes(payload: Any, source: str) -> list[dict[str, str]]:
    """`codes`/`codesAt` response -> [{code, name, level, parentCode}]."""
    out = []
    for item in _items(payload, "codes", source):
        code = _text(item.get("code"))
        if not code:
            raise KlassError(f"unexpected response from {source}: a code item without 'code': {item}")
        out.append({"code": code, "name": _text(item.get("name")), "level": _text(item.get("level")),
                    "parentCode": _text(item.get("parentCode"))})
    return out


def parse_correspondence(payload: Any, source: str) -> list[tuple[str, str, str, str]]:
    """`corresponds`/`correspondsAt` response -> [(sourceCode, sourceName, targetCode, targetName)]."""
    out = []
    for item in _items(payload, "correspondenceItems", source):
        row = tuple(_text(item.get(k)) for k in ("sourceCode", "sourceName", "targetCode", "targetName"))
        if not row[0] or not row[2]:
            raise KlassError(f"unexpected response from {source}: a correspondence item without codes: {item}")
        out.append(row)  # type: ignore[arg-type]
    return out


def parse_changes(payload: Any, classification: str, source: str) -> list[Row]:
    """`/changes` response -> seed rows (classification, old_code, old_name, new_code, new_name, change_date).

    A missing oldCode means the code was created, a missing newCode that it ceased: the field is left empty.
    """
    out = []
    for item in _items(payload, "codeChanges", source):
        old_code, new_code = _text(item.get("oldCode")), _text(item.get("newCode"))
        date = _text(item.get("changeOccurred"))
        if not old_code and not new_code:
            raise KlassError(f"unexpected change in {source}: neither oldCode nor newCode: {item}")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            raise KlassError(f"unexpected change in {source}: changeOccurred {date!r} is not YYYY-MM-DD: {item}")
        for code in (old_code, new_code):
            if code:
                validate_codes(classification, [code], source)
        out.append((classification, old_code, _text(item.get("oldName")) if old_code else "",
                    new_code, _text(item.get("newName")) if new_code else "", date))
    return out


# --------------------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------------------


def validate_codes(kind: str, codes: Iterable[str], source: str) -> None:
    pattern, rule = CODE_RULES[kind]
    bad = sorted({c for c in codes if not pattern.match(c)})
    if bad:
        hint = " (leading zeros lost?)" if any(c.isdigit() for c in bad) else ""
        raise KlassError(f"{source}: {len(bad)} invalid {kind} code(s), rule: {rule}{hint}; examples: {bad[:5]}")


def validate_unique(kind: str, rows: Sequence[tuple[str, str]], source: str) -> None:
    seen: dict[str, int] = defaultdict(int)
    for code, _ in rows:
        seen[code] += 1
    dup = sorted(c for c, n in seen.items() if n > 1)
    if dup:
        raise KlassError(f"{source}: {len(dup)} {kind} code(s) appear more than once, examples: {dup[:5]}")


def validate_one_parent(pairs: Iterable[tuple[str, str]], child: str, parent: str, source: str) -> None:
    """Each child code has exactly one parent code, and the parent's kommune prefix (4 digits) is the child's."""
    parents: dict[str, set[str]] = defaultdict(set)
    for child_code, parent_code in pairs:
        parents[child_code].add(parent_code)
    multi = {c: sorted(p) for c, p in parents.items() if len(p) > 1}
    if multi:
        examples = [f"{c} -> {p}" for c, p in sorted(multi.items())[:5]]
        raise KlassError(
            f"{source}: rule 'one {parent} per {child}' broken for {len(multi)} {child} code(s), examples: {examples}"
        )
    wrong = sorted((c, next(iter(p))) for c, p in parents.items() if next(iter(p))[:4] != c[:4])
    if wrong:
        raise KlassError(
            f"{source}: rule 'the {parent} code starts with the {child}'s kommune (4 digits)' broken for "
            f"{len(wrong)} row(s), examples: {wrong[:5]}"
        )


def grunnkrets_rows(codes: list[dict[str, str]], source: str) -> list[tuple[str, str]]:
    """Level-2 grunnkrets codes: drop delområde codes (level 1 / ending in 00), keep KKKK9999."""
    kept = [(c["code"], c["name"]) for c in codes if c["level"] != "1" and not c["code"].endswith("00")]
    dropped = len(codes) - len(kept)
    if dropped:
        LOG.info("%s: dropped %d delområde code(s) (level 1, ending in 00)", source, dropped)
    validate_codes("grunnkrets", [c for c, _ in kept], source)
    validate_unique("grunnkrets", kept, source)
    return kept


def levekarssone_rows(
    year: int, items: Iterable[tuple[str, str, str]], source: str
) -> list[Row]:
    """Validate a levekårssone -> grunnkrets table and return seed rows (year, zone, zone name, grunnkrets).

    Rule for the real 2025 anomaly: an 8-digit zone `KKKK9999` means "unknown zone in kommune KKKK" and becomes
    `KKKK999999` (name kept). Any other malformed code is an error naming the file, the rule and example rows.
    """
    rows: list[Row] = []
    recoded: list[tuple[str, str, str]] = []
    bad: list[tuple[str, str, str]] = []
    for zone, name, grunnkrets in items:
        zone, name, grunnkrets = zone.strip(), name.strip(), grunnkrets.strip()
        if not CODE_RULES["levekarssone"][0].match(zone):
            unknown = UNKNOWN_ZONE_8.match(zone)
            if unknown:
                recoded.append((zone, name, grunnkrets))
                zone = unknown.group(1) + "999999"
            else:
                bad.append((zone, name, grunnkrets))
                continue
        rows.append((str(year), zone, name, grunnkrets))
    if bad:
        hint = " (leading zeros lost?)" if any(z.isdigit() for z, _, _ in bad) else ""
        raise KlassError(
            f"{source}: {len(bad)} row(s) break the rule 'levekårssone codes have 10 digits (or KKKK9999 for the "
            f"unknown zone)'{hint}; example rows: {bad[:3]}"
        )
    if recoded:
        LOG.warning(
            "%s: recoded %d row(s) with an 8-digit unknown-zone code KKKK9999 to KKKK999999 (e.g. %s -> %s)",
            source, len(recoded), recoded[0][0], recoded[0][0][:4] + "999999",
        )
    if not rows:
        raise KlassError(f"{source}: no levekårssone rows")
    validate_codes("grunnkrets", [r[3] for r in rows], source)
    validate_one_parent(((r[3], r[1]) for r in rows), "grunnkrets", "levekårssone", source)
    return rows


# --------------------------------------------------------------------------------------------------------------
# Atomic CSV writing and seed merging
# --------------------------------------------------------------------------------------------------------------


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_files_atomic(files: Mapping[Path, bytes]) -> None:
    """Write every file to a temporary file in its folder and fsync them all, then os.replace each into place.

    Nothing is replaced unless every temporary file was written; a failure never leaves half a file.
    """
    temps: dict[Path, str] = {}
    try:
        for path, content in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            temps[path] = tmp
            os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else _default_mode())
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
        for path, tmp in temps.items():
            os.replace(tmp, path)
    except BaseException:
        for tmp in temps.values():
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        raise
    for folder in {p.parent for p in files}:
        try:
            dir_fd = os.open(folder, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)


def write_csv_atomic(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    write_files_atomic({path: csv_bytes(header, rows)})


def read_seed(path: Path, header: Sequence[str]) -> list[Row]:
    """Rows of an existing seed (empty if it does not exist); the header must be the expected one."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        found = next(reader, None)
        if found is None:
            return []
        if tuple(found) != tuple(header):
            raise KlassError(f"{path}: unexpected header {found}, expected {list(header)}")
        return [tuple(r) for r in reader if r]


def _sort_key(row: Row) -> tuple[Any, ...]:
    return (int(row[0]),) + tuple(row[1:])


def sort_seed_rows(name: str, rows: Iterable[Row]) -> list[Row]:
    if name == "changes":
        return sorted(set(rows), key=lambda r: (r[0], r[5], r[1], r[3]))
    return sorted(set(rows), key=_sort_key)


def merge_year_rows(existing: Iterable[Row], new: Iterable[Row], years: Iterable[int]) -> list[Row]:
    """Replace the rows of `years` (first column) with `new`; keep other years."""
    replace = {str(y) for y in years}
    return [r for r in existing if r[0] not in replace] + list(new)


def seed_path(seeds_dir: Path, name: str) -> Path:
    return Path(seeds_dir) / SEED_FILES[name][0]


# --------------------------------------------------------------------------------------------------------------
# Levekårssone file import
# --------------------------------------------------------------------------------------------------------------

KLASS_CSV_COLUMNS = ("sourcecode", "sourcename", "targetcode", "targetname")
LKS_2026_COLUMNS = ("levekaar", "lksnavn", "grunnkrets")


def read_lks_file(path: Path) -> list[tuple[str, str, str]]:
    """Read a levekårssone -> grunnkrets table: KLASS CSV export or `levekaar,lksnavn,grunnkrets`.

    Encoding: UTF-8 (with or without BOM) first, else ISO-8859-1 (the KLASS CSV default). Delimiter `;` or `,`.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise KlassError(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("iso-8859-1")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise KlassError(f"{path}: empty file")
    columns = [h.strip().lower() for h in header]
    if all(c in columns for c in KLASS_CSV_COLUMNS):
        wanted = KLASS_CSV_COLUMNS[0], KLASS_CSV_COLUMNS[1], KLASS_CSV_COLUMNS[2]
    elif all(c in columns for c in LKS_2026_COLUMNS):
        wanted = LKS_2026_COLUMNS
    else:
        raise KlassError(
            f"{path}: unknown header {header}; expected the KLASS CSV export "
            f"(sourceCode;sourceName;targetCode;targetName) or levekaar,lksnavn,grunnkrets"
        )
    index = [columns.index(c) for c in wanted]
    rows = []
    for line_no, record in enumerate(reader, start=2):
        if not record or all(not f.strip() for f in record):
            continue
        if len(record) < len(columns):
            raise KlassError(f"{path}: line {line_no} has {len(record)} field(s), expected {len(columns)}: {record}")
        rows.append((record[index[0]], record[index[1]], record[index[2]]))
    return rows


def import_lks(path: Path, year: int, seeds_dir: Path) -> list[Row]:
    """Import a levekårssone table for `year`: replace that year's rows in the seed, keep other years."""
    rows = levekarssone_rows(year, read_lks_file(path), str(path))
    target = seed_path(seeds_dir, "levekarssone_grunnkrets")
    header = SEED_FILES["levekarssone_grunnkrets"][1]
    merged = sort_seed_rows("levekarssone_grunnkrets", merge_year_rows(read_seed(target, header), rows, [year]))
    write_csv_atomic(target, header, merged)
    LOG.info(
        "%s: %d grunnkretser, %d levekårssoner for %d written to %s",
        Path(path).name, len(rows), len({r[1] for r in rows}), year, target,
    )
    return rows


# --------------------------------------------------------------------------------------------------------------
# Fetch from the API
# --------------------------------------------------------------------------------------------------------------


def fetch_year(client: KlassClient, year: int, lks_id: str | None) -> dict[str, list[Row]]:
    """Every seed's rows for one year (codes and correspondences valid on 1 January, changes during the year)."""
    date = f"{year}-01-01"
    out: dict[str, list[Row]] = {}
    for kind in ("grunnkrets", "kommune", "fylke", "bydel"):
        cid = CLASSIFICATION_IDS[kind]
        params: dict[str, Any] = {"date": date}
        if kind == "grunnkrets":
            params["selectLevel"] = 2
        path = f"classifications/{cid}/codesAt"
        source = client.url(path, params)
        codes = parse_codes(client.get_json(path, params), source)
        if not codes:
            raise KlassError(f"{source}: no {kind} codes valid on {date}")
        if kind == "grunnkrets":
            pairs = grunnkrets_rows(codes, source)
        else:
            pairs = [(c["code"], c["name"]) for c in codes]
            validate_codes(kind, [c for c, _ in pairs], source)
            validate_unique(kind, pairs, source)
        out[kind] = [(str(year), code, name) for code, name in pairs]

    path = f"classifications/{CLASSIFICATION_IDS['bydel']}/correspondsAt"
    params = {"targetClassificationId": CLASSIFICATION_IDS["grunnkrets"], "date": date}
    source = client.url(path, params)
    items = parse_correspondence(client.get_json(path, params, allow_404=True), source)
    items = [i for i in items if not i[2].endswith("00")]  # delområde targets, if any
    validate_codes("bydel", [i[0] for i in items], source)
    validate_codes("grunnkrets", [i[2] for i in items], source)
    validate_one_parent(((i[2], i[0]) for i in items), "grunnkrets", "bydel", source)
    out["grunnkrets_bydel"] = [(str(year), i[2], i[0]) for i in items]
    if not items:
        LOG.warning("%s: no bydel -> grunnkrets table for %s", source, date)

    if lks_id:
        path = f"classifications/{lks_id}/correspondsAt"
        params = {"targetClassificationId": CLASSIFICATION_IDS["grunnkrets"], "date": date}
        source = client.url(path, params)
        items = parse_correspondence(client.get_json(path, params, allow_404=True), source)
        out["levekarssone_grunnkrets"] = (
            levekarssone_rows(year, ((i[0], i[1], i[2]) for i in items), source) if items else []
        )
        if not items:
            LOG.warning("%s: no levekårssone -> grunnkrets table for %s", source, date)

    changes: list[Row] = []
    for kind in CHANGE_CLASSIFICATIONS:
        path = f"classifications/{CLASSIFICATION_IDS[kind]}/changes"
        params = {"from": date, "to": f"{year + 1}-01-02"}  # `to` is exclusive: catch changes on 1 January
        source = client.url(path, params)
        changes += parse_changes(client.get_json(path, params), kind, source)
    out["changes"] = changes
    return out


def _lks_table(rows: Iterable[Row]) -> frozenset[tuple[str, ...]]:
    return frozenset(r[1:] for r in rows)


def fetch(client: KlassClient, from_year: int, to_year: int, seeds_dir: Path, lks_id: str | None) -> dict[str, int]:
    """Fetch all years, validate, then write every seed (replacing the fetched years). Returns row counts."""
    if to_year < from_year:
        raise KlassError(f"--to-year {to_year} is before --from-year {from_year}")
    if not lks_id:
        LOG.warning(
            "no levekårssone classification id (--levekarssone-classification or KLASS_LEVEKARSSONE_ID): skipping "
            "the levekårssone table; find the id with %s",
            client.url("classifications/search", {"query": "levekår", "includeCodelists": "true"}),
        )
    years = list(range(from_year, to_year + 1))
    fetched: dict[str, list[Row]] = defaultdict(list)
    for year in years:
        LOG.info("fetching %d from %s", year, client.base_url)
        for name, rows in fetch_year(client, year, lks_id).items():
            fetched[name] += rows

    files: dict[Path, bytes] = {}
    counts: dict[str, int] = {}
    for name, (_, header) in SEED_FILES.items():
        if name == "levekarssone_grunnkrets" and not lks_id:
            continue
        path = seed_path(seeds_dir, name)
        existing = read_seed(path, header)
        if name == "changes":
            first, last = f"{from_year}-01-01", f"{to_year + 1}-01-01"
            kept = [r for r in existing if not (r[0] in CHANGE_CLASSIFICATIONS and first <= r[5] <= last)]
            merged = kept + fetched[name]
        elif name == "levekarssone_grunnkrets":
            # `year` is the first year a table is valid: a fetched year whose table equals the previous one is
            # the same table, not a new one.
            merged = [r for r in existing if int(r[0]) not in years]
            by_year: dict[int, list[Row]] = defaultdict(list)
            for r in fetched[name]:
                by_year[int(r[0])].append(r)
            for year in years:
                if not by_year.get(year):
                    continue
                earlier = sorted({int(r[0]) for r in merged if int(r[0]) < year})
                if earlier and _lks_table(r for r in merged if int(r[0]) == earlier[-1]) == _lks_table(by_year[year]):
                    LOG.info("levekårssone table on %d-01-01 is the table of %d: not repeated", year, earlier[-1])
                    continue
                merged += by_year[year]
        else:
            merged = merge_year_rows(existing, fetched[name], years)
        rows = sort_seed_rows(name, merged)
        files[path] = csv_bytes(header, rows)
        counts[SEED_FILES[name][0]] = len(rows)
    write_files_atomic(files)
    for file_name, count in counts.items():
        LOG.info("wrote %s: %d rows", file_name, count)
    return counts


# --------------------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    f = sub.add_parser("fetch", help="fetch codes, correspondences and changes from the KLASS API")
    f.add_argument("--from-year", type=int, required=True)
    f.add_argument("--to-year", type=int, required=True)
    f.add_argument("--levekarssone-classification", default=os.environ.get("KLASS_LEVEKARSSONE_ID"),
                   help="KLASS id of the levekårssone classification (env KLASS_LEVEKARSSONE_ID)")
    f.add_argument("--seeds-dir", type=Path, default=DEFAULT_SEEDS_DIR)
    f.add_argument("--base-url", default=os.environ.get("KLASS_BASE_URL") or DEFAULT_BASE_URL,
                   help=f"KLASS API base URL (env KLASS_BASE_URL, default {DEFAULT_BASE_URL})")
    f.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
    f.add_argument("--retries", type=int, default=3, help="retries on timeouts, connection errors, 5xx (default 3)")
    f.add_argument("--backoff", type=float, default=1.0, help="first retry delay in seconds, doubled each time")

    i = sub.add_parser("import-lks", help="import a levekårssone -> grunnkrets table from a file")
    i.add_argument("file", type=Path)
    i.add_argument("--year", type=int, required=True, help="first year the table is valid")
    i.add_argument("--seeds-dir", type=Path, default=DEFAULT_SEEDS_DIR)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(message)s", stream=sys.stderr)
    try:
        if args.command == "fetch":
            if args.retries < 0 or args.timeout <= 0:
                raise KlassError("--retries must be >= 0 and --timeout > 0")
            client = KlassClient(base_url=args.base_url, timeout=args.timeout, retries=args.retries,
                                 backoff=args.backoff)
            fetch(client, args.from_year, args.to_year, args.seeds_dir, args.levekarssone_classification or None)
        else:
            import_lks(args.file, args.year, args.seeds_dir)
    except KlassError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
