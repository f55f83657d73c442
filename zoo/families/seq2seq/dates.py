"""A deterministic generator of human-written dates and their ISO 8601 form, for seq2seq-dates.

    "the 3rd of March 1999"         -> "1999-03-03"
    "Wednesday, November 25, 2026"  -> "2026-11-25"
    "11/25/26"                      -> "2026-11-25"

Every calendar day from 1900-01-01 to 2099-12-31 belongs to exactly one split, chosen by a
hash of the day itself (80% train, 10% validation, 10% test). So a test date is never seen in
training in any format: the model has to read dates, not remember them.

Two conventions keep every input unambiguous:
- slashes are month first (US: 11/25/2026), dots are day first (European: 25.11.2026);
- two-digit years pivot at 50 (as X.509's UTCTime, RFC 5280): 50..99 mean 1950..1999, 00..49
  mean 2000..2049, and only dates from 1950 to 2049 are written with a two-digit year. (Python's
  strptime %y pivots at 69 instead, POSIX's rule.)

NEW_FORMATS are formats the pretrained model never saw, for fine-tuning it (`zoo finetune
seq2seq-dates --pairs`, benchmarks/finetune_seq2seq.py): French ("le 3 mars 1999", with
characters the base model has never read: é, û), year first with dots ("1999.03.03") and
words ("March third, nineteen ninety-nine", with w and x). `make_examples(..., formats=NEW_FORMATS)`
draws them from the same day splits, seeded.
"""

from __future__ import annotations

import datetime
import functools
import hashlib

import numpy as np

FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(2099, 12, 31)
TWO_DIGIT_WINDOW = (1950, 2049)
SPLIT_BUCKETS = {"train": range(0, 8), "valid": range(8, 9), "test": range(9, 10)}

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st, 22nd, 23rd, ..., 31st."""
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _parts(d: datetime.date) -> dict:
    month = MONTHS[d.month - 1]
    weekday = WEEKDAYS[d.weekday()]
    return dict(d=d.day, dd=f"{d.day:02d}", dth=ordinal(d.day), m=d.month, mm=f"{d.month:02d}",
                month=month, mon=month[:3], weekday=weekday, wkd=weekday[:3],
                yyyy=f"{d.year:04d}", yy=f"{d.year % 100:02d}")


# name -> template over _parts. A name ending in "yy" (not "yyyy") uses a two-digit year.
FORMATS = {
    "d mon yyyy": "{d} {mon} {yyyy}",                                # 25 Nov 2026
    "d month yyyy": "{d} {month} {yyyy}",                            # 25 November 2026
    "D MON YYYY": "{d} {MON} {yyyy}",                                # 25 NOV 2026
    "dth month yyyy": "{dth} {month} {yyyy}",                        # 25th November 2026
    "the dth of month yyyy": "the {dth} of {month} {yyyy}",          # the 25th of November 2026
    "month d, yyyy": "{month} {d}, {yyyy}",                          # November 25, 2026
    "mon d, yyyy": "{mon} {d}, {yyyy}",                              # Nov 25, 2026
    "month dth, yyyy (lower)": "{month_lower} {dth}, {yyyy}",        # november 25th, 2026
    "weekday, month d, yyyy": "{weekday}, {month} {d}, {yyyy}",      # Wednesday, November 25, 2026
    "wkd d mon yyyy": "{wkd} {d} {mon} {yyyy}",                      # Wed 25 Nov 2026
    "weekday the dth of month, yyyy": "{weekday} the {dth} of {month}, {yyyy}",
    "d-mon-yyyy": "{d}-{mon}-{yyyy}",                                # 25-Nov-2026
    "m/d/yyyy": "{m}/{d}/{yyyy}",                                    # 11/25/2026
    "mm/dd/yy": "{mm}/{dd}/{yy}",                                    # 11/25/26
    "dd.mm.yyyy": "{dd}.{mm}.{yyyy}",                                # 25.11.2026
    "dd.mm.yy": "{dd}.{mm}.{yy}",                                    # 25.11.26
    "yyyy-mm-dd": "{yyyy}-{mm}-{dd}",                                # 2026-11-25 (already ISO)
    "yyyy/mm/dd": "{yyyy}/{mm}/{dd}",                                # 2026/11/25
    "yyyymmdd": "{yyyy}{mm}{dd}",                                    # 20261125
}


# Formats the pretrained model was not trained on (see the module's docstring).
NEW_FORMATS = {
    "le d mois yyyy (French)": "le {d_fr} {mois} {yyyy}",           # le 25 novembre 2026, le 1er mai 2000
    "yyyy.mm.dd": "{yyyy}.{mm}.{dd}",                                # 2026.11.25
    "month dth, year in words": "{month} {dth_words}, {year_words}",  # November twenty-fifth, twenty twenty-six
}
MOIS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
        "novembre", "décembre"]
ONES = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
ORDINAL_ONES = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
                "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
                "eighteenth", "nineteenth"]


def number_words(n: int) -> str:
    """0 < n < 100 in words: 7 -> seven, 42 -> forty-two."""
    return ONES[n] if n < 20 else TENS[n // 10] + (f"-{ONES[n % 10]}" if n % 10 else "")


def ordinal_words(n: int) -> str:
    """1 <= n <= 31 in words: first, ..., twentieth, twenty-first, ..., thirtieth, thirty-first."""
    if n < 20:
        return ORDINAL_ONES[n]
    return TENS[n // 10][:-1] + "ieth" if n % 10 == 0 else f"{TENS[n // 10]}-{ORDINAL_ONES[n % 10]}"


def year_words(year: int) -> str:
    """A year as spoken: 1999 nineteen ninety-nine, 1905 nineteen oh five, 1900 nineteen hundred,
    2000 two thousand, 2007 two thousand seven, 2026 twenty twenty-six."""
    century, rest = divmod(year, 100)
    if 2000 <= year <= 2009:
        return "two thousand" + (f" {ONES[rest]}" if rest else "")
    if rest == 0:
        return f"{number_words(century)} hundred"
    return f"{number_words(century)} {'oh ' if rest < 10 else ''}{number_words(rest)}"


def two_digit_year(format_name: str) -> bool:
    return format_name.endswith("yy") and not format_name.endswith("yyyy")


def render(d: datetime.date, format_name: str) -> str:
    """The date written in one of FORMATS."""
    parts = _parts(d)
    parts.update(MON=parts["mon"].upper(), month_lower=parts["month"].lower())
    if format_name in NEW_FORMATS:
        parts.update(d_fr="1er" if d.day == 1 else str(d.day), mois=MOIS[d.month - 1],
                     dth_words=ordinal_words(d.day), year_words=year_words(d.year))
        return NEW_FORMATS[format_name].format(**parts)
    return FORMATS[format_name].format(**parts)


def iso(d: datetime.date) -> str:
    return d.isoformat()


def split_of(d: datetime.date) -> str:
    """train, valid or test, from a hash of the ISO date (stable across runs and machines)."""
    bucket = int(hashlib.sha256(iso(d).encode()).hexdigest()[:8], 16) % 10
    return next(name for name, buckets in SPLIT_BUCKETS.items() if bucket in buckets)


def days(split: str) -> list[datetime.date]:
    """Every day of one split, in calendar order."""
    if split not in SPLIT_BUCKETS:
        raise ValueError(f"split must be one of {sorted(SPLIT_BUCKETS)}, got {split!r}")
    return list(_days(split))


@functools.cache  # 73,000 hashes: computed once per split and process
def _days(split: str) -> tuple[datetime.date, ...]:
    n = (LAST_DAY - FIRST_DAY).days + 1
    all_days = (FIRST_DAY + datetime.timedelta(days=i) for i in range(n))
    return tuple(d for d in all_days if split_of(d) == split)


def make_examples(n: int, split: str, seed: int, formats=FORMATS) -> list[tuple[str, str, str]]:
    """n (source, ISO target, format name) triples: formats (names from FORMATS or NEW_FORMATS)
    drawn uniformly, days uniformly from the split (from the two-digit-year window for the
    two-digit formats). Same seed, same list."""
    rng = np.random.default_rng(seed)
    pool = days(split)
    window = [d for d in pool if TWO_DIGIT_WINDOW[0] <= d.year <= TWO_DIGIT_WINDOW[1]]
    names = list(formats)
    examples = []
    for format_index in rng.integers(0, len(names), n):
        name = names[format_index]
        choices = window if two_digit_year(name) else pool
        d = choices[rng.integers(0, len(choices))]
        examples.append((render(d, name), iso(d), name))
    return examples


def make_test_set(per_format: int, seed: int, split: str = "test", formats=FORMATS) -> list[tuple[str, str, str]]:
    """per_format examples of every format (for per-format accuracy), from the held-out days."""
    rng = np.random.default_rng(seed)
    pool = days(split)
    window = [d for d in pool if TWO_DIGIT_WINDOW[0] <= d.year <= TWO_DIGIT_WINDOW[1]]
    examples = []
    for name in formats:
        choices = window if two_digit_year(name) else pool
        for i in rng.choice(len(choices), size=min(per_format, len(choices)), replace=False):
            examples.append((render(choices[i], name), iso(choices[i]), name))
    return examples
