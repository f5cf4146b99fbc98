#!/usr/bin/env python3
"""Generate synthetic raw grunnkrets facts (CONTRACT.md section 2) for the demo and the tests.

    python scripts/generate_demo_data.py                      # national, 2010-2024, into data/raw
    python scripts/generate_demo_data.py --small --out /tmp/raw   # ~790 grunnkretser, 2017-2024
    python scripts/generate_demo_data.py --kommuner 0301,1103 --format csv

The data are invented but shaped like Norway: the grunnkretser and levekårssoner of the KLASS seeds
(`seeds/klass/klass_grunnkretser.csv`, `seeds/klass/klass_levekarssone_grunnkrets.csv`), about 5.5 million
residents in the last year with a Norwegian age and sex structure, cohorts that age, die, are born and move,
and a socio-economic index per levekårssone (shared by its grunnkretser) that drives low income, education,
benefits, crowding, school results and mortality in the directions seen in real data.

Nothing here is real data about anyone. The same arguments and `--seed` give byte-identical files.
Every file is written under a temporary name and renamed into place when complete.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SEED = 20250101
MAX_AGE = 120
AGES = np.arange(MAX_AGE + 1)
N_AGES = MAX_AGE + 1

# --small: a city with bydeler and many zones (Stavanger), two multi-zone kommuner (Drammen, Molde) and three
# small single-zone kommuner (Sauda, Gjemnes, Flesberg): about 630 grunnkretser; plus, for the code history
# from 2017: Ullensaker (the real 2018 grunnkrets split, 0235 -> 3033 -> 3209), Holmestrand (the 2018 merge of
# 0702 and 0714, then 0715 + Sande 0713 -> 3802 -> 3903) and Hamarøy (part of the 2020 split of Tysfjord 1850);
# Stavanger (Finnøy, Rennesøy), Drammen and Molde bring their 2020 merges.
SMALL_KOMMUNER = ("1103", "3301", "1506", "1135", "1557", "3334", "3209", "3903", "1875")
SMALL_YEARS = (2017, 2024)
GRUNNKRETS_CHANGES = "klass_grunnkrets_changes.csv"
SENT_TO_UNKNOWN = ("unknown_in_kommune", "gone_by_2024")  # derivations of rows into KKKK9999
KEY_COLUMNS = ("year", "grunnkrets", "sex", "age", "grade", "subject", "benefit")

# CONTRACT.md section 2: sources, columns and types (in file order).
SCHEMAS: dict[str, pa.Schema] = {
    "population": pa.schema([
        ("year", pa.int32()), ("grunnkrets", pa.string()), ("sex", pa.string()), ("age", pa.int32()),
        ("persons", pa.int32()),
    ]),
    "deaths": pa.schema([
        ("year", pa.int32()), ("grunnkrets", pa.string()), ("sex", pa.string()), ("age", pa.int32()),
        ("deaths", pa.int32()),
    ]),
    "low_income": pa.schema([
        ("year", pa.int32()), ("grunnkrets", pa.string()), ("sex", pa.string()), ("age", pa.int32()),
        ("persons_in_households", pa.int32()), ("persons_low_income", pa.int32()),
    ]),
    "education": pa.schema([
        ("year", pa.int32()), ("grunnkrets", pa.string()), ("sex", pa.string()), ("age", pa.int32()),
        ("persons_known_education", pa.int32()), ("persons_basic_only", pa.int32()),
    ]),
    "benefits": pa.schema([
        ("year", pa.int32()), ("grunnkrets", pa.string()), ("sex", pa.string()), ("age", pa.int32()),
        ("benefit", pa.string()), ("persons", pa.int32()),
    ]),
    "crowded_housing": pa.schema([
        ("year", pa.int32()), ("grunnkrets", pa.string()),
        ("persons_in_households", pa.int32()), ("persons_crowded", pa.int32()),
    ]),
    "upper_secondary": pa.schema([
        ("year", pa.int32()), ("grunnkrets", pa.string()), ("sex", pa.string()),
        ("pupils_started", pa.int32()), ("pupils_completed", pa.int32()),
    ]),
    "national_tests": pa.schema([
        ("year", pa.int32()), ("grunnkrets", pa.string()), ("sex", pa.string()), ("grade", pa.int32()),
        ("subject", pa.string()), ("pupils_tested", pa.int32()), ("pupils_lowest_level", pa.int32()),
    ]),
}
# (numerator, denominator) pairs per source, and the count reported in the summary line.
RATIOS: dict[str, list[tuple[str, str]]] = {
    "population": [],
    "deaths": [],
    "low_income": [("persons_low_income", "persons_in_households")],
    "education": [("persons_basic_only", "persons_known_education")],
    "benefits": [],
    "crowded_housing": [("persons_crowded", "persons_in_households")],
    "upper_secondary": [("pupils_completed", "pupils_started")],
    "national_tests": [("pupils_lowest_level", "pupils_tested")],
}
MAIN_COUNT = {
    "population": "persons", "deaths": "deaths", "low_income": "persons_low_income",
    "education": "persons_basic_only", "benefits": "persons", "crowded_housing": "persons_crowded",
    "upper_secondary": "pupils_completed", "national_tests": "pupils_lowest_level",
}
SEX_CODES = ("1", "2")
BENEFITS = ("disability", "social_assistance", "unemployed")  # sorted: the key order in the files
BENEFIT_AGES = {"disability": (18, 67), "social_assistance": (18, 66), "unemployed": (16, 66)}
BENEFIT_AGE_LO, BENEFIT_AGE_HI = 16, 67
SUBJECTS = ("english", "numeracy", "reading")  # sorted
EDUCATION_MIN_AGE = 16

# National anchors (rounded real Norwegian figures).
NATIONAL_TOTAL = {2010: 4.858e6, 2015: 5.166e6, 2020: 5.368e6, 2024: 5.550e6}  # 1 January
NET_MIGRATION = {2010: 42e3, 2011: 47e3, 2012: 47e3, 2013: 40e3, 2014: 38e3, 2015: 29e3, 2016: 25e3,
                 2017: 18e3, 2018: 18e3, 2019: 25e3, 2020: 11e3, 2021: 18e3, 2022: 58e3, 2023: 50e3,
                 2024: 40e3}
TFR = {2009: 1.98, 2010: 1.95, 2012: 1.85, 2015: 1.72, 2018: 1.56, 2020: 1.48, 2021: 1.55, 2023: 1.40,
       2024: 1.44}
# Births by calendar year (thousands), a smooth sketch of Norway's history: the 1946 peak, the baby boom
# to 1970, the low 1980s, the 1990 and 2009 peaks and the fall after 2010.
BIRTHS_BY_YEAR = {1880: 64, 1900: 62, 1910: 61, 1920: 58, 1925: 47, 1930: 44, 1935: 43, 1940: 47,
                  1942: 52, 1946: 70, 1950: 63, 1955: 62, 1960: 62, 1965: 66, 1970: 65, 1975: 56, 1978: 52,
                  1983: 49, 1987: 55, 1990: 61, 1995: 60, 2000: 59, 2005: 57, 2009: 62, 2012: 61,
                  2016: 59, 2019: 55, 2021: 56, 2023: 51, 2040: 53}
LIFE_EXPECTANCY_LAST_YEAR = {0: 81.5, 1: 84.9}  # men, women: period life expectancy at birth in 2024
MORTALITY_TREND = 0.012  # yearly relative fall in mortality (about +0.12 years of life expectancy a year)
MALE_BIRTH_SHARE = 0.5135


class GeneratorError(Exception):
    """Bad input or arguments; printed as a message, not a stack trace."""


# --------------------------------------------------------------------------------------------------------------
# Geography
# --------------------------------------------------------------------------------------------------------------
@dataclass
class Geography:
    codes: np.ndarray  # (G,) str, sorted: the grunnkrets codes of the output
    kommune: np.ndarray  # (G,) str
    zone: np.ndarray  # (G,) str, levekårssone code or '' (unknown codes and grunnkretser outside any zone)
    unknown: np.ndarray  # (G,) bool: KKKK9999
    zones_in_kommune: np.ndarray  # (G,) int: number of zones of the grunnkrets's kommune
    year: int


def read_csv_rows(path: Path, required: Sequence[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise GeneratorError(f"seed file {path} not found (run the KLASS extraction, or pass --seeds-dir)")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in required if column not in (reader.fieldnames or [])]
        if missing:
            raise GeneratorError(f"{path.name}: missing column(s) {', '.join(missing)} (has {reader.fieldnames})")
        rows = list(reader)
    if not rows:
        raise GeneratorError(f"{path.name}: no rows")
    return rows


def load_geography(seeds_dir: Path) -> Geography:
    """Grunnkretser of the latest year of the seeds, with the zones of the latest zone table up to year + 1."""
    gk_rows = read_csv_rows(seeds_dir / "klass_grunnkretser.csv", ("year", "grunnkrets_code"))
    zone_rows = read_csv_rows(
        seeds_dir / "klass_levekarssone_grunnkrets.csv", ("year", "levekarssone_code", "grunnkrets_code")
    )
    try:
        gk_year = max(int(row["year"]) for row in gk_rows)
        zone_years = sorted({int(row["year"]) for row in zone_rows})
    except ValueError as error:
        raise GeneratorError(f"seed files: a non-integer year ({error})") from None
    codes = sorted({row["grunnkrets_code"] for row in gk_rows if int(row["year"]) == gk_year})
    bad = [code for code in codes if len(code) != 8 or not code.isdigit()]
    if bad:
        raise GeneratorError(f"klass_grunnkretser.csv: malformed grunnkrets codes, e.g. {bad[:5]}")
    usable = [year for year in zone_years if year <= gk_year + 1]
    zone_year = max(usable) if usable else zone_years[0]
    zone_of: dict[str, str] = {}
    for row in zone_rows:
        if int(row["year"]) == zone_year:
            zone_of[row["grunnkrets_code"]] = row["levekarssone_code"]
    code_array = np.array(codes)
    kommune = np.array([code[:4] for code in codes])
    unknown = np.array([code.endswith("9999") for code in codes])
    zone = np.array([zone_of.get(code, "") if not is_unknown else "" for code, is_unknown in zip(codes, unknown)])
    zones_per_kommune: dict[str, set[str]] = {}
    for k, z in zip(kommune, zone):
        zones_per_kommune.setdefault(k, set())
        if z:
            zones_per_kommune[k].add(z)
    zones_in_kommune = np.array([max(1, len(zones_per_kommune[k])) for k in kommune])
    return Geography(code_array, kommune, zone, unknown, zones_in_kommune, gk_year)


# --------------------------------------------------------------------------------------------------------------
# Grunnkrets parameters (drawn for the whole country, then subset, so --kommuner picks the same areas)
# --------------------------------------------------------------------------------------------------------------
@dataclass
class Areas:
    geo: Geography
    size: np.ndarray  # (G,) expected residents in 2024 (the real seeds sum to about 5.55 million)
    growth: np.ndarray  # (G,) relative yearly growth
    profile: np.ndarray  # (G, 2, A) log weight of each sex and age relative to the national structure
    ses: np.ndarray  # (G,) socio-economic index, higher = more deprived; population-weighted mean 0, sd 1
    urban: np.ndarray  # (G,) 0 rural .. 1 Oslo
    fertility: np.ndarray  # (G,) relative fertility


def bump(centre: float, width: float) -> np.ndarray:
    return np.exp(-(((AGES - centre) / width) ** 2))


def draw_areas(geo: Geography, rng: np.random.Generator) -> Areas:
    n = len(geo.codes)
    real = ~geo.unknown
    # Socio-economic index: kommune component + zone component (shared by the zone's grunnkretser) + a little
    # grunnkrets noise. Grunnkretser outside any zone get their own pseudo-zone.
    kommuner, kommune_idx = np.unique(geo.kommune, return_inverse=True)
    zone_key = np.where(geo.zone != "", geo.zone, np.char.add(geo.codes, "_gk"))
    zones, zone_idx = np.unique(zone_key, return_inverse=True)
    kommune_effect = rng.normal(0.0, 0.55, len(kommuner))
    zone_effect = rng.normal(0.0, 0.85, len(zones))
    gk_noise = rng.normal(0.0, 0.25, n)
    ses = kommune_effect[kommune_idx] + zone_effect[zone_idx] + gk_noise
    ses = np.where(geo.unknown, kommune_effect[kommune_idx], ses)
    urban = np.clip(np.log(geo.zones_in_kommune) / np.log(300.0), 0.0, 1.0)
    ses = ses + 0.3 * urban * rng.normal(0.0, 1.0, n)  # cities are more unequal

    # Sizes: a levekårssone has a few thousand residents (they are designed that way), split over its
    # grunnkretser with skewed weights; 1.5 % of grunnkretser are empty (industry, forest, new codes).
    zone_people = 2570.0 * rng.lognormal(-0.06, 0.35, len(zones))
    weights = rng.lognormal(0.0, 1.0, n)
    weights[rng.random(n) < 0.015] = 0.0
    zone_weight_sum = np.bincount(zone_idx, weights=weights, minlength=len(zones))
    in_zone = geo.zone != ""
    size = np.where(
        in_zone,
        zone_people[zone_idx] * weights / np.maximum(zone_weight_sum[zone_idx], 1e-9),
        240.0 * weights,
    )
    # Unknown grunnkrets KKKK9999: about 0.2 % of residents, in about 50 of 357 kommuner (weighted to big ones).
    unknown_idx = np.flatnonzero(geo.unknown)
    size[unknown_idx] = 0.0
    if len(unknown_idx):
        kommune_people = np.bincount(kommune_idx, weights=size, minlength=len(kommuner))
        p = np.sqrt(kommune_people[kommune_idx[unknown_idx]]) + 1.0
        n_pick = min(len(unknown_idx), 50)
        picked = rng.choice(unknown_idx, size=n_pick, replace=False, p=p / p.sum())
        per_code = max(0.002 * size[real].sum() / n_pick, 150.0)
        size[picked] = per_code * rng.lognormal(-0.125, 0.5, n_pick)
    # Sizes are on the scale of Norway in 2024 (the real seeds give about 5.55 million); a partial or
    # synthetic seed set is a correspondingly smaller country.

    # Growth: cities and new neighbourhoods grow, rural areas shrink a little.
    growth = 0.012 * urban - 0.004 + rng.normal(0.0, 0.008, n)
    booming = rng.random(n) < 0.04
    growth[booming] += rng.uniform(0.02, 0.06, booming.sum())

    # Age profiles: family suburbs, student areas, elderly areas, with more students in cities, more
    # families in affluent areas and older people in the countryside.
    c_family = rng.normal(0.0, 0.35, n) - 0.15 * ses - 0.25 * urban
    is_student = rng.random(n) < 0.03 + 0.07 * urban
    c_student = np.where(is_student, rng.normal(1.4, 0.4, n), rng.normal(0.0, 0.25, n)) + 0.2 * urban
    is_elderly = rng.random(n) < 0.07
    c_old = np.where(is_elderly, rng.normal(0.9, 0.3, n), rng.normal(0.0, 0.25, n)) + 0.25 * (1 - urban)
    f_family = bump(8, 6) + 0.8 * bump(40, 8) - 0.4 * bump(23, 4)
    f_student = bump(23, 3.5) + 0.4 * bump(29, 4)
    f_old = 1.0 / (1.0 + np.exp(-(AGES - 72.0) / 5.0))
    profile_age = c_family[:, None] * f_family + c_student[:, None] * f_student + c_old[:, None] * f_old
    profile = np.repeat(profile_age[:, None, :], 2, axis=1)
    profile[geo.unknown] = 0.6 * f_student  # people without an address: mostly young adults
    fertility = np.exp(0.12 * ses + 0.3 * c_family - 0.3 * c_student)
    fertility /= np.average(fertility, weights=size + 1e-9)

    # Standardise the index with population weights.
    mean = np.average(ses, weights=size + 1e-9)
    sd = np.sqrt(np.average((ses - mean) ** 2, weights=size + 1e-9))
    ses = (ses - mean) / sd
    return Areas(geo, size, growth, profile, ses, urban, fertility)


def subset_areas(areas: Areas, keep: np.ndarray) -> Areas:
    geo = areas.geo
    sub_geo = Geography(geo.codes[keep], geo.kommune[keep], geo.zone[keep], geo.unknown[keep],
                        geo.zones_in_kommune[keep], geo.year)
    return Areas(sub_geo, areas.size[keep], areas.growth[keep], areas.profile[keep], areas.ses[keep],
                 areas.urban[keep], areas.fertility[keep])


# --------------------------------------------------------------------------------------------------------------
# Demography
# --------------------------------------------------------------------------------------------------------------
def interp_years(table: dict[int, float], year: float) -> float:
    keys = sorted(table)
    return float(np.interp(year, keys, [table[k] for k in keys]))


def base_hazard(sex: int, scale: float) -> np.ndarray:
    """Yearly hazard by age at z=0: infant, child, accident hump, Gompertz senescence with a plateau."""
    if sex == 0:
        infant, hump, slope = 0.0021, 0.00045, 0.106
    else:
        infant, hump, slope = 0.0017, 0.00015, 0.118
    gompertz = scale * np.exp(slope * (AGES - 60.0) + 0.035 * np.maximum(AGES - 85.0, 0.0))
    hazard = 0.00008 + hump * bump(22, 7) + gompertz / (1.0 + gompertz / 4.0)
    hazard[0] += infant
    hazard[1:5] += 0.0001
    return hazard


def life_expectancy(q: np.ndarray) -> float:
    survivors = np.concatenate([[1.0], np.cumprod(1.0 - q)])
    return float(((survivors[:-1] + survivors[1:]) / 2.0).sum())


SES_GRID = np.linspace(-3.0, 3.0, 61)
SES_GRID_WEIGHTS = np.exp(-SES_GRID**2 / 2) / np.exp(-SES_GRID**2 / 2).sum()
MORTALITY_SES = 0.2  # log hazard ratio per unit of the index: about 7-8 years between extreme zones


def calibrate_mortality() -> dict[int, np.ndarray]:
    """Base hazard (z=0, last year 2024) per sex so national life expectancy matches the target."""
    result = {}
    for sex in (0, 1):
        low, high = 1e-4, 0.1
        for _ in range(60):
            scale = np.sqrt(low * high)
            hazard = base_hazard(sex, scale)
            q = (1.0 - np.exp(-hazard[None, :] * np.exp(MORTALITY_SES * SES_GRID[:, None])))
            q_national = (q * SES_GRID_WEIGHTS[:, None]).sum(axis=0)
            if life_expectancy(q_national) > LIFE_EXPECTANCY_LAST_YEAR[sex]:
                low = scale
            else:
                high = scale
        result[sex] = base_hazard(sex, np.sqrt(low * high))
    return result


def death_probability(base: dict[int, np.ndarray], year: int, ses: np.ndarray, cells: "Cells") -> np.ndarray:
    """Probability that a resident on 1 January dies during the year, per cell."""
    trend = np.exp(-MORTALITY_TREND * (year - 2024))
    hazard = np.stack([base[0], base[1]])[cells.sex, cells.age] * trend * np.exp(MORTALITY_SES * ses[cells.gk])
    return -np.expm1(-hazard)


def fertility_by_age(year: int) -> np.ndarray:
    mean_age = 30.0 + 0.08 * (year - 2010)
    shape = np.exp(-(((AGES - mean_age) / 5.8) ** 2))
    shape[(AGES < 15) | (AGES > 49)] = 0.0
    return 1.07 * interp_years(TFR, year) * shape / shape.sum()  # 1.07: the real TFR with our age structure


def national_structure(first_year: int, base: dict[int, np.ndarray]) -> np.ndarray:
    """(2, A) residents on 1 January of first_year: cohorts born, surviving and joined by immigrants."""
    birth_years = first_year - 1 - AGES
    births = np.interp(birth_years, sorted(BIRTHS_BY_YEAR), [BIRTHS_BY_YEAR[k] for k in sorted(BIRTHS_BY_YEAR)])
    structure = np.zeros((2, N_AGES))
    for sex in (0, 1):
        # Survival with the mortality of some decades earlier (the old lived through harder times).
        q = -np.expm1(-base[sex] * np.exp(-MORTALITY_TREND * (first_year - 2024 - AGES / 6.0)))
        survival = np.concatenate([[1.0], np.cumprod(1.0 - q)[:-1]])
        share = MALE_BIRTH_SHARE if sex == 0 else 1.0 - MALE_BIRTH_SHARE
        immigration = 1.0 + (0.12 + 0.01 * (first_year - 2010)) * bump(34, 13) + 0.04 * bump(8, 6)
        structure[sex] = births * share * survival * immigration
    return structure * interp_years(NATIONAL_TOTAL, first_year) / structure.sum()


def migration_age_profile() -> np.ndarray:
    """(2, A) distribution of national net immigration by sex and age."""
    profile = 0.8 * bump(28, 8) + 0.2 * bump(6, 6) + 0.05 * bump(50, 12)
    profile = np.stack([0.54 * profile, 0.46 * profile])
    return profile / profile.sum()


MOBILITY = np.interp(AGES, [0, 1, 17, 19, 25, 34, 40, 50, 66, 75, 85, 120],
                     [0.12, 0.10, 0.08, 0.25, 0.35, 0.25, 0.12, 0.06, 0.05, 0.05, 0.08, 0.08])


def stochastic_round(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    values = np.maximum(values, 0.0)
    floor = np.floor(values)
    return (floor + (rng.random(values.shape) < values - floor)).astype(np.int64)


def shares(areas: Areas, year: int) -> np.ndarray:
    """(G, 2, A) each area's expected share of the country's (or the subset's) residents of a sex and age."""
    weight = (areas.size * np.exp(areas.growth * (year - 2024)))[:, None, None] * np.exp(areas.profile)
    return weight / np.maximum(weight.sum(axis=0, keepdims=True), 1e-12)


def initial_population(areas: Areas, country: Areas, first_year: int, base: dict[int, np.ndarray],
                       rng: np.random.Generator) -> np.ndarray:
    """Residents on 1 January of first_year: the national structure split by each area's share of Norway."""
    # The country of the seeds relative to Norway (1 for the real seeds).
    national = national_structure(first_year, base) * country.size.sum() / NATIONAL_TOTAL[2024]

    def weight(a: Areas) -> np.ndarray:
        return (a.size * np.exp(a.growth * (first_year - 2024)))[:, None, None] * np.exp(a.profile)

    expected = national[None] * weight(areas) / np.maximum(weight(country).sum(axis=0), 1e-12)[None]
    return rng.poisson(expected).astype(np.int64)


# --------------------------------------------------------------------------------------------------------------
# Outcomes
# --------------------------------------------------------------------------------------------------------------
def expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def logit(p: np.ndarray | float) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.log(p / (1.0 - p))


def age_curve(knots: Sequence[tuple[int, float]]) -> np.ndarray:
    x, y = zip(*knots)
    return np.interp(AGES, x, y)


def rate(logit_base: np.ndarray, cells: "Cells", ses: np.ndarray, beta: float, shift: float = 0.0) -> np.ndarray:
    """Probability per cell: the (2, A) logit base of index 0 moved by beta * index + shift."""
    return expit(logit_base[cells.sex, cells.age] + beta * ses[cells.gk] + shift)


def sex_age_table(curve: np.ndarray) -> np.ndarray:
    """(2, A) logit table from one age curve (both sexes) or a (2, A) pair."""
    return logit(np.broadcast_to(curve, (2, N_AGES)).copy())


HOUSEHOLD = sex_age_table(age_curve([(0, 0.98), (66, 0.98), (75, 0.965), (80, 0.94), (85, 0.87), (90, 0.74),
                                     (95, 0.6), (120, 0.5)]))
LOW_INCOME = sex_age_table(age_curve([(0, 0.125), (5, 0.13), (17, 0.11), (18, 0.2), (21, 0.27), (24, 0.22),
                                      (30, 0.12), (40, 0.085), (55, 0.065), (66, 0.06), (67, 0.055), (79, 0.065),
                                      (85, 0.12), (120, 0.16)]))
CROWDED = sex_age_table(age_curve([(0, 0.10), (17, 0.09), (20, 0.13), (29, 0.13), (35, 0.08), (45, 0.045),
                                   (66, 0.03), (75, 0.015), (120, 0.01)]))
KNOWN_EDUCATION = sex_age_table(age_curve([(16, 0.995), (19, 0.985), (25, 0.955), (40, 0.955), (55, 0.975),
                                           (67, 0.985), (120, 0.99)]))
BASIC_ONLY = sex_age_table(np.stack([
    age_curve([(16, 0.995), (17, 0.985), (18, 0.93), (19, 0.55), (20, 0.38), (22, 0.3), (25, 0.24),
               (35, 0.21), (45, 0.21), (60, 0.22), (70, 0.2), (80, 0.26), (90, 0.33), (120, 0.35)]),
    age_curve([(16, 0.995), (17, 0.98), (18, 0.9), (19, 0.45), (20, 0.3), (22, 0.22), (25, 0.17),
               (35, 0.15), (45, 0.16), (60, 0.22), (70, 0.3), (80, 0.45), (90, 0.55), (120, 0.6)]),
]))
BENEFIT_RATES = {
    "disability": sex_age_table(np.stack([
        age_curve([(18, 0.008), (25, 0.022), (35, 0.035), (45, 0.065), (55, 0.13), (62, 0.2), (67, 0.23)]),
        age_curve([(18, 0.008), (25, 0.024), (35, 0.045), (45, 0.095), (55, 0.18), (62, 0.27), (67, 0.3)]),
    ])),
    "social_assistance": sex_age_table(age_curve([(18, 0.045), (22, 0.06), (30, 0.042), (45, 0.028),
                                                  (60, 0.016), (66, 0.012)])),
    "unemployed": sex_age_table(age_curve([(16, 0.004), (19, 0.018), (24, 0.032), (30, 0.028), (45, 0.018),
                                           (60, 0.014), (66, 0.01)])),
}
BENEFIT_SES = {"disability": 0.45, "social_assistance": 0.75, "unemployed": 0.45}
COMPLETION = logit(np.array([0.76, 0.855]))  # boys, girls at index 0 in the last year
# Lowest mastery level: grade 5 has three levels, grade 8 five, so the lowest is rarer in grade 8.
LOWEST_LEVEL = {  # (grade, subject) -> logit of (boys, girls) at index 0
    (5, "english"): logit([0.2, 0.22]), (5, "numeracy"): logit([0.19, 0.22]), (5, "reading"): logit([0.24, 0.19]),
    (8, "english"): logit([0.09, 0.1]), (8, "numeracy"): logit([0.09, 0.1]), (8, "reading"): logit([0.12, 0.08]),
}
TEST_AGE = {5: 9, 8: 12}  # age on 1 January of the autumn the grade is tested


@dataclass
class Cells:
    """The non-empty (grunnkrets, sex, age) cells of a year, in key order, with their residents."""
    gk: np.ndarray
    sex: np.ndarray
    age: np.ndarray
    persons: np.ndarray

    @classmethod
    def from_dense(cls, pop: np.ndarray) -> "Cells":
        flat = np.flatnonzero(pop)
        gk, rest = np.divmod(flat, 2 * N_AGES)
        sex, age = np.divmod(rest, N_AGES)
        return cls(gk, sex, age, pop.reshape(-1)[flat])


@dataclass
class Rows:
    """Rows of one source and year in key order: key columns as indexes, and counts."""
    keys: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]

    def where(self, mask: np.ndarray) -> "Rows":
        return Rows({k: v[mask] for k, v in self.keys.items()}, {k: v[mask] for k, v in self.counts.items()})


