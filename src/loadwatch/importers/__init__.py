"""Read one file into activities, choosing the reader by the bytes, not by the name.

`read_file(path)` is the single entry point the ingest pool calls; it returns activities or raises
UnreadableFile / NotAnActivity with a one-line reason.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import replace
from io import BufferedReader
from pathlib import Path

from ..errors import UnreadableFile
from ..model import Activity

# File names the folder walk picks up; anything else in a folder is ignored.
ACTIVITY_SUFFIXES = (".fit", ".gpx", ".tcx", ".fit.gz", ".gpx.gz", ".tcx.gz")
# What a format may weigh before decoding it would cost more memory than an import may use
# (under 300 MB for a whole batch). Measured peaks of one file at its cap: FIT 12 MiB about
# 150 MB (fitdecode, streamed), GPX 48 MiB about 140 MB and TCX 48 MiB about 80 MB (both read as
# streams). Real files are smaller: a 24-hour FIT at 1 Hz is about 5 MB, the same day as GPX with
# heart rate and cadence about 20 MB, as TCX about 34 MB. A larger file is refused with its size.
FORMAT_LIMITS = {"fit": 12 * 2**20, "gpx": 48 * 2**20, "tcx": 48 * 2**20}
# Files above this are decoded one at a time (ingest.py): two at their caps would pass 300 MB.
HEAVY_BYTES = 2**20
MAX_FILE_BYTES = max(FORMAT_LIMITS.values())
MAX_GUNZIP_BYTES = MAX_FILE_BYTES
# What a gzip may inflate to beyond its format's cap: this many times its size (as an archive
# member may, `import.max_compression_ratio`), plus a little for tiny files. Real activity files
# gzip 2 to 15 times; a 2.8 KB hostile .fit.gz inflated to a 2.8 MB FIT that took 425 MiB.
GZIP_MAX_RATIO = 100
GZIP_SLACK_BYTES = 64 * 2**10


def size_cap(name: str) -> tuple[str, int]:
    """What a file or archive member of this name may weigh, by the format its name says
    (`.fit.gz` is a FIT once inflated): (the format, or "" for none, and its cap in bytes)."""
    lower = name.lower()
    lower = lower[:-3] if lower.endswith(".gz") else lower
    kind = lower.rsplit(".", 1)[-1]
    return (kind, FORMAT_LIMITS[kind]) if kind in FORMAT_LIMITS else ("", MAX_FILE_BYTES)


def refused_size(kind: str, size: int, limit: int) -> str:
    what = f"{kind.upper()} file" if kind else "file"
    return (
        f"{what} of {size / 2**20:.0f} MiB; refused (more than {limit // 2**20} MiB is no "
        f"single activity)"
    )


def is_activity_name(path: Path | str) -> bool:
    return str(path).lower().endswith(ACTIVITY_SUFFIXES)


def is_archive_name(path: Path | str) -> bool:
    """Zip files: account exports (Strava, Garmin) or plain zips of activity files."""
    return str(path).lower().endswith(".zip")


MAX_XML_DEPTH = 200  # real GPX and TCX nest about 10 deep
_TAG = re.compile(rb"<(/?)[^\s/>!?][^>]*?(/?)>")


def check_depth(data: bytes, path: str) -> None:
    """Refuse XML nested absurdly deep before a parser recurses into it: 200,000 nested elements
    in a GPX's <extensions> made the parser crash the whole process (a segmentation fault)."""
    depth = 0
    for m in _TAG.finditer(data):
        if m.group(1):
            depth -= 1
        elif not m.group(2):
            depth += 1
            if depth > MAX_XML_DEPTH:
                raise UnreadableFile(
                    path, f"XML nested deeper than {MAX_XML_DEPTH} levels; refused"
                )


MAX_XML_NODE_BYTES = 2**20  # real GPX and TCX text runs to a few kilobytes (a description)


def check_node_sizes(data: bytes, path: str) -> None:
    """Refuse an attribute or a text of a megabyte or more before any parser reads it: one
    20 MB attribute in a GPX took 30 s to import.

    Both are runs of bytes between two angle brackets. Any run of MAX_XML_NODE_BYTES holds a whole
    window of half that, aligned; windows without a bracket are few (none in a real file), and
    only around those is the run measured, so this costs a few searches per half megabyte."""
    window = MAX_XML_NODE_BYTES // 2
    start = 0
    while start < len(data):
        end = min(start + window, len(data))
        if data.find(b"<", start, end) >= 0 or data.find(b">", start, end) >= 0:
            start = end
            continue
        before = max(data.rfind(b"<", 0, start), data.rfind(b">", 0, start))
        lt, gt = data.find(b"<", end), data.find(b">", end)
        after = min(x for x in (lt, gt, len(data)) if x >= 0)
        if after - before - 1 >= MAX_XML_NODE_BYTES:
            raise UnreadableFile(
                path,
                f"an XML attribute or text of {MAX_XML_NODE_BYTES // 2**20} MiB or more; refused",
            )
        start = after


_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
# What expat reads itself; anything else (Shift-JIS from a Japanese app, a typo) is not.
_EXPAT_ENCODINGS = {"utf8", "utf-8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1"}


