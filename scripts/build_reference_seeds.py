#!/usr/bin/env python3
"""Maintainer tool: build the committed demo seeds in seeds/klass/ from the real KLASS reference data.

    python scripts/build_reference_seeds.py [REFERENCE_DIR]   # default ../shared/reference

Run once by a maintainer; the build and the tests never read REFERENCE_DIR. It reuses klass_extract.py: the code
validation, the atomic writing, the `/changes` parser (the recorded API response goes through the same parser as
the API path) and the levekårssone file import (the same function as `klass_extract.py import-lks`).

Sources (REFERENCE_DIR/README.md): codes for 2024 from geography/*_2024*.csv, levekårssone 2025 from the KLASS CSV
export and 2026 from the 66-kommune table, changes from klass/recorded_api (fylke 2019 -> 2020),
geography/changes/grunnkrets_changes_2018_ullensaker_sample.csv and the kommune merge/split tables; the grunnkrets
code history 2010 -> 2024 (klass_grunnkrets_changes.csv, for the crosswalk) from those tables, the 2010, 2023 and
2024 code lists (grunnkrets_changes_history).
Data: "Statistisk sentralbyrå (SSB), KLASS", CC BY 4.0; files taken via helseprofil/backend, helseprofil/norgeo and
Altinn/codelists-lib-dotnet (MIT).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))

import klass_extract as kx  # noqa: E402

LOG = logging.getLogger("build_reference_seeds")

PROJECT_DIR = Path(__file__).resolve().parent.parent
YEAR = 2024
LKS_2025 = "levekarssoner/lks2025_levekarssone_to_grunnkrets.klass-csv-iso-8859-1.csv"
GRUNNKRETS_HISTORY = "klass_grunnkrets_changes.csv"
LKS_2026 = "levekarssoner/lks2026_levekarssone_to_grunnkrets_66_kommuner.csv"

# The known real numbers (reference README); the build fails if the data gives anything else.
EXPECTED = {
    "klass_grunnkretser.csv": 14_459,
    "grunnkretser_unknown": 358,
    "klass_kommuner.csv": 358,
    "klass_fylker.csv": 16,
    "klass_bydeler.csv": 42,
    "klass_grunnkrets_bydel.csv": 1_648,
    "lks_2025_rows": 14_063,
    "lks_2025_zones": 2_185,
    "lks_2025_recoded": 6,
    "lks_2026_rows": 5_558,
    "lks_2026_zones": 1_137,
    GRUNNKRETS_HISTORY: 18_032,
}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def check(name: str, actual: int) -> None:
    expected = EXPECTED[name]
    print(f"{name}: {actual}")
    if actual != expected:
        raise kx.KlassError(f"{name}: {actual} rows, expected the known real number {expected}")


def code_rows(kind: str, pairs: list[tuple[str, str]], source: str) -> list[kx.Row]:
    kx.validate_codes(kind, [c for c, _ in pairs], source)
    kx.validate_unique(kind, pairs, source)
    return [(str(YEAR), code, name) for code, name in pairs]


def name_lookup(ref: Path) -> dict[str, str]:
    """Kommune names from the reference files that have them; the newest source wins."""
    names: dict[str, str] = {}
    for row in read_csv(ref / "geography/kommuner_2024_with_fylke.csv"):
        names.setdefault(row["kommune"], row["kommune_name"])
    recorded = ref / "klass/recorded_api/classifications_131_codesAt__date-2023-03-02.json"
    payload = json.loads(recorded.read_text("utf-8"))
    for code in kx.parse_codes(payload, "recorded 131 codesAt 2023-03-02"):
        names.setdefault(code["code"], code["name"])
    for row in read_csv(ref / "geography/geography_2010_all_levels.csv"):
        if row["level"] == "kommune":
            names.setdefault(row["code"], row["name"])
    return names


def kommune_changes(ref: Path) -> list[kx.Row]:
    """Kommune merges and splits as old -> new code rows dated 1 January of the change year."""
    names = name_lookup(ref)
    pairs: list[tuple[str, str, str]] = []
    for file_name in ("kommune_merges_2016_2018.csv", "kommune_splits_2018_2020.csv",
                      "kommune_track_change_2010_2015.csv"):
        for row in read_csv(ref / "geography/changes" / file_name):
            old, new, year = row["oldCode"].strip(), row["currentCode"].strip(), row["changeOccurred"].strip()
            # Only clean old -> new rows: the tracking table's rows without an old code mean "unchanged".
            if not old or not new or old == new or len(year) != 4:
                continue
            pairs.append((old, new, f"{year}-01-01"))
    kx.validate_codes("kommune", [p[0] for p in pairs] + [p[1] for p in pairs], "kommune change tables")
    missing = sorted({c for p in pairs for c in p[:2] if c not in names})
    if missing:
        LOG.info("kommune changes: no name in the reference data for %s (name left empty)", missing)
    return [("kommune", old, names.get(old, ""), new, names.get(new, ""), date) for old, new, date in pairs]


REFORM_YEAR_TRONDELAG = 2018


def kommune_steps(ref: Path) -> list[tuple[str, str, int, str]]:
    """Kommune code changes (old, new, year, kind) from 2010 to 2024.

    Real records: the merge and split tables and the 2012/2013 track changes. Renumberings are derived by name:
    a 2010 kommune whose code is gone in 2023 and that is in no merge/split table gets the 2023 code of the same
    name (in 2018 for Trøndelag, codes 50xx; otherwise in the 2020 reform), and a 2023 code gone in 2024 the 2024
    code of the same name, else the one new 2024 code with the same name without its fylke or Sami part ("Våler
    (Viken)" -> 3116 "Våler (Østfold)", "Gratangen" -> 5516 "Gratangen - Rivtták"). A code whose name matches
    nothing is left out here (kommune_steps_by_grunnkrets_names tries its grunnkrets names).
    """
    k2010 = {r["code"]: r["name"] for r in read_csv(ref / "geography/geography_2010_all_levels.csv")
             if r["level"] == "kommune"}
    payload = json.loads((ref / "klass/recorded_api/classifications_131_codesAt__date-2023-03-02.json")
                         .read_text("utf-8"))
    k2023 = {c["code"]: c["name"] for c in kx.parse_codes(payload, "recorded 131 codesAt 2023-03-02")}
    k2024 = {r["kommune"]: r["kommune_name"] for r in read_csv(ref / "geography/kommuner_2024_with_fylke.csv")}

    def by_name(codes: dict[str, str]) -> dict[str, str]:
        counts: dict[str, int] = {}
        for name in codes.values():
            counts[name] = counts.get(name, 0) + 1
        return {name: code for code, name in codes.items() if counts[name] == 1}

    steps: list[tuple[str, str, int, str]] = []
    recorded: dict[str, list[str]] = {}
    for file_name, kind in (("kommune_merges_2016_2018.csv", "merge"), ("kommune_splits_2018_2020.csv", "split"),
                            ("kommune_track_change_2010_2015.csv", "merge")):
        for row in read_csv(ref / "geography/changes" / file_name):
            old, new, year = row["oldCode"].strip(), row["currentCode"].strip(), row["changeOccurred"].strip()
            if old and new and old != new:
                steps.append((old, new, int(year), kind))
                recorded.setdefault(new, []).append(old)
    names23 = by_name(k2023)
    # A merged code from the tables (0710, ...) takes the name of a predecessor that still names a 2023 kommune.
    pre_reform = {code: name for code, name in k2010.items() if code not in k2023}
    for new, olds in recorded.items():
        if new not in k2023 and new not in pre_reform:
            for old in sorted(olds):
                if k2010.get(old) in names23:
                    pre_reform[new] = k2010[old]
                    break
    merged_away = {old for olds in recorded.values() for old in olds}
    for code, name in sorted(pre_reform.items()):
        if code in merged_away or name not in names23:
            continue
        new = names23[name]
        steps.append((code, new, REFORM_YEAR_TRONDELAG if new.startswith("50") else 2020, "renumber"))
    names24 = by_name(k2024)

    def base(name: str) -> str:  # "Våler (Viken)", "Gratangen - Rivtták" -> "Våler", "Gratangen"
        return name.split(" (")[0].split(" - ")[0]

    for code, name in sorted(k2023.items()):
        if code not in k2024 and name in names24:
            steps.append((code, names24[name], 2024, "renumber"))
        elif code not in k2024:
            new_codes = [new for new in k2024 if new not in k2023 and base(k2024[new]) == base(name)]
            if len(new_codes) == 1:
                steps.append((code, new_codes[0], 2024, "renumber"))
    return steps


MIN_NAME_VOTES = 3


def kommune_steps_by_grunnkrets_names(steps: list[tuple[str, str, int, str]], k2010: dict[str, str],
                                      k2024: set[str], g2010: dict[str, str],
                                      g2024: dict[str, str]) -> list[tuple[str, str, int, str]]:
    """Merges the reference records nothing of (most of the 2020 reform: Røyken and Hurum into Asker, ...).

    A 2010 kommune with no step and no 2024 code, or a merged code with no onward step, goes to the 2024 kommune
    holding the most of its (its predecessors') grunnkrets names, if that kommune has at least MIN_NAME_VOTES of them and twice as many as the runner-up (Snillfjord,
    split in 2020, and Fosnes are ambiguous and left out). The step is dated 2018 for Trøndelag (the 16xx/17xx
    codes ended when Trøndelag was formed) and 2020 otherwise, and names the successor's code of that time (the
    2023 code where the 2024 fylke split renumbered it).
    """
    has_step = {old for old, _, _, _ in steps}
    code_2023 = {new: old for old, new, year, kind in steps if year == 2024 and kind == "renumber"}
    kommuner_by_name: dict[str, set[str]] = {}
    for code, name in g2024.items():
        kommuner_by_name.setdefault(name, set()).add(code[:4])
    # A merged code from the tables with no onward step (0729 Færder, 1903 Harstad) votes with its predecessors'
    # grunnkretser.
    members = {kommune: {kommune} for kommune in set(k2010) - has_step - k2024 - {"9999"}}
    for old, new, _, _ in steps:
        if new not in has_step and new not in k2024:
            members.setdefault(new, set()).add(old)
    derived = []
    for kommune in sorted(members):
        votes: dict[str, int] = {}
        for code, name in g2010.items():
            if code[:4] in members[kommune]:
                for candidate in kommuner_by_name.get(name, ()):
                    votes[candidate] = votes.get(candidate, 0) + 1
        ranked = sorted(votes.items(), key=lambda item: (-item[1], item[0])) + [("", 0)]
        (winner, top), (_, runner_up) = ranked[0], ranked[1]
        if top < MIN_NAME_VOTES or top < 2 * runner_up:
            LOG.info("kommune %s %s: no successor by grunnkrets names (votes %s)", kommune, k2010.get(kommune, ""),
                     ranked[:2])
            continue
        year = REFORM_YEAR_TRONDELAG if winner.startswith("50") else 2020
        # A merged code's later change is a renumbering (0729 -> 3811): its grunnkretser keep their last digits.
        kind = "merge" if kommune in k2010 else "renumber"
        derived.append((kommune, code_2023.get(winner, winner), year, kind))
    return derived


def grunnkrets_changes_history(ref: Path) -> list[tuple[str, str, str, str, str]]:
    """Grunnkrets code changes (old, new, year, kind, rule) from 2010 to 2024, for the crosswalk.

    Derivation rule: a renumbered kommune keeps the last four digits of its grunnkrets codes (KKKKgggg -> NNNNgggg,
    as SSB did in the 2018, 2020 and 2024 reforms: 02350104 Kløfta -> 30330104 -> 32090104). In a merge or split a
    2010 grunnkrets of the old kommune goes to the successor's grunnkrets with the same last four digits and the
    same 2024 name, else to the one with the same name (unique), else, as it cannot be placed in a grunnkrets, to
    the successor's unknown code NNNN9999 (in a split: to every successor's, and the crosswalk's split rule picks
    one). The real Ullensaker 2018 split rows (KLASS) are copied as they are.
    """
    g2010 = {r["code"]: r["name"] for r in read_csv(ref / "geography/geography_2010_all_levels.csv")
             if r["level"] == "grunnkrets" and r["kommune"] and len(r["code"]) == 8}
    g2024 = {r["code"]: r["name"] for r in read_csv(ref / "geography/geography_2024_all_levels.csv")
             if r["level"] == "grunnkrets" and r["kommune"] and len(r["code"]) == 8}
    steps = kommune_steps(ref)
    k2010 = {r["code"]: r["name"] for r in read_csv(ref / "geography/geography_2010_all_levels.csv")
             if r["level"] == "kommune"}
    k2024 = {r["kommune"] for r in read_csv(ref / "geography/kommuner_2024_with_fylke.csv")}
    steps += kommune_steps_by_grunnkrets_names(steps, k2010, k2024, g2010, g2024)
    renumbered = {old: new for old, new, _, kind in steps if kind == "renumber"}

    def current_kommune(code: str) -> str:
        while code in renumbered:
            code = renumbered[code]
        return code

    suffixes: dict[str, set[str]] = {}
    for code in g2024:
        suffixes.setdefault(code[:4], set()).add(code[4:])
    rows: set[tuple[str, str, str, str, str]] = set()
    # Newest change first, so that a kommune's codes are known when its predecessors are mapped to them.
    for old, new, year, kind in sorted(steps, key=lambda s: (-s[2], s[0], s[1])):
        if kind == "renumber":
            for suffix in suffixes.get(new, set()):
                rows.add((old + suffix, new + suffix, str(year), "renumber", "same_suffix"))
            suffixes.setdefault(old, set()).update(suffixes.get(new, set()))
            continue
        if (old, new) != min((s[0], s[1]) for s in steps if s[0] == old and s[2] == year):
            continue  # a split is handled once, for all its successors
        successors = sorted(s[1] for s in steps if s[0] == old and s[2] == year)
        candidates = {(succ, suffix): g2024.get(current_kommune(succ) + suffix, "")
                      for succ in successors for suffix in suffixes.get(succ, set())}
        by_name: dict[str, list[tuple[str, str]]] = {}
        for key, name in candidates.items():
            by_name.setdefault(name, []).append(key)
        for code in sorted(c for c in g2010 if c[:4] == old):
            suffix, name = code[4:], g2010[code]
            same = [k for k in by_name.get(name, []) if k[1] == suffix]
            named = by_name.get(name, [])
            if same or len(named) == 1:
                target = (same or named)[0]
                rows.add((code, target[0] + target[1], str(year), kind,
                          "same_suffix_and_name" if same else "same_name"))
            else:
                for succ in successors:
                    rows.add((code, succ + "9999", str(year), "split" if len(successors) > 1 else kind,
                              "unknown_in_kommune"))
            suffixes.setdefault(old, set()).add(suffix)
    for row in read_csv(ref / "geography/changes/grunnkrets_changes_2018_ullensaker_sample.csv"):
        rows.add((row["oldCode"], row["newCode"], row["changeOccurred"][:4], "split", "klass_change_record"))
    # A 2010 grunnkrets gone by 2024 inside a kommune that lives on (the yearly splits and merges the reference
    # does not record) goes to the unknown code of its kommune: at the kommune's first change, or, where the
    # kommune never changed, from 2011 (the year it went is not known; later rows go to KKKK9999 all the same).
    mapped = {row[0] for row in rows}
    left_out: dict[str, list[str]] = {}
    first_steps: dict[str, list[tuple[str, str, int, str]]] = {}
    for step in steps:
        earliest = first_steps.get(step[0], [step])[0][2]
        if step[2] < earliest:
            first_steps[step[0]] = [step]
        elif step[2] == earliest:
            first_steps.setdefault(step[0], []).append(step)
    for code in sorted(set(g2010) - set(g2024) - mapped):
        kommune = code[:4]
        if kommune in first_steps:
            kommune_steps_now = first_steps[kommune]
            for _, new, year, kind in kommune_steps_now:
                rows.add((code, new + "9999", str(year), "split" if len(kommune_steps_now) > 1 else kind,
                          "gone_by_2024"))
        elif kommune in k2024:
            rows.add((code, kommune + "9999", "2011", "merge", "gone_by_2024"))
        else:
            left_out.setdefault(kommune, []).append(code)
    for kommune, codes in sorted(left_out.items()):
        LOG.info("kommune %s has no known successor: its %d grunnkretser are left out", kommune, len(codes))
    return sorted(rows, key=lambda r: (r[2], r[0], r[1]))


def build(ref: Path, seeds_dir: Path) -> dict[str, int]:
    if not (ref / "README.md").exists():
        raise kx.KlassError(f"{ref} does not look like the reference folder (no README.md)")
    geo = read_csv(ref / "geography/geography_2024_all_levels.csv")
    gk = [r for r in geo if r["level"] == "grunnkrets" and r["kommune"] and len(r["code"]) == 8]
    source = "geography_2024_all_levels.csv"
    grunnkretser = code_rows("grunnkrets", [(r["code"], r["name"]) for r in gk], source)
    check("klass_grunnkretser.csv", len(grunnkretser))
    check("grunnkretser_unknown", sum(r[1].endswith("9999") for r in grunnkretser))

    kommuner = code_rows("kommune", [(r["kommune"], r["kommune_name"])
                                     for r in read_csv(ref / "geography/kommuner_2024_with_fylke.csv")],
                         "kommuner_2024_with_fylke.csv")
    check("klass_kommuner.csv", len(kommuner))
    fylker = code_rows("fylke", [(r["fylke"], r["fylke_name"]) for r in read_csv(ref / "geography/fylker_2024.csv")],
                       "fylker_2024.csv")
    check("klass_fylker.csv", len(fylker))
    bydeler = code_rows("bydel", [(r["bydel"], r["bydel_name"]) for r in read_csv(ref / "geography/bydeler_2024.csv")],
                        "bydeler_2024.csv")
    check("klass_bydeler.csv", len(bydeler))

    pairs = [(r["code"], r["bydel"]) for r in gk if r["bydel"]]
    kx.validate_codes("bydel", [b for _, b in pairs], source)
    kx.validate_one_parent(pairs, "grunnkrets", "bydel", source)
    unknown_bydel = sorted({b for _, b in pairs} - {r[1] for r in bydeler})
    if unknown_bydel:
        raise kx.KlassError(f"{source}: bydel codes not in bydeler_2024.csv: {unknown_bydel[:5]}")
    grunnkrets_bydel = [(str(YEAR), g, b) for g, b in pairs]
    check("klass_grunnkrets_bydel.csv", len(grunnkrets_bydel))

    # Changes: the recorded API response through the API parser; the Ullensaker sample has the API's columns.
    recorded = ref / "klass/recorded_api/classifications_104_changes__from-2019-01-01__to-2020-01-02.json"
    fylke = kx.parse_changes(json.loads(recorded.read_text("utf-8")), "fylke", recorded.name)
    fylke_csv = {(r["oldCode"], r["newCode"], r["changeOccurred"] + "-01-01")
                 for r in read_csv(ref / "geography/changes/fylke_changes_2019_2020.csv")}
    if {(r[1], r[3], r[5]) for r in fylke} != fylke_csv:
        raise kx.KlassError("the recorded fylke changes 2019 -> 2020 differ from fylke_changes_2019_2020.csv")
    ullensaker = ref / "geography/changes/grunnkrets_changes_2018_ullensaker_sample.csv"
    grunnkrets_changes = kx.parse_changes({"codeChanges": read_csv(ullensaker)}, "grunnkrets", ullensaker.name)
    kommune = kommune_changes(ref)
    changes = fylke + grunnkrets_changes + kommune
    print(f"klass_changes.csv: {len(changes)} (fylke {len(fylke)}, grunnkrets {len(grunnkrets_changes)}, "
          f"kommune {len(kommune)})")

    # Import the levekårssone tables like a user would (same function as `import-lks`), into a scratch folder;
    # then write every seed at once (atomic): a failure anywhere leaves the committed seeds unchanged.
    with tempfile.TemporaryDirectory() as scratch:
        lks25 = kx.import_lks(ref / LKS_2025, 2025, Path(scratch))
        lks26 = kx.import_lks(ref / LKS_2026, 2026, Path(scratch))
        lks_bytes = kx.seed_path(Path(scratch), "levekarssone_grunnkrets").read_bytes()
    check("lks_2025_rows", len(lks25))
    check("lks_2025_zones", len({r[1] for r in lks25}))
    check("lks_2025_recoded", sum(r[1] == "0301999999" for r in lks25))
    check("lks_2026_rows", len(lks26))
    check("lks_2026_zones", len({r[1] for r in lks26}))

    known = {r[1] for r in grunnkretser}
    outside = sorted({r[3] for r in lks25 + lks26} - known)
    if outside:
        raise kx.KlassError(f"levekårssone grunnkretser not in the 2024 grunnkretser: {outside[:5]}")
    seeds: dict[str, list[kx.Row]] = {
        "grunnkrets": grunnkretser, "kommune": kommuner, "fylke": fylker, "bydel": bydeler,
        "grunnkrets_bydel": grunnkrets_bydel, "changes": changes,
    }
    files = {
        kx.seed_path(seeds_dir, name): kx.csv_bytes(kx.SEED_FILES[name][1], kx.sort_seed_rows(name, rows))
        for name, rows in seeds.items()
    }
    files[kx.seed_path(seeds_dir, "levekarssone_grunnkrets")] = lks_bytes
    history = grunnkrets_changes_history(ref)
    check(GRUNNKRETS_HISTORY, len(history))
    files[seeds_dir / GRUNNKRETS_HISTORY] = kx.csv_bytes(
        ("old_code", "new_code", "change_year", "change_kind", "derivation"), history)
    kx.write_files_atomic(files)
    counts = {kx.SEED_FILES[n][0]: len(kx.read_seed(kx.seed_path(seeds_dir, n), kx.SEED_FILES[n][1]))
              for n in kx.SEED_FILES}
    for name, count in counts.items():
        print(f"wrote {name}: {count} rows")
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference_dir", nargs="?", type=Path, default=PROJECT_DIR.parent / "shared" / "reference",
                        help="the reference folder (default ../shared/reference)")
    parser.add_argument("--seeds-dir", type=Path, default=PROJECT_DIR / "seeds" / "klass")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    try:
        build(args.reference_dir, args.seeds_dir)
    except (kx.KlassError, OSError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