def cell_rows(cells: Cells, mask: np.ndarray | None, counts: dict[str, np.ndarray]) -> Rows:
    keys = {"gk": cells.gk, "sex": cells.sex, "age": cells.age}
    if mask is not None:
        keys = {k: v[mask] for k, v in keys.items()}
    rows = Rows(keys, counts)
    nonzero = np.zeros(len(rows.keys["gk"]), dtype=bool)
    for values in counts.values():
        nonzero |= values != 0
    return rows.where(nonzero)


def interleave(parts: list[tuple[np.ndarray, Rows]], key: str, n_values: int) -> Rows:
    """Merge per-value row sets (each in cell order) into cell order, then by the value of `key`."""
    order_key = np.concatenate([position * n_values + value for value, (position, _) in enumerate(parts)])
    order = np.argsort(order_key, kind="stable")
    keys = {k: np.concatenate([rows.keys[k] for _, rows in parts])[order] for k in parts[0][1].keys}
    keys[key] = np.concatenate([np.full(len(position), value) for value, (position, _) in enumerate(parts)])[order]
    counts = {k: np.concatenate([rows.counts[k] for _, rows in parts])[order] for k in parts[0][1].counts}
    return Rows(keys, counts)


def outcomes(year: int, cells: Cells, deaths: np.ndarray, areas: Areas, rng: np.random.Generator) -> dict[str, Rows]:
    """Every source's rows for one year from the residents on 1 January and the deaths of the year."""
    ses = areas.ses
    t = year - 2024
    pop = cells.persons
    out = {
        "population": cell_rows(cells, None, {"persons": pop}),
        "deaths": cell_rows(cells, None, {"deaths": deaths}),
    }
    in_households = rng.binomial(pop, rate(HOUSEHOLD, cells, ses, 0.1))
    low_income = rng.binomial(in_households, rate(LOW_INCOME, cells, ses, 0.55, 0.015 * t))
    out["low_income"] = cell_rows(cells, None, {"persons_in_households": in_households,
                                               "persons_low_income": low_income})

    crowded_p = rate(CROWDED, cells, ses, 0.5, 0.01 * t)
    crowded_p = expit(logit(crowded_p) + (1.1 * areas.urban - 0.6)[cells.gk])
    crowded = rng.binomial(in_households, crowded_p)
    n_areas = len(ses)
    households_gk = np.bincount(cells.gk, weights=in_households, minlength=n_areas).astype(np.int64)
    crowded_gk = np.bincount(cells.gk, weights=crowded, minlength=n_areas).astype(np.int64)
    has = households_gk > 0
    out["crowded_housing"] = Rows({"gk": np.flatnonzero(has)},
                                  {"persons_in_households": households_gk[has], "persons_crowded": crowded_gk[has]})

    adult = cells.age >= EDUCATION_MIN_AGE
    adults = Cells(cells.gk[adult], cells.sex[adult], cells.age[adult], pop[adult])
    known = rng.binomial(adults.persons, rate(KNOWN_EDUCATION, adults, ses, -0.35))
    basic = rng.binomial(known, rate(BASIC_ONLY, adults, ses, 0.5, -0.012 * t))
    out["education"] = cell_rows(cells, adult, {"persons_known_education": known, "persons_basic_only": basic})

    parts = []
    for name in BENEFITS:
        a_lo, a_hi = BENEFIT_AGES[name]
        position = np.flatnonzero((cells.age >= a_lo) & (cells.age <= a_hi))
        sub = Cells(cells.gk[position], cells.sex[position], cells.age[position], pop[position])
        shift = {"disability": 0.004 * t, "social_assistance": 0.0,
                 "unemployed": 0.25 * np.sin((year - 2010) / 3.0)}[name]
        recipients = rng.binomial(sub.persons, rate(BENEFIT_RATES[name], sub, ses, BENEFIT_SES[name], shift))
        paid = recipients > 0
        parts.append((position[paid], Rows({"gk": sub.gk[paid], "sex": sub.sex[paid], "age": sub.age[paid]},
                                           {"persons": recipients[paid]})))
    out["benefits"] = interleave(parts, "benefit", len(BENEFITS))

    # Upper secondary: the cohort starting in `year` are residents aged 15 on 1 January (turning 16).
    cohort = np.flatnonzero(cells.age == 15)
    started = rng.binomial(pop[cohort], 0.96)
    p_complete = expit(COMPLETION[cells.sex[cohort]] - 0.5 * ses[cells.gk[cohort]] + 0.04 * t)
    completed = rng.binomial(started, p_complete)
    keep = started > 0
    out["upper_secondary"] = Rows({"gk": cells.gk[cohort][keep], "sex": cells.sex[cohort][keep]},
                                  {"pupils_started": started[keep], "pupils_completed": completed[keep]})

    # National tests in the school year starting in `year`; cells aged 9 sort before those aged 12 within a
    # grunnkrets and sex, so grade 5 comes before grade 8.
    pupils = np.flatnonzero((cells.age == TEST_AGE[5]) | (cells.age == TEST_AGE[8]))
    grade = np.where(cells.age[pupils] == TEST_AGE[5], 5, 8)
    parts = []
    for subject in SUBJECTS:
        tested = rng.binomial(pop[pupils], 0.95)
        base = np.where(grade == 5, LOWEST_LEVEL[(5, subject)][cells.sex[pupils]],
                        LOWEST_LEVEL[(8, subject)][cells.sex[pupils]])
        lowest = rng.binomial(tested, expit(base + 0.45 * ses[cells.gk[pupils]] + 0.01 * t))
        keep = tested > 0
        parts.append((pupils[keep], Rows({"gk": cells.gk[pupils][keep], "sex": cells.sex[pupils][keep],
                                          "grade": grade[keep]},
                                         {"pupils_tested": tested[keep], "pupils_lowest_level": lowest[keep]})))
    out["national_tests"] = interleave(parts, "subject", len(SUBJECTS))
    return out