def xml_start(data: bytes, path: str = "") -> bytes:
    """XML from its first `<`, in an encoding the parser reads.

    Some exporters (a Polar V800's TCX) write whitespace or a byte order mark before the
    declaration, which XML parsers refuse. A file declared in an encoding expat cannot read
    (multi-byte ones such as Shift-JIS) is decoded here and handed on as UTF-8; an encoding
    nobody knows is the file's one-line failure."""
    data = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    m = _DECLARED_ENCODING.match(data[:200])
    if m is None or m.group(1).decode("ascii").lower() in _EXPAT_ENCODINGS:
        return data
    name = m.group(1).decode("ascii")
    try:
        text = data.decode(name)
    except LookupError as e:
        raise UnreadableFile(path, f"XML declares an unknown encoding {name!r}") from e
    except UnicodeDecodeError as e:
        raise UnreadableFile(path, f"XML is not the {name} it declares ({e.reason})") from e
    start, end = m.span(1)
    return (data[:start].decode("ascii") + "UTF-8" + text[end:]).encode("utf-8")


def sniff(data: bytes) -> str | None:
    """'fit', 'gpx', 'tcx', 'html', 'xml' or None, from the first bytes."""
    if len(data) >= 12 and data[8:12] == b".FIT":
        return "fit"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<") or head.startswith(b"<?xml"):
        if b"<gpx" in head:
            return "gpx"
        if b"<trainingcenterdatabase" in head:
            return "tcx"
        if b"<html" in head or b"<!doctype html" in head:
            return "html"
        return "xml"
    return None


def gunzip(data: bytes, path: str, limit: int = MAX_GUNZIP_BYTES) -> bytes:
    """Decompress with a cap on the bytes actually produced, so a gzip bomb costs no memory:
    `limit` (the format's cap), and no more than GZIP_MAX_RATIO times the gzip's size."""
    if not data:
        raise UnreadableFile(path, "empty .gz file")
    ratio_cap = GZIP_MAX_RATIO * len(data) + GZIP_SLACK_BYTES
    cap = min(limit, ratio_cap)
    d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, cap + 1)
    except zlib.error as e:
        raise UnreadableFile(path, f"corrupt gzip data ({e})") from e
    if len(out) > cap:
        if cap == ratio_cap:
            raise UnreadableFile(
                path, f"gzip inflates more than {GZIP_MAX_RATIO} times (a gzip bomb?); refused"
            )
        raise UnreadableFile(path, f"gzip member inflates beyond {limit // 2**20} MiB; refused")
    if not d.eof:
        raise UnreadableFile(path, "truncated gzip file")
    return out


def _reader(kind: str):
    # Imported on first use: an import of an unchanged folder never pays for numpy or gpxpy.
    if kind == "fit":
        from .fit import read_fit

        return read_fit
    if kind == "gpx":
        from .gpx import read_gpx

        return read_gpx
    from .tcx import read_tcx

    return read_tcx


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stream_hash(f: BufferedReader) -> str:
    """`content_hash` of an open file, read in chunks: an account export may be larger than
    memory should hold (the import and the backfill hash the archive itself)."""
    return hashlib.file_digest(f, "sha256").hexdigest()


def read_bytes(data: bytes, path: str, name: str | None = None) -> list[Activity]:
    """Activities from a file's bytes; `name` (default: path) decides only whether to gunzip."""
    name = (name or path).lower()
    if name.endswith(".gz") or data[:2] == b"\x1f\x8b":
        data = gunzip(data, path, size_cap(name)[1])
        name = name[:-3] if name.endswith(".gz") else name
    if not data:
        raise UnreadableFile(path, "empty file")
    kind = sniff(data)
    if kind in FORMAT_LIMITS and len(data) > FORMAT_LIMITS[kind]:
        raise UnreadableFile(path, refused_size(kind, len(data), FORMAT_LIMITS[kind]))
    if kind in ("gpx", "tcx"):
        check_node_sizes(data, path)
    if kind in ("fit", "gpx", "tcx"):
        from .checks import check

        return check(_reader(kind)(data, path), path)
    if kind == "html":
        raise UnreadableFile(path, "an HTML page, not an activity file (a failed download?)")
    if kind == "xml":
        raise UnreadableFile(path, "XML but neither GPX nor TCX")
    expected = name.rsplit(".", 1)[-1] if "." in name else ""
    if expected in ("fit", "gpx", "tcx"):
        raise UnreadableFile(path, f"not a {expected.upper()} file: unrecognised content")
    # Named directly (a folder's are chosen by name): "not a MD file" said nothing useful.
    raise UnreadableFile(path, "not an activity file (FIT, GPX or TCX): unrecognised content")


def read_stamped(data: bytes, path: str, digest: str) -> list[Activity]:
    """Activities of a file's bytes, each stamped with where it came from and the bytes' hash."""
    return [replace(a, source_path=path, content_hash=digest) for a in read_bytes(data, path)]


def read_file(path: Path | str) -> list[Activity]:
    """Read a FIT/GPX/TCX file (or its .gz) and stamp each activity with its source and hash."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UnreadableFile(p, f"file larger than {MAX_FILE_BYTES // 2**20} MiB; refused")
        data = p.read_bytes()
    except UnreadableFile:
        raise
    except IsADirectoryError as e:
        raise UnreadableFile(p, "is a directory") from e
    except OSError as e:
        raise UnreadableFile(p, f"cannot read: {e.strerror or e}") from e
    return read_stamped(data, str(p), content_hash(data))


__all__ = [
    "ACTIVITY_SUFFIXES",
    "content_hash",
    "gunzip",
    "is_activity_name",
    "is_archive_name",
    "read_bytes",
    "read_file",
    "read_stamped",
    "sniff",
]
