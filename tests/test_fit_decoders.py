"""The native FIT decoder and fitdecode give the same activities on every corpus file.

The import reads FIT files with pyfitparsernative (fast) and falls back to fitdecode where the native
one cannot; this proves the fast path changes nothing a runner sees, and that broken files get
the same one-line reasons whichever decoder would have read them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from loadwatch.errors import LoadwatchError
from loadwatch.importers import fit
from loadwatch.importers.fit import read_fit
from loadwatch.synth import SyntheticRun, write_run

CORPUS = Path(__file__).parent / "data" / "corpus"
# The corpus, and the files built for issue 22 (a chained file, a lost lap, a re-saved copy...).
FIT_FILES = sorted(CORPUS.rglob("*.fit")) + sorted((CORPUS.parent / "fidelity").glob("*.fit"))
# The one corpus file whose records hold `compressed_speed_distance`, a component field only
# fitdecode expands; the native path hands it over whole.
NEEDS_FITDECODE = {"compressed-speed-distance.fit"}


def _outcome(data: bytes, path: str, decoder: str):
    try:
        return read_fit(data, path, decoder=decoder)
    except LoadwatchError as e:
        return (type(e).__name__, str(e))


def test_the_corpus_has_good_and_broken_fit_files():
    assert len(FIT_FILES) >= 60
    assert any(p.parent.name == "bad" for p in FIT_FILES)


@pytest.mark.parametrize("path", FIT_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_both_decoders_give_identical_activities(path: Path):
    data = path.read_bytes()
    slow = _outcome(data, str(path), "fitdecode")
    if path.parent.name == "bad" or path.name in NEEDS_FITDECODE:
        assert _outcome(data, str(path), "auto") == slow
    else:
        # Not a silent fallback: the fast path decodes this file itself, to the same activities.
        assert _outcome(data, str(path), "native") == slow


def test_a_component_field_is_handed_to_fitdecode():
    path = CORPUS / "fit" / "compressed-speed-distance.fit"
    data = path.read_bytes()
    with pytest.raises(fit._NeedsFitdecode):
        read_fit(data, str(path), decoder="native")
    # fitdecode expands it, and finds a watch whose clock was never set (device-relative times).
    with pytest.raises(LoadwatchError, match="no clock time"):
        read_fit(data, str(path))


def test_the_device_is_named_alike_by_both():
    path = CORPUS / "fit" / "garmin-fenix-5-run.fit"
    (fast,) = read_fit(path.read_bytes(), str(path), decoder="native")
    assert fast.device == "garmin/fenix5"


def test_the_crc_is_the_fit_crc():
    # The FIT SDK's reference: CRC-16/ARC of "123456789" is 0xBB3D.
    assert fit.fit_crc(b"123456789") == 0xBB3D
    data = bytearray((CORPUS / "fit" / "Activity.fit").read_bytes())
    data[40] ^= 0x01
    with pytest.raises(LoadwatchError, match="checksum mismatch"):
        read_fit(bytes(data), "flipped.fit")


@pytest.mark.parametrize(
    ("offset", "kept"),
    [
        (3600, 3600),  # Berlin in winter
        (13 * 3600, 13 * 3600),  # Auckland in summer
        (-10 * 3600, -10 * 3600),  # Honolulu
        (12 * 3600 + 2700, 12 * 3600 + 2700),  # Chatham Islands, +12:45
        (0, 0),
        (None, None),  # no local_timestamp
        (3600 + 420, None),  # not a whole quarter hour: a device's bug
        (15 * 3600, None),  # no clock is 15 h from UTC
    ],
)
def test_both_decoders_read_the_same_local_offset(tmp_path: Path, offset, kept) -> None:
    start = datetime(2026, 11, 8, 5, 30, tzinfo=UTC)
    path = write_run(
        SyntheticRun(start, 3000.0, utc_offset_s=offset, record_interval_s=10), tmp_path / "r.fit"
    )
    data = path.read_bytes()
    (fast,) = read_fit(data, str(path), decoder="native")
    assert fast == _outcome(data, str(path), "fitdecode")[0]
    assert fast.utc_offset_s == kept