def simulate(areas: Areas, country: Areas, first_year: int, last_year: int,
             rng: np.random.Generator) -> Iterator[tuple[int, dict[str, Rows]]]:
    """Yearly rows for `areas` (a subset of `country`, or all of it) from first_year to last_year."""
    base = calibrate_mortality()
    pop = initial_population(areas, country, first_year, base, rng)
    size_fraction = areas.size.sum() / NATIONAL_TOTAL[2024]
    migration_profile = migration_age_profile()
    for year in range(first_year, last_year + 1):
        cells = Cells.from_dense(pop)
        deaths = rng.binomial(cells.persons, death_probability(base, year, areas.ses, cells))
        yield year, outcomes(year, cells, deaths, areas, rng)
        if year == last_year:
            break
        # Births during the year (survivors to 1 January of the next year).
        women = pop[:, 1, :]
        expected_births = (women * fertility_by_age(year)[None, :]).sum(axis=1) * areas.fertility
        births = rng.poisson(expected_births)
        boys = rng.binomial(births, MALE_BIRTH_SHARE)
        survivors = pop.copy()
        survivors.reshape(-1)[(cells.gk * 2 + cells.sex) * N_AGES + cells.age] -= deaths
        aged = np.zeros_like(pop)
        aged[:, :, 1:] = survivors[:, :, :-1]
        aged[:, :, MAX_AGE] += survivors[:, :, MAX_AGE]
        aged[:, 0, 0] = rng.binomial(boys, 0.998)
        aged[:, 1, 0] = rng.binomial(births - boys, 0.998)
        # Moves: each age pulls towards the area's share of its cohort at its own speed, and the country's
        # net immigration settles in proportion to those shares; plus noise.
        share = shares(areas, year + 1)
        total = aged.sum(axis=0, keepdims=True)
        # 1.08: calibrated so the country reaches about 5.55 million in 2024 with this model's deaths.
        net_immigration = 1.08 * interp_years(NET_MIGRATION, year) * size_fraction * migration_profile[None]
        expected = aged + MOBILITY * (share * total - aged) + share * net_immigration
        # Noise only where people live (zero-mean noise on empty cells would create people when clipped).
        noise = rng.normal(0.0, 1.0, pop.shape) * np.sqrt(0.03 * aged)
        pop = stochastic_round(expected + noise, rng)


