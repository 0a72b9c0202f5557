"""Personnummer checks, pseudonyms, the key and the output scan (SPEC §4, §10)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

import numpy as np
import pandas as pd
import pytest

from pipeline import privacy
from pipeline.errors import HembesokError, KeyMissingError
from pipeline.privacy import (
    DEMO_KEY,
    LinkedCells,
    find_personnummer_like,
    key_bits,
    key_fingerprint,
    load_key,
    mask_identifier,
    mask_personnummer_like,
    mask_text,
    parse_personnummer,
    pseudonymise,
)

REFERENCE = dt.date(2024, 6, 30)


def parse_one(value: object, reference: dt.date = REFERENCE) -> dict:
    parsed = parse_personnummer(pd.Series([value], dtype=object), reference)
    return {column: parsed[column].iloc[0] for column in parsed.columns}


# 811218-9876, Skatteverket's example. Luhn over 811218987, weights 2,1,2,1,2,1,2,1,2:
#   8*2=16 -> 1+6=7, 1*1=1, 1*2=2, 2*1=2, 1*2=2, 8*1=8, 9*2=18 -> 1+8=9, 8*1=8, 7*2=14 -> 1+4=5
#   sum = 7+1+2+2+2+8+9+8+5 = 44; check digit = (10 - 44 mod 10) mod 10 = 6. Valid.
# 701063-2391, a samordningsnummer (day 63 = 3 + 60). Luhn over 701063239:
#   7*2=14 -> 5, 0, 1*2=2, 0, 6*2=12 -> 3, 3, 2*2=4, 3, 9*2=18 -> 9
#   sum = 5+0+2+0+3+3+4+3+9 = 29; check digit = (10 - 9) mod 10 = 1. Valid.
@pytest.mark.parametrize("raw", ["811218-9876", "8112189876", "19811218-9876", "198112189876",
                                 "  811218-9876 ", "19811218+9876", "811218\u20139876",
                                 # a space typed for "-"; a number column read as floats
                                 "811218 9876", "19811218 9876", "8112189876.0", "198112189876.0",
                                 # the marks that keep a number text in a spreadsheet export
                                 "'19811218-9876", "'198112189876", '="19811218-9876"', '="8112189876"',
                                 # a no-break space, and characters that show nothing
                                 "811218\u00a09876", "19811218-98\u200b76", "\ufeff811218-9876",
                                 "\ufeff'19811218-9876", "811218\u202f9876"])
def test_valid_forms_of_one_number(raw):
    row = parse_one(raw)
    assert row["error"] is pd.NA
    assert row["normalised"] == "198112189876"
    assert row["birth_date"] == pd.Timestamp("1981-12-18")
    assert row["sex"] == "male"  # second-last digit 7 is odd
    assert not row["coordination_number"]


def test_sex_from_second_last_digit():
    # 121212-1212 (Skatteverket's test person): NNNC = 1212, second-last digit 1 is odd.
    assert parse_one("121212-1212")["sex"] == "male"
    # 850709-9805 (Luhn over 850709980 gives 5): second-last digit 0 is even.
    assert parse_one("850709-9805")["sex"] == "female"
    assert parse_one("850709-9805")["birth_date"] == pd.Timestamp("1985-07-09")


def test_wrong_check_digit():
    assert parse_one("811218-9875")["error"] == "pnr_check_digit"
    assert parse_one("198112189870")["error"] == "pnr_check_digit"


def test_samordningsnummer():
    row = parse_one("701063-2391")
    assert row["error"] is pd.NA
    assert row["coordination_number"]
    assert row["birth_date"] == pd.Timestamp("1970-10-03")  # day 63 - 60
    assert row["normalised"] == "197010632391"  # the number as written, day + 60 kept
    assert row["sex"] == "male"  # second-last digit 9
    # day 92 - 60 = 32 is impossible; day 60 - 60 = 0 too
    assert parse_one("701092-2391")["error"] == "pnr_invalid_date"
    assert parse_one("701060-2391")["error"] == "pnr_invalid_date"


def test_century_without_separator_latest_birth_not_after_reference():
    # 2406301230: check digit 0 (Luhn over 240630123). On the reference date itself -> 2024.
    assert parse_one("2406301230")["birth_date"] == pd.Timestamp("2024-06-30")
    # 2407011234: a day after the reference date, so the century before -> 1924.
    assert parse_one("2407011234")["birth_date"] == pd.Timestamp("1924-07-01")
    assert parse_one("2407011234", dt.date(2024, 7, 1))["birth_date"] == \
        pd.Timestamp("2024-07-01")


def test_dash_means_under_100_in_the_reference_year():
    # SKV 704: "-" until the calendar year in which the person turns 100.
    assert parse_one("240630-1230")["birth_date"] == pd.Timestamp("2024-06-30")
    assert parse_one("250101-1239", dt.date(2024, 6, 30))["birth_date"] == \
        pd.Timestamp("1925-01-01")
    # Born 1924-07-01, the person turns 100 in 2024 and is written with "+" all that year;
    # with "-" the number can only be a birth later in 2024: in the future.
    assert parse_one("240701-1234")["error"] == "pnr_future_birth"
    # a typed space and a float's ".0" say nothing of the century: read as with no separator,
    # the latest birth date not after the reference date
    assert parse_one("2407011234")["birth_date"] == pd.Timestamp("1924-07-01")
    assert parse_one("240701 1234")["birth_date"] == pd.Timestamp("1924-07-01")
    assert parse_one("2407011234.0")["birth_date"] == pd.Timestamp("1924-07-01")


def test_plus_separator_means_100_in_the_reference_year_or_older():
    assert parse_one("240630+1230")["birth_date"] == pd.Timestamp("1924-06-30")
    assert parse_one("240630+1230")["normalised"] == "192406301230"
    # Turns 100 later in 2024: already "+" (SKV 704: from the year one turns 100).
    assert parse_one("240701+1234")["birth_date"] == pd.Timestamp("1924-07-01")
    # 250101+1239 (Luhn over 250101123 = 9): at least 100 in 2024, born 1924 or earlier -> 1825.
    assert parse_one("250101+1239")["birth_date"] == pd.Timestamp("1825-01-01")
    # 12-digit with "+": the separator is ignored, the century is written out.
    assert parse_one("19811218+9876")["birth_date"] == pd.Timestamp("1981-12-18")


def test_leap_day_depends_on_century():
    # 000229-1235 (Luhn over 000229123 = 5): 2000 is a leap year, 1900 is not.
    assert parse_one("000229-1235")["birth_date"] == pd.Timestamp("2000-02-29")
    assert parse_one("000229+1235")["error"] == "pnr_invalid_date"


@pytest.mark.parametrize(("raw", "error"), [
    ("", "pnr_missing"), ("   ", "pnr_missing"), (None, "pnr_missing"),
    ("81121A-9876", "pnr_bad_characters"), ("811218  9876", "pnr_bad_characters"),
    ("8112189876.5", "pnr_bad_characters"), ("811218-9876.0", "pnr_bad_characters"),
    ("8112 18-9876", "pnr_bad_characters"), ("81121898.0", "pnr_bad_characters"),
    ("8112-18-9876", "pnr_bad_characters"), ("okänt", "pnr_bad_characters"),
    ("=8112189876", "pnr_bad_characters"), ('="811218-9876', "pnr_bad_characters"),  # a formula, half a mark
    ("'", "pnr_missing"), ("''811218-9876", "pnr_bad_characters"),
    ("811218-987", "pnr_wrong_length"), ("81121898761", "pnr_wrong_length"),
    ("1981121898761", "pnr_wrong_length"),
    ("811318-9876", "pnr_invalid_date"), ("810230-9876", "pnr_invalid_date"),
    ("811200-9876", "pnr_invalid_date"), ("17811218-9876", "pnr_invalid_date"),
])
def test_errors(raw, error):
    row = parse_one(raw)
    assert row["error"] == error
    assert row["normalised"] is pd.NA
    assert pd.isna(row["birth_date"])
    assert row["sex"] is pd.NA
    assert not row["coordination_number"]


def test_future_birth():
    # 20301218-1230: Luhn over 301218123 = 0; born after the reference date.
    assert parse_one("20301218-1230")["error"] == "pnr_future_birth"
    # The same number in 10-digit form takes the century before: 1930.
    assert parse_one("301218-1230")["birth_date"] == pd.Timestamp("1930-12-18")


def test_frame_shape_index_and_dtypes():
    values = pd.Series(["811218-9876", None, "x", "811218-9876"], index=[7, 3, 9, 1], dtype="str")
    parsed = parse_personnummer(values, REFERENCE)
    assert list(parsed.index) == [7, 3, 9, 1]
    assert list(parsed.columns) == ["normalised", "birth_date", "sex", "coordination_number",
                                    "error"]
    assert parsed["birth_date"].dtype.kind == "M"
    assert parsed["coordination_number"].dtype == bool
    assert parsed["error"].tolist() == [pd.NA, "pnr_missing", "pnr_bad_characters", pd.NA]


# --- pseudonyms ------------------------------------------------------------------------------

KEY = b"a-test-key-of-sufficient-length"


def test_pseudonyms_stable_keyed_and_form_independent():
    parsed = parse_personnummer(pd.Series(["811218-9876", "198112189876", "701063-2391", ""]),
                                REFERENCE)
    first = pseudonymise(parsed["normalised"], KEY)
    again = pseudonymise(parsed["normalised"], KEY)
    other = pseudonymise(parsed["normalised"], b"another-key-of-sufficient-length")
    assert first.tolist() == again.tolist()
    assert first[0] == first[1]  # the 10- and 12-digit forms of one person
    assert first[0] != first[2]
    assert first[3] is pd.NA
    assert other[0] != first[0]
    assert all(re.fullmatch("[bcdfghjklmnpqrst]{20}", p) for p in first[:3])
    assert list(first.index) == list(parsed.index)


@pytest.mark.parametrize("key", [KEY, b"k" * 100])  # a key longer than SHA-256's block too
def test_pseudonym_is_truncated_hmac_sha256_in_consonants(key):
    hexdigits = hmac.new(key, b"198112189876", hashlib.sha256).hexdigest()[:20]
    expected = "".join("bcdfghjklmnpqrst"[int(c, 16)] for c in hexdigits)
    assert pseudonymise(pd.Series(["198112189876"]), key)[0] == expected


def test_no_pseudonym_looks_like_a_personnummer():
    # 20,000 people: hex pseudonyms would hold runs of ten digits that a scanner flags
    numbers = pd.Series([f"2020{m:02d}{d:02d}{n:04d}" for m in range(1, 13) for d in range(1, 29)
                         for n in range(0, 600, 10)])
    pseudonyms = pseudonymise(numbers, KEY)
    assert pseudonyms.nunique() == len(numbers)
    assert not pseudonyms.str.contains(r"\d").any()
    assert not any(find_personnummer_like(p) for p in pseudonyms)


def test_pseudonymise_refuses_raw_numbers():
    with pytest.raises(ValueError, match="normalised"):
        pseudonymise(pd.Series(["811218-9876"]), KEY)


# --- the key ---------------------------------------------------------------------------------

@pytest.fixture
def no_key_env(monkeypatch):
    monkeypatch.delenv("HEMBESOK_KEY", raising=False)
    monkeypatch.delenv("HEMBESOK_KEY_FILE", raising=False)


def test_key_from_environment(no_key_env, monkeypatch, tmp_path):
    monkeypatch.setenv("HEMBESOK_KEY", "0123456789abcdef-secret")
    assert load_key(synthetic=False, key_file=None, project_root=tmp_path) == \
        b"0123456789abcdef-secret"


@pytest.mark.parametrize("weak", ["tiny", "0123456789abcdef",  # 16 hex characters: 64 bits
                                  "abababababababababababababababababababab"])  # 2 characters
def test_key_that_cannot_hold_128_bits_is_refused(no_key_env, monkeypatch, weak):
    monkeypatch.setenv("HEMBESOK_KEY", weak)
    with pytest.raises(KeyMissingError, match="too weak: it cannot hold 128 bits") as caught:
        load_key(synthetic=False, key_file=None, project_root=None)
    assert weak not in str(caught.value)  # the key itself is never shown


def test_key_bits_by_alphabet():
    assert key_bits(b"0123456789abcdef" * 2) == 128  # 32 hex characters, 4 bits each
    assert key_bits(b"0123456789abcde") == 60
    assert key_bits(b"Kq3+/Xy9Zw7=Kq3+/Xy9Zw") == 22 * 6  # base64
    assert key_bits(b"x" * 64) == 0  # one character repeated


def test_key_file_in_any_repository_or_in_the_study_folder_is_refused(no_key_env, tmp_path):
    other_repository = tmp_path / "notes"
    (other_repository / ".git").mkdir(parents=True)
    key_file = other_repository / "keys" / "study.key"
    key_file.parent.mkdir()
    key_file.write_text("0123456789abcdef" * 4)
    with pytest.raises(KeyMissingError, match="inside the repository"):
        load_key(synthetic=False, key_file=key_file, project_root=None)
    study = tmp_path / "data_raw" / "study"
    study.mkdir(parents=True)
    (study / "study.key").write_text("0123456789abcdef" * 4)
    with pytest.raises(KeyMissingError, match="inside the study folder"):
        load_key(synthetic=False, key_file=study / "study.key", project_root=None,
                 study_folder=study)


def test_key_fingerprint_is_keyed_and_short():
    first, second = key_fingerprint(b"0123456789abcdef" * 4), key_fingerprint(b"fedcba9876543210" * 4)
    assert first != second and len(first) == 16
    assert first == hmac.new(b"0123456789abcdef" * 4, b"hembesok key fingerprint",
                             hashlib.sha256).hexdigest()[:16]


def test_key_file_outside_repository(no_key_env, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    key_file = tmp_path / "secrets" / "study.key"
    key_file.parent.mkdir()
    key_file.write_text("a-long-random-secret-key\n")
    assert load_key(synthetic=False, key_file=key_file, project_root=repo) == \
        b"a-long-random-secret-key"


def test_a_studys_key_file_is_not_passed_over_for_the_environments_key(no_key_env, monkeypatch, tmp_path):
    """With HEMBESOK_KEY set, study.yml's key_file was ignored without a word, even where it did
    not exist: the pseudonyms then came from whatever key the shell held. The file must exist
    and hold the same key."""
    monkeypatch.setenv("HEMBESOK_KEY", "a-long-random-secret-key")
    key_file = tmp_path / "secrets" / "study.key"
    with pytest.raises(KeyMissingError, match="not found|does not exist|no file"):
        load_key(synthetic=False, key_file=key_file, project_root=tmp_path / "repo")
    key_file.parent.mkdir()
    key_file.write_text("another-long-random-secret\n")
    with pytest.raises(KeyMissingError, match="Two different pseudonymisation keys"):
        load_key(synthetic=False, key_file=key_file, project_root=tmp_path / "repo")
    key_file.write_text("a-long-random-secret-key\n")
    assert load_key(synthetic=False, key_file=key_file, project_root=tmp_path / "repo") == \
        b"a-long-random-secret-key"


def test_key_file_from_environment(no_key_env, monkeypatch, tmp_path):
    key_file = tmp_path / "study.key"
    key_file.write_text("a-long-random-secret-key")
    monkeypatch.setenv("HEMBESOK_KEY_FILE", str(key_file))
    assert load_key(synthetic=False, key_file=None, project_root=tmp_path / "repo") == \
        b"a-long-random-secret-key"


def test_key_file_inside_repository_refused(no_key_env, tmp_path):
    key_file = tmp_path / "data_raw" / "study.key"
    key_file.parent.mkdir()
    key_file.write_text("a-long-random-secret-key")
    with pytest.raises(KeyMissingError, match="outside the repository") as caught:
        load_key(synthetic=False, key_file=key_file, project_root=tmp_path)
    assert "a-long-random-secret-key" not in str(caught.value)


def test_missing_key_file(no_key_env, tmp_path):
    with pytest.raises(KeyMissingError, match="does not exist"):
        load_key(synthetic=False, key_file=tmp_path / "nope.key", project_root=tmp_path / "repo")


def test_synthetic_falls_back_to_demo_key(no_key_env):
    assert load_key(synthetic=True, key_file=None, project_root=None) == DEMO_KEY
    assert DEMO_KEY == b"hembesok-demo-key-synthetic-data-only"


def test_real_data_without_key_is_an_error(no_key_env, tmp_path):
    with pytest.raises(KeyMissingError) as caught:
        load_key(synthetic=False, key_file=None, project_root=tmp_path)
    message = str(caught.value)
    assert isinstance(caught.value, HembesokError)
    assert "export HEMBESOK_KEY=" in message
    assert "key_file:" in message and "outside the repository" in message.lower()


# --- masking and the output scan -------------------------------------------------------------

def test_mask_identifier():
    assert mask_identifier("811218-9876") == "######-####"
    assert mask_identifier(" 19811218+9876x") == " ########+####x"
    assert mask_identifier("") == ""


def test_find_personnummer_like():
    text = ("child 811218-9876 visited; typo 811218-9875 is not valid; order no "
            "73918402750019284756 is long; hash deadbeef8112189876aaaaaaaaaaaaaaaaaaaaaa; p = 0.8112189876; "
            "float 198112189876.0 leaked; coordination 701063-2391")
    assert find_personnummer_like(text) == ["######-####", "############", "######-####"]
    assert find_personnummer_like("nothing here 2021-03-04, n = 1234") == []
    assert find_personnummer_like("") == []


@pytest.mark.parametrize("written", ["811218\u20139876", "811218\u22129876", "811218 9876",
                                     "19811218 9876", "19811218\u20149876", "811218 - 9876",
                                     "811218 \u2013 9876", "811218\u00a09876", "811218- 9876",
                                     "811218\u202f9876", "19811218\u2007-\u20079876",
                                     "811218--9876", "19811218 -- 9876"])  # a dash typed twice (a tester)
def test_a_personnummer_with_a_typed_separator_is_found_and_masked(written: str) -> None:
    # Skatteverket's example with the en dash, minus sign or em dash a word processor makes of
    # "-", a typed space or no-break space, or a dash between spaces: the digits are masked,
    # the separator kept
    masked = re.sub(r"[0-9]", "#", written)
    assert find_personnummer_like(f"ring {written} idag") == [masked]
    assert mask_text(f"ring {written} idag") == f"ring {masked} idag"
    # the same digits with an invalid check digit are masked in text but not reported
    assert find_personnummer_like(f"ring {written[:-1]}5") == []


@pytest.mark.parametrize("written", ["81 12 18-9876", "1981 12 18 9876", "19811218.9876", "81-12-18-9876",
                                     "81121898 76", "19811218_9876", "1981-12-18 98 76", "81/12/18-9876"])
def test_a_personnummer_typed_in_groups_is_found_and_masked(written: str) -> None:
    """A review typed Skatteverket's example into a free-text export in groups ("85 03 12-2387",
    "19850312.2387"): it reached data_clean/ as written. The groups are masked where the digits
    read as a personnummer (a date and its check digit); a date with a time, an amount or a
    phone number in groups is not one and is left as written. The scan of published files does
    not look for groups: a row of shares in a PDF ("81 12 18 98 76") would stop runs for nothing."""
    masked = re.sub(r"[0-9]", "#", written)
    assert find_personnummer_like(f"ring {written} idag") == []
    assert mask_text(f"ring {written} idag") == f"ring {masked} idag"
    values, found = mask_personnummer_like(pd.Series([f"besök 12 {written}", "kl 2021-03-12 10 15"]))
    assert values.tolist() == [f"besök 12 {masked}", "kl 2021-03-12 10 15"]
    assert found.tolist() == [True, False]
    assert mask_text(f"ring {written[:-1]}5 idag") == f"ring {written[:-1]}5 idag"  # no check digit
    for other in ("2021-03-12 10 15", "070-123 45 67", "150 000 000 000 kr", "12.50 13.75 14.00"):
        assert mask_text(other) == other


def test_a_personnummer_with_a_character_that_shows_nothing_inside_is_found_and_masked() -> None:
    """A zero-width space or a BOM inside the digits hid the number from the masking and the scan."""
    for written in ("811218-98\u200b76", "8112\ufeff18-9876", "19811218\u2060-9876", "8112\u200e18-9876",
                    "811218\u00ad-9876"):
        shown = written.translate(dict.fromkeys((0x200b, 0xfeff, 0x2060, 0x200e, 0xad)))
        masked = re.sub(r"[0-9]", "#", shown)
        assert find_personnummer_like(f"ring {written} idag") == [masked]
        assert mask_text(f"ring {written} idag") == f"ring {masked} idag"
        shown, found = mask_personnummer_like(pd.Series([f"ring {written}", "nej\u200b"]))
        assert shown.tolist() == [f"ring {masked}", "nej\u200b"] and found.tolist() == [True, False]


# Skatteverket's example 811218-9876 in the digits of other scripts and keyboards: full-width
# (pasted from an East Asian keyboard, with its full-width hyphen-minus), Arabic-Indic and
# Devanagari digits, mathematical bold ones, and a thin space or an ideographic one between.
OTHER_DIGITS = {"fullwidth": 0xFF10, "arabic_indic": 0x0660, "devanagari": 0x0966,
                "mathematical_bold": 0x1D7CE}


def _written_in(digits: str, zero: int) -> str:
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in digits)


@pytest.mark.parametrize("zero", OTHER_DIGITS.values(), ids=OTHER_DIGITS.keys())
@pytest.mark.parametrize("separator", ["-", "\uff0d", "\u2009", "\u3000", "", "\uff0b"])
def test_a_personnummer_in_another_scripts_digits_is_found_masked_and_read(zero: int, separator: str):
    """Python's `\\d` reads these as digits and `mask_identifier` masked them, but the search for
    a personnummer in free text, messages and published files looked for 0-9 only."""
    written = _written_in("811218", zero) + separator + _written_in("9876", zero)
    masked = "######" + separator + "####"
    assert find_personnummer_like(f"ring {written} idag") == [masked]
    assert mask_text(f"ring {written} idag") == f"ring {masked} idag"
    shown, found = mask_personnummer_like(pd.Series([f"ring {written}", "nej"]))
    assert shown.tolist() == [f"ring {masked}", "nej"] and found.tolist() == [True, False]
    # the wrong check digit (5): masked in text, not reported, as 0-9 are
    wrong = written[:-1] + _written_in("5", zero)
    assert find_personnummer_like(f"ring {wrong}") == []
    assert mask_text(f"ring {wrong}") == f"ring {masked}"
    # in the personnummer column, the same child as in 0-9: 1981-12-18, born before the 100th
    # year with "+" (1881-12-18), a man (the second-last digit, 7, is odd)
    parsed = parse_personnummer(pd.Series([written]), REFERENCE)
    century = "18" if separator == "\uff0b" else "19"
    assert parsed["normalised"].tolist() == [f"{century}8112189876"]
    assert parsed["birth_date"].tolist() == [pd.Timestamp(f"{century}81-12-18")]
    assert parsed["sex"].tolist() == ["male"] and parsed["error"].isna().all()


def test_a_published_file_with_a_personnummer_in_full_width_digits_is_found(tmp_path):
    """The scan of every written file: a parquet text column (read in arrow, where only texts
    with six digits in a row are looked at), a CSV and an HTML page."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.publish import scan_file_for_personnummer

    written = _written_in("19811218", OTHER_DIGITS["fullwidth"]) + "\uff0d" + _written_in(
        "9876", OTHER_DIGITS["fullwidth"])
    pq.write_table(pa.table({"note": ["nej", f"ring {written}"], "n": [1, 2]}), tmp_path / "t.parquet")
    (tmp_path / "t.csv").write_text(f"note,n\nring {written},1\n", encoding="utf-8")
    (tmp_path / "t.html").write_text(f"<p>ring {written}</p>", encoding="utf-8")
    for name in ("t.parquet", "t.csv", "t.html"):
        assert scan_file_for_personnummer(tmp_path / name) == ["########\uff0d####"], name


