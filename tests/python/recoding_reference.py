"""An independent, plain-Python implementation of the recoding rules (README, "Unbroken time series"), for tests.

Raw codes are those valid in their year; `Recoder` maps (year, code) to a grunnkrets of the 2024 seed geography
by walking the seed klass_grunnkrets_changes forward, with the split rule (the old code itself if among the new
codes, else the new code with the most residents in the change year, ties by lowest code; new codes in several
kommuner: the fylke's unknown code FF999999) and the kommune's unknown code KKKK9999 for a code that ends outside
the current geography.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict

from conftest import SEEDS_DIR


def read_seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / "klass" / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


class Recoder:
    def __init__(self, population_rows: list[dict], geography_year: int = 2025) -> None:
        self.current = {row["grunnkrets_code"] for row in read_seed("klass_grunnkretser")}
        self.changes: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
        for row in read_seed("klass_grunnkrets_changes"):
            if int(row["change_year"]) <= geography_year:
                self.changes[row["old_code"]][int(row["change_year"])].append(row["new_code"])
        self.persons: Counter[tuple[int, str]] = Counter()
        for row in population_rows:
            self.persons[(row["year"], row["grunnkrets"])] += row["persons"]
        self.cache: dict[tuple[int, str], str] = {}

    def choose(self, old: str, year: int, new_codes: list[str]) -> str:
        if old in new_codes:
            return old
        if len({code[:4] for code in new_codes}) > 1:
            return new_codes[0][:2] + "999999"
        return min(new_codes, key=lambda code: (-self.persons[(year, code)], code))

    def __call__(self, year: int, code: str) -> str:
        key = (year, code)
        if key not in self.cache:
            valid_from = year
            while True:
                later = [y for y in self.changes.get(code, {}) if y > valid_from]
                if not later:
                    break
                valid_from = min(later)
                code = self.choose(code, valid_from, self.changes[code][valid_from])
            unknown_in_fylke = code.endswith("999999")
            self.cache[key] = code if code in self.current or unknown_in_fylke else code[:4] + "9999"
        return self.cache[key]

    def recode_rows(self, rows: list[dict]) -> list[dict]:
        """The rows with `grunnkrets` replaced by the current code (the raw code kept as `raw_grunnkrets`)."""
        return [{**row, "raw_grunnkrets": row["grunnkrets"], "grunnkrets": self(row["year"], row["grunnkrets"])}
                for row in rows]