# --------------------------------------------------------------------------------------------------------------
# Code history: old years use the codes valid then
# --------------------------------------------------------------------------------------------------------------
def codes_valid_in(seeds_dir: Path, codes: Sequence[str], years: Sequence[int]) -> dict[int, list[str]]:
    """For each year, the code each current grunnkrets had then, walking the seed klass_grunnkrets_changes back.

    A code that a change created in year Y was, before Y, the change's old code (of several, one from a real
    record or a same-suffix derivation before one sent to an unknown code, then the lowest). Split parts share
    their old code, so a year can give several current codes one old code (the writer sums them).
    """
    path = seeds_dir / GRUNNKRETS_CHANGES
    if not path.is_file():
        return {year: list(codes) for year in years}
    created: dict[str, list[tuple[int, bool, str]]] = {}
    for row in read_csv_rows(path, ("old_code", "new_code", "change_year", "derivation")):
        created.setdefault(row["new_code"], []).append(
            (int(row["change_year"]), row["derivation"] in SENT_TO_UNKNOWN, row["old_code"]))

    def back(code: str, year: int) -> str:
        bound = 10_000
        while True:
            candidates = [c for c in created.get(code, []) if year < c[0] < bound]
            if not candidates:
                return code
            latest = max(c[0] for c in candidates)
            _, _, code = min(c for c in candidates if c[0] == latest)
            bound = latest

    return {year: [back(code, year) for code in codes] for year in years}