def test_numbers_grouped_by_spaces_are_not_personnummer() -> None:
    # thousands separated by spaces, as Swedish writes them, and a year after a count
    assert mask_text("1 000 000 barn; 811218 barn 2024") == "1 000 000 barn; 811218 barn 2024"


# --- the scan of PDFs (no PDF library: string objects, raw and Flate-compressed) ---------------

def pdf_bytes(*objects: bytes) -> bytes:
    """A minimal PDF: the given objects, numbered from 1, with an xref table of real offsets."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d /Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_a_pdf_stream_is_read_as_text_when_at_most_one_in_a_hundred_bytes_is_a_control_byte():
    from pipeline.publish.scan import _looks_like_text

    text = b"BT /F1 9 Tf (x) Tj ET\n\t\r\x0c" * 40  # whitespace controls (tab, CR, LF, FF) count as text
    assert _looks_like_text(text)
    assert _looks_like_text(b"a" * 990 + b"\x00" * 10)  # 10 of 1,000: 1 %
    assert not _looks_like_text(b"a" * 989 + b"\x00" * 11)  # 11 of 1,000
    assert not _looks_like_text(bytes(range(256)) * 4)  # 28 control bytes in every 256: an ICC profile's kind
    # only the first 64 kB are looked at
    assert _looks_like_text(b"a" * 65536 + b"\x01" * 10_000)


def stream(dictionary: bytes, data: bytes, *, compress: bool = True) -> bytes:
    import zlib

    body = zlib.compress(data) if compress else data
    flate = b" /Filter /FlateDecode" if compress else b""
    return b"<<" + dictionary + flate + b" /Length %d>>\nstream\n" % len(body) + body + b"\nendstream"


def utf16_hex(text: str) -> bytes:
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


@pytest.fixture
def clean_pdf_parts() -> list[bytes]:
    """What a Chromium PDF holds that looks numeric but is no personnummer."""
    content = (b"q 1 0 0 1 72 720 cm BT /F1 12 Tf <0048004600570044> Tj "
               b"<001400150016001700180019> Tj ET Q\n"
               b"/Span <</ActualText <FEFF00660066>>> BDC <0117> Tj EMC")
    gray = bytes([0x33] * 400 + [0x37] * 400)  # image rows whose bytes read as "3333..." and "7777..."
    return [b"<</Type /Catalog /Pages 2 0 R>>", b"<</Type /Pages /Kids [3 0 R] /Count 1>>",
            b"<</Type /Page /Parent 2 0 R /Contents 4 0 R>>", stream(b"", content),
            stream(b"/Type /XObject /Subtype /Image /Width 20 /Height 40 /BitsPerComponent 8", gray),
            b"<</Title (Utv\\344rdering \\(demo\\)) /Producer (Skia/PDF m156) "
            b"/CreationDate (D:20241202052935+00'00')>>"]


def test_pdf_scan_ignores_glyphs_offsets_dates_and_images(tmp_path, clean_pdf_parts):
    from pipeline.publish import _pdf_texts, scan_file_for_personnummer

    path = tmp_path / "report.pdf"
    path.write_bytes(pdf_bytes(*clean_pdf_parts))
    assert scan_file_for_personnummer(path) == []
    texts = _pdf_texts(path)
    assert "Utvärdering (demo)" in texts and "ff" in texts  # literal escapes and UTF-16 decoded


@pytest.mark.parametrize("where", ["literal", "utf16", "utf16_spaced", "compressed_object",
                                   "uncompressed_content"])
def test_pdf_scan_finds_a_planted_personnummer(tmp_path, clean_pdf_parts, where):
    from pipeline.publish import scan_file_for_personnummer

    number = "811218-9876"
    planted = {
        "literal": b"<</Title (Barn " + number.encode() + b")>>",
        "utf16": b"<</Type /StructElem /S /Figure /Alt " + utf16_hex(f"Barn {number}") + b">>",
        # hex digits may be spaced anywhere, the byte order mark's too
        "utf16_spaced": b"<</Type /StructElem /S /Figure /Alt " + b" ".join(
            utf16_hex(f"Barn {number}")[i:i + 2] for i in range(0, len(utf16_hex(f"Barn {number}")), 2))
        + b">>",
        "compressed_object": stream(b"/Type /ObjStm /N 1 /First 4",
                                    b"9 0 <</Type /Annot /Contents (" + number.encode() + b")>>"),
        "uncompressed_content": stream(b"", b"BT /F1 9 Tf (" + number.encode() + b") Tj ET",
                                       compress=False),
    }[where]
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf_bytes(*clean_pdf_parts, planted))
    assert scan_file_for_personnummer(path) == ["######-####"]


def test_a_page_scan_skips_its_embedded_images_and_reads_its_text(tmp_path):
    from pipeline.publish import scan_file_for_personnummer

    # base64 letters may hold "+8112189876/", a valid number between two non-alphanumerics
    image = '<img alt="Figur 1" src="data:image/png;base64,iVBORw0KGgo+8112189876/AAAA==">'
    assert find_personnummer_like(image) == ["##########"]  # what the scan did read as one
    page = tmp_path / "report.html"
    page.write_text(f"<html><body><p>Figur 1</p>{image}</body></html>", encoding="utf-8")
    assert scan_file_for_personnummer(page) == []
    # the page's text around it is read as before
    page.write_text(f"<html><body><p>Barn 811218-9876</p>{image}</body></html>", encoding="utf-8")
    assert scan_file_for_personnummer(page) == ["######-####"]


# --- small-cell suppression: LinkedCells ---------------------------------------------------

def test_linked_cells_hide_a_total_that_gives_back_a_small_part():
    cells = LinkedCells(5)
    total, a, b, c = (cells.add(v) for v in (53, 3, 20, 30))
    cells.relate(total, [a, b, c])
    hidden = cells.protect()
    assert hidden[a] and hidden[b] and not hidden[c] and not hidden[total]  # next smallest: b


def test_linked_cells_count_what_an_empty_cell_says():
    """An empty (secondary) cell says "5 or more": with 6 = A + B shown, hiding B would give
    A = 1, so the total is hidden instead (and B, not needed, stays shown)."""
    cells = LinkedCells(5)
    total, a, b = cells.add(6), cells.add(1), cells.add(5)
    cells.relate(total, [a, b])
    hidden = cells.protect()
    assert hidden[a] and hidden[total] and not hidden[b]


def test_linked_cells_solve_the_equations_together():
    """x + y, y + z and x + z shown, y and z never published: x = (12 + 12 - 20) / 2."""
    cells = LinkedCells(5)
    x, y, z = cells.add(2), cells.add(10, published=False), cells.add(10, published=False)
    totals = [cells.add(12), cells.add(20), cells.add(12)]
    for total, parts in zip(totals, ([x, y], [y, z], [x, z]), strict=True):
        cells.relate(total, parts)
    hidden = cells.protect()
    assert hidden[x] and hidden[totals].sum() >= 1


def test_a_small_cell_of_a_two_by_two_table_hides_all_four_inner_cells_checked_twice(monkeypatch):
    """The textbook pattern: with its row, column and grand totals shown, a 2 among 2 x 2 inner
    cells is protected by hiding all four (then A runs from 1 to 11: A + B = 12, A + C = 12,
    C + D = 30, each at least 1), since hiding fewer leaves it a total less shown cells. No one
    cell hidden ends that leak, so the next check would find A again: the whole check is made
    before the first cell is hidden and once all four are, not before each of the three."""
    checks = []
    exposed = privacy._Component.exposed
    monkeypatch.setattr(privacy._Component, "exposed", lambda group, hidden, skip: checks.append(
        exposed(group, hidden, skip)) or checks[-1])
    cells = LinkedCells(5)
    a, b, c, d = (cells.add(v) for v in (2, 10, 10, 20))
    row_a, row_c, column_a, column_b, total = (cells.add(v) for v in (12, 30, 12, 30, 42))
    for whole, parts in ((row_a, [a, b]), (row_c, [c, d]), (column_a, [a, c]), (column_b, [b, d]),
                         (total, [row_a, row_c]), (total, [column_a, column_b])):
        cells.relate(whole, parts)
    hidden = cells.protect()
    assert np.flatnonzero(hidden).tolist() == [a, b, c, d]
    assert checks == [a, None]


def test_linked_cells_sum_of_unknown_parts_below_min_cell():
    cells = LinkedCells(5)
    total, a, b, c = (cells.add(v) for v in (15, 2, 1, 12))
    cells.relate(total, [a, b, c])
    hidden = cells.protect()
    assert hidden[a] and hidden[b] and (hidden[c] or hidden[total])  # not "A and B are 3"


def test_linked_cells_revealed_rest_and_keys():
    """A rest of n whose smallness a table states ("fewer than 5 without") is protected like a
    published small count; one key is one cell across tables."""
    cells = LinkedCells(5)
    n = cells.add(50, key=("n", 50))
    events = cells.add(48, key=("events", 48))
    rest = cells.add(2, published=False, revealed=True, key=("rest", 2))
    cells.relate(n, [events, rest])
    assert cells.add(48, key=("events", 48)) == events
    with pytest.raises(ValueError, match="is 48, not 47"):
        cells.add(47, key=("events", 48))
    with pytest.raises(ValueError, match="do not add up"):
        cells.relate(n, [events])
    hidden = cells.protect()
    assert hidden[events] and not hidden[n] and not hidden[rest]


def test_linked_cells_that_no_hiding_can_protect_are_listed():
    """Four "<5" parts of a "<5" total: each part is 1 whatever is hidden."""
    cells = LinkedCells(5)
    total = cells.add(4)
    parts = [cells.add(1) for _ in range(4)]
    cells.relate(total, parts)
    hidden = cells.protect()
    assert hidden[[total, *parts]].all() and set(cells.unprotectable) == {total, *parts}


def _markers_of_four_areas(cells: LinkedCells) -> tuple[list[int], list[int]]:
    """A group of 64 with 4 without the outcome, one in each of four areas of 16, every row
    saying "fewer than 5 without": the rests (group first) and the areas' events."""
    triples = []
    for n, events in ((64, 60), *([(16, 15)] * 4)):
        triple = (cells.add(n), cells.add(events), cells.add(n - events, published=False, revealed=True))
        cells.relate(triple[0], list(triple[1:]))
        triples.append(triple)
    for kind in range(3):
        cells.relate(triples[0][kind], [t[kind] for t in triples[1:]])
    return [t[2] for t in triples], [t[1] for t in triples[1:]]


