"""Long GPX and TCX files: time and peak memory of each reader, side by side.

    python bench/gpx_bench.py [--hours 7.5 64]

Writes day-long recordings at 1 Hz (position, elevation, heart rate, cadence) and reads each in a
fresh process: GPX through gpxpy's tree and streamed (what files over 2 MiB get), TCX streamed.
Peak RSS (VmHWM) is the reading process's, the file's bytes included (printed apart). Both
formats are capped at 48 MiB: 40 hours is the longest that fits both.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

READ = """
import sys, time
from pathlib import Path
from loadwatch.importers.gpx import read_gpx
from loadwatch.importers.tcx import read_tcx
path, how = sys.argv[1], sys.argv[2]
def hwm():  # this process's peak (ru_maxrss would count the parent's memory before exec)
    line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM"))
    return int(line.split()[1])
data = Path(path).read_bytes()
before = hwm()
t = time.perf_counter()
if how == "tcx":
    (a,) = read_tcx(data, path)
else:
    (a,) = read_gpx(data, path, stream=how == "stream")
took = time.perf_counter() - t
peak = hwm()
print(f"{took:.2f} {before / 1024:.0f} {peak / 1024:.0f} {a.distance_m / 1000:.1f}")
"""


def stamp(i: int) -> str:
    return f"2026-10-{4 + i // 86400:02d}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z"


def gpx(n: int) -> str:
    points = "".join(
        f'<trkpt lat="{46 + i * 0.00002:.6f}" lon="14.500000"><ele>{300 + i % 500 * 0.2:.1f}</ele>'
        f"<time>{stamp(i)}</time><extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>"
        f"{130 + i % 20}</gpxtpx:hr><gpxtpx:cad>88</gpxtpx:cad></gpxtpx:TrackPointExtension>"
        "</extensions></trkpt>\n"
        for i in range(n)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="bench" '
        'xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk><name>Ultra</name><type>running</type><trkseg>\n{points}</trkseg></trk></gpx>\n"
    )


def tcx(n: int) -> str:
    points = "".join(
        f"<Trackpoint><Time>{stamp(i)}</Time><Position><LatitudeDegrees>{46 + i * 0.00002:.6f}"
        "</LatitudeDegrees><LongitudeDegrees>14.5</LongitudeDegrees></Position><AltitudeMeters>"
        f"{300 + i % 500 * 0.2:.1f}</AltitudeMeters><DistanceMeters>{i * 2.2:.1f}</DistanceMeters>"
        f"<HeartRateBpm><Value>{130 + i % 20}</Value></HeartRateBpm><Cadence>88</Cadence>"
        "</Trackpoint>\n"
        for i in range(n)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><TrainingCenterDatabase xmlns='
        '"http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities><Activity '
        f'Sport="Running"><Id>{stamp(0)}</Id><Lap StartTime="{stamp(0)}"><TotalTimeSeconds>'
        f"{n - 1}</TotalTimeSeconds><DistanceMeters>{(n - 1) * 2.2:.1f}</DistanceMeters><Track>\n"
        f"{points}</Track></Lap></Activity></Activities></TrainingCenterDatabase>\n"
    )


def read(path: Path, how: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", READ, str(path), how], capture_output=True, text=True, check=True
    )
    took, before, peak, km = out.stdout.split()
    return f"{took:>6} s  peak {peak:>4} MB (file read: {before} MB)  {km} km"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, nargs="+", default=[7.5, 24.0, 40.0])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lw-gpx-bench-") as tmp:
        for hours in args.hours:
            n = int(hours * 3600)
            g, t = Path(tmp) / "long.gpx", Path(tmp) / "long.tcx"
            g.write_text(gpx(n))
            t.write_text(tcx(n))
            print(f"{hours:g} h at 1 Hz: GPX {g.stat().st_size / 2**20:.1f} MiB, "
                  f"TCX {t.stat().st_size / 2**20:.1f} MiB")  # fmt: skip
            hows = ["tree", "stream"] if g.stat().st_size <= 8 * 2**20 else ["stream"]
            for how in hows:
                print(f"  GPX {how:<6} {read(g, how)}")
            print(f"  TCX stream {read(t, 'tcx')}")


if __name__ == "__main__":
    main()