def sum_duplicate_keys(table: pa.Table) -> pa.Table:
    """Rows of split parts written under their common old code: one row per key, counts summed."""
    keys = [name for name in table.column_names if name in KEY_COLUMNS]
    counts = [name for name in table.column_names if name not in KEY_COLUMNS]
    grouped = table.group_by(keys, use_threads=False).aggregate([(name, "sum") for name in counts])
    grouped = grouped.rename_columns([name.removesuffix("_sum") for name in grouped.column_names])
    return grouped.select(table.column_names).cast(table.schema)


# --------------------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------------------
SEX_ARRAY = pa.array(SEX_CODES)
BENEFIT_ARRAY = pa.array(BENEFITS)
SUBJECT_ARRAY = pa.array(SUBJECTS)


def to_table(source: str, year: int, rows: Rows, codes: pa.Array) -> pa.Table:
    n = len(rows.keys["gk"])
    columns: dict[str, pa.Array] = {
        "year": pa.array(np.full(n, year, dtype=np.int32)),
        "grunnkrets": codes.take(pa.array(rows.keys["gk"].astype(np.int32))),
    }
    if "sex" in rows.keys:
        columns["sex"] = SEX_ARRAY.take(pa.array(rows.keys["sex"].astype(np.int8)))
    if "age" in rows.keys:
        columns["age"] = pa.array(rows.keys["age"].astype(np.int32))
    if "benefit" in rows.keys:
        columns["benefit"] = BENEFIT_ARRAY.take(pa.array(rows.keys["benefit"].astype(np.int8)))
    if "grade" in rows.keys:
        columns["grade"] = pa.array(rows.keys["grade"].astype(np.int32))
    if "subject" in rows.keys:
        columns["subject"] = SUBJECT_ARRAY.take(pa.array(rows.keys["subject"].astype(np.int8)))
    for name, values in rows.counts.items():
        columns[name] = pa.array(values.astype(np.int32))
    schema = SCHEMAS[source]
    return pa.Table.from_arrays([columns[field.name] for field in schema], schema=schema)