def test_markers_that_give_small_cells_away_are_taken_back_one_area_first():
    """Four parts of at least 1 in a total of at most 4 are 1 each: one area's marker is taken
    back (not the group's), and then nothing is given up: every rest stays unknown."""
    cells = LinkedCells(5)
    rests, events = _markers_of_four_areas(cells)
    hidden = cells.protect()
    assert cells.concealed == [rests[1]] and cells.unprotectable == []
    assert cells.revealed[rests[0]] and not cells.revealed[rests[1]]
    assert all(cells.revealed[r] for r in rests[2:])
    assert all(hidden[e] for e in events)  # n shown, so each area's events are hidden
    # without taking a marker back, all five would be given up
    from pipeline import privacy

    plain = LinkedCells(5)
    plain_rests, _ = _markers_of_four_areas(plain)
    group = privacy._Component(plain, *plain._components()[0])
    hidden = np.zeros(len(plain.values), dtype=bool)
    assert {int(group.cells[c]) for c in group.protect(hidden)} >= set(plain_rests)


def test_a_later_publication_keeps_the_markers_taken_back_and_said():
    """The monitoring pass (`fix_as`): the marker the first pass took back stays taken back, and
    the markers the first pass's tables show are not taken back instead."""
    first = LinkedCells(5)
    rests, _ = _markers_of_four_areas(first)
    hidden = first.protect()
    later = LinkedCells(5)
    assert _markers_of_four_areas(later)[0] == rests
    extra = later.add(3, key=("quarter", 3))
    later.relate(later.add(20), [extra, later.add(17)])
    later.fix_as(first, hidden)
    assert later.concealed == [rests[1]] and not later.revealed[rests[1]]
    assert later.markers_said == {rests[0], *rests[2:]}
    later.protect()
    assert later.concealed == [rests[1]]


