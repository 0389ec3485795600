"""Read zip archives safely, member by member: nothing is ever extracted to disk by a member's name.

An archive on disk is read where it lies: its directory first, then only the members an importer
asks for, one at a time (an account export's photos and videos are never read, and cost nothing).
Refused as a whole (one-line reason, nothing imported from the archive): a corrupt zip, too many
members, nesting deeper than allowed, and, for each member that is read, an absolute or `..` name,
encryption, a size or compression ratio beyond the caps, or a total read beyond the cap. Sizes and
ratios are checked on the declared sizes before anything is inflated, and again on the bytes
actually produced, in chunks, so a 500 KB zip that inflates to 512 MB is refused at once and never
holds that memory.
"""

from __future__ import annotations

import io
import os
import posixpath
import zipfile
import zlib
from typing import IO

from ..errors import UnreadableFile
from ..model import ArchiveLimits

CHUNK = 1 << 20


DEFAULT_LIMITS = ArchiveLimits()


def _unsafe(name: str) -> bool:
    if name.startswith(("/", "\\")) or "\\" in name or (len(name) > 1 and name[1] == ":"):
        return True
    return ".." in posixpath.normpath(name).split("/") or ".." in name.split("/")


class ArchiveRefused(UnreadableFile):
    """A member breaks a cap: the whole archive is refused, not just that member."""


class SafeZip:
    """A zip opened from a path or an open file (read in place) or from bytes (a zip inside a
    zip); its directory is checked at once, each member when it is read."""

    def __init__(
        self,
        source: bytes | str | os.PathLike[str] | IO[bytes],
        label: str,
        limits: ArchiveLimits = DEFAULT_LIMITS,
        depth: int = 1,
        budget: list[int] | None = None,
    ):
        self.label = label
        self.limits = limits
        self.depth = depth
        # Bytes this archive and the zips inside it may still inflate, shared down the tree.
        self.budget = budget if budget is not None else [limits.max_total_bytes]
        if depth > limits.max_depth:
            raise UnreadableFile(
                label, f"archive nested deeper than {limits.max_depth} levels; refused"
            )
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as e:
            raise UnreadableFile(label, f"corrupt zip archive ({e})") from e
        if len(infos) > limits.max_members:
            self.zf.close()
            raise UnreadableFile(
                label, f"archive has {len(infos)} members, more than {limits.max_members}; refused"
            )
        self.infos = [i for i in infos if not i.is_dir()]
        self.names = {i.filename: i for i in self.infos}

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.zf.close()

    def _admit(self, info: zipfile.ZipInfo) -> None:
        """The checks of one member, on its declared sizes, before a byte of it is inflated."""
        label, limits, name = self.label, self.limits, info.filename
        if _unsafe(name):
            raise ArchiveRefused(label, f"unsafe member name {name!r} in archive; refused")
        if info.flag_bits & 0x1:
            raise ArchiveRefused(label, f"encrypted member {name!r}; refused")
        if info.file_size > limits.max_member_bytes:
            raise ArchiveRefused(
                label,
                f"member {name!r} is {info.file_size} bytes, over the "
                f"{limits.max_member_bytes // 2**20} MiB cap; refused",
            )
        if (
            info.file_size > limits.max_ratio * max(info.compress_size, 1)
            and info.file_size > CHUNK
        ):
            raise ArchiveRefused(
                label,
                f"member {name!r} inflates {info.file_size / max(info.compress_size, 1):.0f}x, "
                f"beyond the {limits.max_ratio:g}x cap (a zip bomb?); refused",
            )
        if info.file_size > self.budget[0]:
            raise ArchiveRefused(label, self._over_total())

    def admit(self, name: str) -> int:
        """A member's declared size, once it passes the archive's caps (else ArchiveRefused)."""
        info = self.names[name]
        self._admit(info)
        return info.file_size

    def _over_total(self) -> str:
        cap = self.limits.max_total_bytes
        return (
            f"archive inflates to more than {cap} bytes, over the {cap // 2**20} MiB cap; refused"
        )

    def read(self, name: str) -> bytes:
        """A member's bytes, counted as they inflate: a lying header cannot make it grow."""
        info = self.names[name]
        self._admit(info)
        cap = min(self.limits.max_member_bytes, max(info.file_size, 0))
        ratio_cap = self.limits.max_ratio * max(info.compress_size, 1) + CHUNK
        out = bytearray()
        try:
            with self.zf.open(info) as f:
                while chunk := f.read(CHUNK):
                    out += chunk
                    if len(out) > cap or len(out) > ratio_cap:
                        raise ArchiveRefused(
                            f"{self.label}!{name}", "member inflates beyond its caps; refused"
                        )
        except UnreadableFile:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as e:
            raise UnreadableFile(f"{self.label}!{name}", f"corrupt archive member ({e})") from e
        self.budget[0] -= len(out)
        if self.budget[0] < 0:
            raise ArchiveRefused(self.label, self._over_total())
        return bytes(out)

    def nested(self, name: str) -> SafeZip:
        return SafeZip(
            self.read(name), f"{self.label}!{name}", self.limits, self.depth + 1, self.budget
        )