def check_rows(source: str, rows: Rows) -> None:
    """Cheap guards on the invariants the pipeline enforces; a failure here is a bug in this script."""
    for name, values in rows.counts.items():
        if len(values) and values.min() < 0:
            raise AssertionError(f"{source}: negative {name}")
    for numerator, denominator in RATIOS[source]:
        if np.any(rows.counts[numerator] > rows.counts[denominator]):
            raise AssertionError(f"{source}: {numerator} above {denominator}")


class SourceWriter:
    """Streams yearly row batches of one source to a temporary file; `commit` renames it into place."""

    def __init__(self, source: str, out_dir: Path, fmt: str) -> None:
        self.source = source
        self.schema = SCHEMAS[source]
        self.final = out_dir / f"{source}.{fmt}"
        self.temp = out_dir / f".{source}.{fmt}.tmp-{os.getpid()}"
        self.fmt = fmt
        self.rows = 0
        self.last_year_totals: dict[str, int] = {}
        if fmt == "parquet":
            self.writer: pq.ParquetWriter | pa_csv.CSVWriter = pq.ParquetWriter(
                self.temp, self.schema, compression="zstd", store_schema=False)
        else:
            self.writer = pa_csv.CSVWriter(self.temp, self.schema)

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table)
        self.rows += table.num_rows
        self.last_year_totals = {
            name: int(np.asarray(table[name]).sum()) for name in table.column_names
            if name not in KEY_COLUMNS
        }

    def commit(self) -> None:
        self.writer.close()
        os.replace(self.temp, self.final)

    def abort(self) -> None:
        try:
            self.writer.close()
        finally:
            self.temp.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "data" / "raw",
                        help="output directory (default: data/raw)")
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--seeds-dir", type=Path, default=PROJECT_DIR / "seeds" / "klass",
                        help="directory with klass_grunnkretser.csv and klass_levekarssone_grunnkrets.csv")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--first-year", type=int, help="first year (default 2010, or 2017 with --small)")
    parser.add_argument("--last-year", type=int, help="last year (default 2024)")
    parser.add_argument("--small", action="store_true",
                        help=f"a fast subset: kommuner {','.join(SMALL_KOMMUNER)}, years 2017-2024 unless given")
    parser.add_argument("--kommuner", help="comma-separated 4-digit kommune codes to generate (default all)")
    parser.add_argument("--quiet", action="store_true", help="no summary lines")
    args = parser.parse_args(argv)
    if args.small and args.kommuner:
        parser.error("--small and --kommuner are alternatives; use one")
    default_first = SMALL_YEARS[0] if args.small else 2010
    args.first_year = default_first if args.first_year is None else args.first_year
    args.last_year = 2024 if args.last_year is None else args.last_year
    if not 1900 <= args.first_year <= args.last_year <= 2100:
        parser.error(f"need 1900 <= --first-year <= --last-year <= 2100 (got {args.first_year}, {args.last_year})")
    if args.kommuner is not None:
        args.kommuner = tuple(code.strip() for code in args.kommuner.split(",") if code.strip())
        bad = [code for code in args.kommuner if len(code) != 4 or not code.isdigit()]
        if bad or not args.kommuner:
            parser.error(f"--kommuner takes 4-digit codes separated by commas (bad: {bad or args.kommuner!r})")
    elif args.small:
        args.kommuner = SMALL_KOMMUNER
    return args


