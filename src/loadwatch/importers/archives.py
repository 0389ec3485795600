"""Read zip archives safely, in memory: nothing is ever extracted to disk by a member's name.

Refused as a whole (one-line reason, nothing imported from the archive): a corrupt zip, absolute or
`..` member names, too many members, a member or total larger than the caps, a compression ratio
beyond the cap, nesting deeper than allowed. The ratio and size are checked on the declared sizes
before anything is inflated, and again on the bytes actually produced while reading, in chunks,
so a 500 KB zip that inflates to 512 MB is refused at once and never holds that memory.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib

from ..errors import UnreadableFile
from ..model import ArchiveLimits

CHUNK = 1 << 20


DEFAULT_LIMITS = ArchiveLimits()


def _unsafe(name: str) -> bool:
    if name.startswith(("/", "\\")) or "\\" in name or (len(name) > 1 and name[1] == ":"):
        return True
    return ".." in posixpath.normpath(name).split("/") or ".." in name.split("/")


class SafeZip:
    """A zip opened from bytes, its directory checked before any member is read."""

    def __init__(
        self, data: bytes, label: str, limits: ArchiveLimits = DEFAULT_LIMITS, depth: int = 1
    ):
        self.label = label
        self.limits = limits
        self.depth = depth
        if depth > limits.max_depth:
            raise UnreadableFile(
                label, f"archive nested deeper than {limits.max_depth} levels; refused"
            )
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as e:
            raise UnreadableFile(label, f"corrupt zip archive ({e})") from e
        if len(infos) > limits.max_members:
            raise UnreadableFile(
                label, f"archive has {len(infos)} members, more than {limits.max_members}; refused"
            )
        total = 0
        for info in infos:
            if _unsafe(info.filename):
                raise UnreadableFile(
                    label, f"unsafe member name {info.filename!r} in archive; refused"
                )
            if info.flag_bits & 0x1:
                raise UnreadableFile(label, f"encrypted member {info.filename!r}; refused")
            if info.file_size > limits.max_member_bytes:
                raise UnreadableFile(
                    label,
                    f"member {info.filename!r} is {info.file_size} bytes, over the "
                    f"{limits.max_member_bytes // 2**20} MiB cap; refused",
                )
            if (
                info.file_size > limits.max_ratio * max(info.compress_size, 1)
                and info.file_size > CHUNK
            ):
                raise UnreadableFile(
                    label,
                    f"member {info.filename!r} inflates {info.file_size / max(info.compress_size, 1):.0f}x, "
                    f"beyond the {limits.max_ratio:g}x cap (a zip bomb?); refused",
                )
            total += info.file_size
        if total > limits.max_total_bytes:
            raise UnreadableFile(
                label,
                f"archive inflates to {total} bytes, over the "
                f"{limits.max_total_bytes // 2**20} MiB cap; refused",
            )
        self.infos = [i for i in infos if not i.is_dir()]
        self.names = {i.filename: i for i in self.infos}

    def read(self, name: str) -> bytes:
        """A member's bytes, counted as they inflate: a lying header cannot make it grow."""
        info = self.names[name]
        cap = min(self.limits.max_member_bytes, max(info.file_size, 0))
        ratio_cap = self.limits.max_ratio * max(info.compress_size, 1) + CHUNK
        out = bytearray()
        try:
            with self.zf.open(info) as f:
                while chunk := f.read(CHUNK):
                    out += chunk
                    if len(out) > cap or len(out) > ratio_cap:
                        raise UnreadableFile(
                            f"{self.label}!{name}", "member inflates beyond its caps; refused"
                        )
        except UnreadableFile:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as e:
            raise UnreadableFile(f"{self.label}!{name}", f"corrupt archive member ({e})") from e
        return bytes(out)

    def nested(self, name: str) -> SafeZip:
        return SafeZip(self.read(name), f"{self.label}!{name}", self.limits, self.depth + 1)
