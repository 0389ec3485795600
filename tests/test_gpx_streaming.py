"""The streamed GPX reader (files over 2 MiB) against gpxpy's tree (the others): the same activity
or the same refusal for every corpus GPX, for hand-made edge cases, and for a few hundred
mutated files; and a long file, read only by streaming, gives what its points add up to."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from loadwatch.errors import NotAnActivity, UnreadableFile
from loadwatch.importers.gpx import GPXPY_MAX_BYTES, read_gpx

from .conftest import CORPUS
from .test_fuzz import mutate

GPX_FILES = sorted((CORPUS / "gpx").glob("*.gpx"))


def outcome(data: bytes, stream: bool):
    try:
        return read_gpx(data, "x.gpx", stream=stream)
    except (UnreadableFile, NotAnActivity) as e:
        return type(e).__name__, e.reason


@pytest.mark.parametrize("path", GPX_FILES, ids=lambda p: p.name)
def test_every_corpus_gpx_reads_the_same_streamed(path: Path) -> None:
    data = path.read_bytes()
    tree = outcome(data, stream=False)
    assert outcome(data, stream=True) == tree


def gpx(
    points: str, head: str = "", version: str = "1.1", ns: str = "http://www.topografix.com/GPX/1/1"
) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="{version}" creator="Test" '
        f'xmlns="{ns}" xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"{head}<trk><name> Long run </name><type>running</type><trkseg>{points}</trkseg></trk></gpx>"
    ).encode()


def pt(i: int, lat: str | None = None, extra: str = "") -> str:
    lat = lat if lat is not None else f'lat="46.{i:05d}" lon="14.50000"'
    return (
        f"<trkpt {lat}><ele>{300 + i % 7}</ele><time>2026-10-04T07:{i // 60:02d}:{i % 60:02d}Z</time>"
        f"<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{120 + i % 30}</gpxtpx:hr>"
        f"</gpxtpx:TrackPointExtension></extensions>{extra}</trkpt>"
    )


RUN = "".join(pt(i) for i in range(0, 600, 2))
CASES = {
    "run": gpx(RUN),
    "gpx 1.0 with metadata name": gpx(RUN, "<name>Sunday</name>", version="1.0"),
    "metadata name": gpx(RUN, "<metadata><name>Sunday</name></metadata>"),
    "a point without a position": gpx(pt(0) + pt(2, lat="") + pt(4)),
    "a point with only a latitude": gpx(pt(0) + pt(2, lat='lat="46.1"') + pt(4)),
    "a bad elevation": gpx(pt(0) + pt(2).replace("<ele>302", "<ele>high") + pt(4)),
    "a bad time": gpx(pt(0) + pt(2).replace("2026-10-04T07", "yesterday") + pt(4)),
    "a bad waypoint": gpx(RUN, '<wpt lat="x" lon="14"/>'),
    "a route": gpx("", '<rte><rtept lat="46" lon="14"/></rte>'),
    "only waypoints": gpx("", '<wpt lat="46" lon="14"/>'),
    "no times": gpx(pt(0).replace("<time>", "<x>").replace("</time>", "</x>") * 3),
    "not well-formed": gpx(RUN)[:-40],
    "an entity": b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aa">]><gpx>&a;</gpx>',
    "no namespace": gpx(RUN, ns="").replace(b' xmlns=""', b""),
    "a foreign default namespace": gpx(RUN, ns="urn:other"),
    "a point nested in an extension": gpx(pt(0) + f"<extensions>{pt(2)}</extensions>" + pt(4)),
    "two tracks, the first unnamed": gpx(RUN).replace(b"<trk>", b"<trk><trkseg/></trk><trk>", 1),
    "heart rate as an attribute": gpx(RUN.replace("<gpxtpx:hr>", '<x hr="99"/><gpxtpx:hr>')),
    "heart rate TCX-style": gpx(
        RUN.replace(
            "<gpxtpx:TrackPointExtension>", "<HeartRateBpm><Value>101</Value></HeartRateBpm>"
        )
        .replace("</gpxtpx:TrackPointExtension>", "")
        .replace("<gpxtpx:hr>", "<pulse>")
        .replace("</gpxtpx:hr>", "</pulse>")
    ),
    "unreadable heart rate": gpx(RUN.replace("<gpxtpx:hr>12", "<gpxtpx:hr>n/a")),
}


@pytest.mark.parametrize("name", CASES)
def test_edge_cases_read_the_same_streamed(name: str) -> None:
    tree = outcome(CASES[name], stream=False)
    assert outcome(CASES[name], stream=True) == tree


def test_the_edge_cases_cover_what_they_name() -> None:
    """The cases above are not all refusals (a differential test of two refusals proves little)."""
    got = {name: outcome(data, stream=True) for name, data in CASES.items()}
    assert got["run"][0].distance_m > 600 and got["run"][0].avg_hr is not None
    assert got["a point without a position"][0].notes == ("1 point without a position dropped",)
    assert got["gpx 1.0 with metadata name"][0].name == "Long run"
    assert got["a route"] == ("NotAnActivity", "not an activity: GPX track has a route")
    assert got["only waypoints"][1].endswith("only waypoints")
    assert (
        got["a bad elevation"][0] == "UnreadableFile" and "invalid GPX" in got["a bad elevation"][1]
    )
    assert got["an entity"][1].startswith("GPX refused")
    assert got["not well-formed"][1].startswith("not well-formed XML")


def test_mutated_gpx_files_read_the_same_streamed() -> None:
    """Either the same activity or a refusal by both (for a file broken twice, the first fault
    each reader meets may differ, so only the kind of refusal is compared)."""
    rng = random.Random(20261125)
    sources = [p.read_bytes() for p in GPX_FILES if p.stat().st_size < 400_000]
    for i in range(300):
        data = mutate(rng.choice(sources), rng)
        tree, streamed = outcome(data, stream=False), outcome(data, stream=True)
        if isinstance(tree, tuple):
            assert isinstance(streamed, tuple) and streamed[0] == tree[0], (i, tree, streamed)
        else:
            assert streamed == tree, i


def test_a_file_over_the_tree_limit_is_streamed_and_adds_up() -> None:
    """Twelve hours at 1 Hz due north at 10 km/h, heart rate in every point: more than gpxpy's
    tree may hold, and the distance is the arc from the first point to the last."""
    import math

    n = 12 * 3600
    points = "".join(
        f'<trkpt lat="{46 + i * 0.000025:.6f}" lon="14.5"><ele>300</ele>'
        f"<time>2026-10-04T{7 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z</time>"
        f"<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>140</gpxtpx:hr>"
        f"</gpxtpx:TrackPointExtension></extensions></trkpt>"
        for i in range(n)
    )
    data = gpx(points)
    assert len(data) > GPXPY_MAX_BYTES
    (act,) = read_gpx(data, "long.gpx")
    arc = 6_371_008.8 * math.radians((n - 1) * 0.000025)
    assert act.distance_m == pytest.approx(arc, rel=1e-9)
    assert act.elapsed_s == act.moving_s == n - 1
    assert act.avg_hr == 140 and act.name == "Long run" and act.sport == "running"
    assert [act] == read_gpx(data, "long.gpx", stream=False)