def generate(args: argparse.Namespace, log: Callable[[str], None] = print) -> dict[str, SourceWriter]:
    started = time.perf_counter()
    geo = load_geography(args.seeds_dir)
    rng = np.random.default_rng(args.seed)
    country = areas = draw_areas(geo, rng)
    if args.kommuner:
        keep = np.isin(geo.kommune, np.array(args.kommuner))
        missing = sorted(set(args.kommuner) - set(geo.kommune[keep]))
        if missing:
            raise GeneratorError(f"kommuner not in the {geo.year} grunnkretser of the seeds: {', '.join(missing)}")
        areas = subset_areas(areas, keep)
    history = codes_valid_in(args.seeds_dir, areas.geo.codes.tolist(), range(args.first_year, args.last_year + 1))
    codes = {year: pa.array(valid, type=pa.string()) for year, valid in history.items()}
    shared_codes = {year for year, valid in history.items() if len(set(valid)) < len(valid)}
    args.out.mkdir(parents=True, exist_ok=True)
    writers: dict[str, SourceWriter] = {}
    try:
        for source in SCHEMAS:
            writers[source] = SourceWriter(source, args.out, args.format)
        # Files are compressed and written in a background thread (in submission order) while the next year
        # is simulated; at most two years wait in the queue, to bound memory.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending: list[list[Future[None]]] = []
            for year, sources in simulate(areas, country, args.first_year, args.last_year, rng):
                batch = []
                for source, rows in sources.items():
                    check_rows(source, rows)
                    table = to_table(source, year, rows, codes[year])
                    if year in shared_codes:
                        table = sum_duplicate_keys(table)
                    batch.append(pool.submit(writers[source].write, table))
                pending.append(batch)
                while len(pending) > 2:
                    for future in pending.pop(0):
                        future.result()
            for batch in pending:
                for future in batch:
                    future.result()
        for writer in writers.values():
            writer.commit()
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise
    elapsed = time.perf_counter() - started
    for source, writer in writers.items():
        totals = writer.last_year_totals
        main = MAIN_COUNT[source]
        detail = ", ".join(f"{name}={value:,}" for name, value in totals.items())
        size_mb = writer.final.stat().st_size / 1e6
        log(f"{source:16s} rows={writer.rows:>11,}  {size_mb:7.1f} MB  {args.last_year}: {main}={totals.get(main, 0):,}"
            + (f" ({detail})" if len(totals) > 1 else ""))
    log(f"{len(areas.geo.codes):,} grunnkrets codes, {args.first_year}-{args.last_year}, seed {args.seed}: "
        f"wrote {len(writers)} {args.format} files to {args.out} in {elapsed:.1f} s")
    return writers


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        generate(args, log=(lambda _: None) if args.quiet else print)
    except GeneratorError as error:
        print(f"generate_demo_data: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