def test_the_warning_names_where_unprotectable_counts_are_and_no_count(caplog):
    """The warning of small counts no hiding can protect says where: the indicator and group
    (cells keyed as four "<5" counts of a comparison group's "<5", one in each of four
    areas), the children's step: never the counts themselves."""
    import logging

    from pipeline.publish import leak_places, publish_tables

    cells = LinkedCells(5)
    key = ("outcome", "vacc_dtp3_24m", "comparison")
    total = cells.add(4, key=(*key, "all", "rest", 4))
    parts = [cells.add(1, key=(*key, area, "rest", 1)) for area in ("A", "B", "C", "D")]
    other = cells.add(3, key=("balance", "education", "x", 3))
    cells.relate(total, parts)
    cells.protect()
    assert set(cells.unprotectable) == {total, *parts}
    assert leak_places(cells, cells.unprotectable) == "vacc_dtp3_24m (comparison)"
    assert leak_places(cells, [other, *parts]) == "balance, vacc_dtp3_24m (comparison)"
    flow = cells.add(2, key=("children", "flow/offered", "A", 2))
    assert leak_places(cells, [flow]) == "children (flow/offered)"
    many = [cells.add(1, key=("outcome", f"i{k}", "intervention", "all", "rest", 1)) for k in range(8)]
    assert leak_places(cells, many) == ("i0 (intervention), i1 (intervention), i2 (intervention), "
                                        "i3 (intervention), i4 (intervention), i5 (intervention) "
                                        "and 2 more")
    # a publication whose small counts no hiding protects says so, naming where: four areas'
    # "<5" families offered the programme of all areas' "<5" are one each (the flow's counts
    # of children are always "<5" when small; an indicator's could be shown empty instead)
    steps = (("eligible", 1, 20), ("offered", 2, 1))
    flow = pd.DataFrame([{"area": area, "order": order, "step": step,
                          "children": count * (4 if area == "all" else 1), "share_of_previous": None}
                         for area in ("all", "A", "B", "C", "D") for step, order, count in steps])
    with caplog.at_level(logging.WARNING, logger="hembesok"):
        publish_tables({"flow": flow}, 5)
    said = [record.getMessage() for record in caplog.records if "small-cell" in record.getMessage()]
    assert len(said) == 1 and "in children (flow/offered);" in said[0], said
    assert not re.search(r"\b(80|20|4|1)\b", said[0])


