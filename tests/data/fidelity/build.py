"""Writes the issue-22 test files in this folder: `python tests/data/fidelity/build.py`.

The FIT files are written with fit-tool (the `test` extra), the GPX files as text. Every value a
test expects is set here, so the expected figures can be read off this script by hand.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).parent


def hr_gpx(cycle: list[int], point, ns: str, creator: str, n: int = 120) -> str:
    """n+1 points 5 s apart at 11 km/h; heart rate repeats `cycle`. Each reading holds until the
    next, so the average is the mean of the first n readings: the mean of `cycle`."""
    start = datetime(2021, 5, 2, 8, 30, tzinfo=UTC)
    pts = []
    for i in range(n + 1):
        t = (start + timedelta(seconds=5 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lat = f"{47.0 + i * 5 * (11 / 3.6) / 111_320:.7f}"
        pts.append(point(lat, t, cycle[i % len(cycle)]))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<gpx version="1.1" creator="{creator}" xmlns="http://www.topografix.com/GPX/1/1" {ns}>\n'
        "<trk><name>Lauf</name><type>running</type><trkseg>\n"
        + "\n".join(pts)
        + "\n</trkseg></trk></gpx>\n"
    )


def gpx_files() -> None:
    # Heart rate as an attribute of the point's extension element: average 112 by hand.
    (HERE / "hr-attribute.gpx").write_text(
        hr_gpx(
            [108, 110, 112, 114, 116],
            lambda lat, t, hr: (
                f'<trkpt lat="{lat}" lon="8.5000000"><ele>410</ele><time>{t}</time>'
                f'<extensions><st:sample st:hr="{hr}" st:cad="84"/></extensions></trkpt>'
            ),
            'xmlns:st="urn:example:sportswatch-desktop:1"',
            "Sportswatch Desktop 3.2",
        )
    )
    # Heart rate TCX-style inside the extensions: average 106 by hand.
    (HERE / "hr-heartratebpm.gpx").write_text(
        hr_gpx(
            [100, 104, 106, 108, 112],
            lambda lat, t, hr: (
                f'<trkpt lat="{lat}" lon="8.5000000"><ele>410</ele><time>{t}</time>'
                f"<extensions><HeartRateBpm><Value>{hr}</Value></HeartRateBpm>"
                "<pulse_quality>good</pulse_quality></extensions></trkpt>"
            ),
            "",
            "Sportswatch Desktop 3.2",
        )
    )


def fit_files() -> None:
    from loadwatch.synth import SyntheticRun, write_run

    # 1. No session total_distance; the laps stop at 12.7 km, 15 min before the records end at
    # 15.2 km (the session's timer, 5,472 s, covers them all).
    write_run(
        SyntheticRun(
            datetime(2024, 3, 9, 7, 30, tzinfo=UTC),
            15_200.0,
            pace_s_per_km=360.0,
            record_interval_s=4,
            session_distance=False,
            lost_laps_s=900,
        ),
        HERE / "lost-final-lap-no-session-distance.fit",
    )

    # 2. A chained file: a pool swim and a run recorded back to back into one file, each its own
    # FIT file with its own session (without totals), both stamped with the same start.
    same_start = datetime(2023, 6, 17, 6, 45, tzinfo=UTC)
    swim = write_run(
        SyntheticRun(
            same_start,
            457.0,
            pace_s_per_km=1300.0,
            sport="swimming",
            sub_sport="lap_swimming",
            hr_mean=128.0,
            record_interval_s=5,
            session_distance=False,
            seed=2,
        ),
        HERE / "swim.part",
    )
    run = write_run(
        SyntheticRun(same_start, 3_600.0, record_interval_s=5, session_distance=False, seed=3),
        HERE / "run.part",
    )
    (HERE / "chained-swim-and-run.fit").write_bytes(swim.read_bytes() + run.read_bytes())
    swim.unlink()
    run.unlink()

    # 3. A 10 km run, paused at its end and saved 31 days later (a watch left recording).
    write_run(
        SyntheticRun(
            datetime(2022, 1, 8, 9, 0, tzinfo=UTC),
            10_000.0,
            record_interval_s=5,
            left_recording_s=31 * 86_400,
            seed=4,
        ),
        HERE / "left-recording-31-days.fit",
    )

    # 6. One 8 km run, and the same file re-saved by a desktop program with its clock 2 h on;
    # and a real second run that day, 2 h later, of the same length and time to the second
    # (a treadmill program) at another heart rate.
    morning = SyntheticRun(datetime(2025, 4, 12, 7, 0, tzinfo=UTC), 8_000.0, record_interval_s=5)
    write_run(morning, HERE / "resaved-original.fit")
    later = datetime(2025, 4, 12, 9, 0, tzinfo=UTC)
    write_run(replace(morning, start_utc=later), HERE / "resaved-clock-plus-2h.fit")
    write_run(
        replace(morning, start_utc=later, hr_mean=156.0, seed=6), HERE / "same-day-second-run.fit"
    )


if __name__ == "__main__":
    gpx_files()
    fit_files()