def test_linked_cells_hold_a_count_published_elsewhere():
    cells = LinkedCells(5)
    total, a, b = cells.add(40, hideable=False), cells.add(3), cells.add(37)
    cells.relate(total, [a, b])
    hidden = cells.protect()
    assert hidden[a] and hidden[b] and not hidden[total]


def test_docstring_examples_run():
    import doctest

    import pipeline.privacy
    result = doctest.testmod(pipeline.privacy, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 5


def test_linked_cells_svd_falls_back_to_gesvd_when_gesdd_does_not_converge() -> None:
    from unittest import mock

    from pipeline.privacy import _singular_values_and_basis

    # a circulant 0/1 matrix: eigenvalues 2 and a pair of modulus 1, so singular values 2, 1, 1
    matrix = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    failing = mock.patch.object(np.linalg, "svd",
                                side_effect=np.linalg.LinAlgError("SVD did not converge"))
    with failing:
        singular, basis = _singular_values_and_basis(matrix)
    assert singular == pytest.approx([2.0, 1.0, 1.0])
    assert basis @ basis.T == pytest.approx(np.eye(3))


def test_what_lapack_prints_when_gesdd_gives_up_does_not_reach_the_user(capfd) -> None:
    import ctypes
    from unittest import mock

    from pipeline.privacy import _singular_values_and_basis

    # LAPACK's error handler writes with C's printf to the process's stdout (seen in a demo
    # site's run: " ** On entry to DLASCL parameter number  4 had an illegal value"); here a
    # gesdd that prints as it does and then fails, as numpy reports it
    def gesdd_giving_up(*_args, **_kwargs):
        ctypes.CDLL(None).printf(b" ** On entry to DLASCL parameter number  4 had an illegal value\n")
        raise np.linalg.LinAlgError("SVD did not converge")

    matrix = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    with mock.patch.object(np.linalg, "svd", side_effect=gesdd_giving_up):
        singular, _ = _singular_values_and_basis(matrix)
    print("after")  # stdout itself is back
    ctypes.CDLL(None).printf(b"C after\n")
    ctypes.CDLL(None).fflush(None)
    captured = capfd.readouterr()
    assert singular == pytest.approx([2.0, 1.0, 1.0])
    assert "DLASCL" not in captured.out + captured.err
    assert "after" in captured.out and "C after" in captured.out


@pytest.mark.parametrize("block_rows", [2, 100_000])
def test_the_demo_key_needs_half_the_valid_children_listed_read_block_by_block_or_at_once(
        tmp_path, monkeypatch: pytest.MonkeyPatch, block_rows: int) -> None:
    # the decision is the share of the *valid* numbers that the marker lists (invalid rows
    # count for nothing), whether the rows are read in blocks of 2 or all at once
    from pipeline import privacy
    from tests.studykit import bad_check, pnr

    monkeypatch.setattr(privacy, "_MARKER_BLOCK_ROWS", block_rows)
    children = [pnr(f"202001{day:02d}", "123") for day in range(1, 5)]  # 4 valid numbers
    privacy.write_synthetic_marker(tmp_path, pd.Series(children[:2]))  # 2 of them listed
    today = dt.date(2025, 1, 1)
    invalid = [bad_check(pnr("20200110", "123")), "not a number"]
    # 2 of 4 valid listed (50 %), 2 invalid rows besides: accepted (2 < half of the 6 rows, so
    # only the whole count decides)
    privacy.check_synthetic_marker(tmp_path, pd.Series(invalid + children), today)
    # 2 of 5 valid listed (40 %): refused, the share said
    more = [*children, pnr("20200120", "123")]
    with pytest.raises(KeyMissingError, match="only 40% of the children"):
        privacy.check_synthetic_marker(tmp_path, pd.Series(invalid + more), today)
    # no valid number at all: refused
    with pytest.raises(KeyMissingError, match="only 0% of the children"):
        privacy.check_synthetic_marker(tmp_path, pd.Series(invalid), today)


def test_positions_in_a_value_set() -> None:
    import pyarrow as pa

    from pipeline.privacy import positions_in

    known = pa.array(["a", "b", "c"], pa.large_string())
    found = positions_in(pa.array(["c", None, "x", "a"], pa.large_string()), known)
    assert found.tolist() == [2, -1, -1, 0] and found.dtype == np.int64
    assert positions_in(pa.array([], pa.large_string()), known).tolist() == []


def test_distinct_positions_in_hashes_the_smaller_side_and_finds_the_same() -> None:
    import pyarrow as pa

    from pipeline.privacy import distinct_positions_in

    known = pa.array(["a", "b", "c", "d", "e"], pa.large_string())
    # fewer strings than the value set: the value set is looked up among them
    found = distinct_positions_in(pa.array(["d", "x", "a"], pa.large_string()), known)
    assert found.tolist() == [3, -1, 0] and found.dtype == np.int64
    # more strings than the value set: as positions_in
    many = pa.array(["e", "q", "b", "r", "s", "t", "a"], pa.large_string())
    assert distinct_positions_in(many, known).tolist() == [4, -1, 1, -1, -1, -1, 0]
    assert distinct_positions_in(pa.array([], pa.large_string()), known).tolist() == []
    assert distinct_positions_in(pa.array(["a"], pa.large_string()),
                                 pa.array([], pa.large_string())).tolist() == [-1]


def test_a_register_let_go_cannot_be_used() -> None:
    import datetime as dt

    from pipeline.privacy import PersonnummerRegister, Pseudonymiser

    register = PersonnummerRegister(dt.date(2024, 6, 30), Pseudonymiser(b"k" * 32))
    register.entries(pd.Series(["20200101-0005"]))
    register.let_go()
    with pytest.raises(RuntimeError, match="let go"):
        register.entries(pd.Series(["20200101-0005"]))


def test_a_personnummer_glued_to_letters_is_masked_and_found() -> None:
    """A review typed "pnr8504027890" into a reason column and "19850402-7890x" beside it: both
    reached data_clean/ and a rejects table in clear, and `validate` printed one. Glued to a
    letter, a number is taken where it reads as a personnummer (its check digit and date); a
    run of a hash's hex digits is not, nor a product code that fails the check digit."""
    glued = ["pnr8504027890", "19850402-7890x", "nr8112189876 ring"]
    masked, found = mask_personnummer_like(pd.Series([*glued, "kod X1234567890", None]))
    assert masked.tolist()[:4] == ["pnr##########", "########-####x", "nr########## ring", "kod X1234567890"]
    assert found.tolist() == [True, True, True, False, False]
    message = "amning: 'pnr8504027890' is not a category"
    assert mask_text(message) == "amning: 'pnr##########' is not a category"
    assert find_personnummer_like(" ".join(glued)) == ["##########", "########-####", "##########"]
    sha256 = hashlib.sha256(b"x").hexdigest()[:40] + "8504027890" + "abcdef0123456" + "a"
    assert len(sha256) == 64 and find_personnummer_like(f"file {sha256} written") == []
    # a name of hexadecimal letters glued to a number is no hash (a review: "Ebba198112189876",
    # 16 hexadecimal characters, passed where any run of 16 or more did)
    for name in ("Ebba198112189876", "Fredde198112189876", "mor:Adde198112189876", "0xdeadbeef8112189876"):
        assert find_personnummer_like(name) != [] and "9876" not in mask_text(name), name
