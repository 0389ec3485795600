"""Words that match the studies (issue 17, part 5): each claim as strong as its evidence, in every
place a runner reads it, and the old, stronger phrases kept out for good."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

import pytest

from .conftest import REPO, Cli

# Each phrase said more than its study found (or the wrong study), and must not come back.
OVERSTATED = {
    "before it turns into an injury": "loadwatch predicts no one's injury",
    "associate with fewer injuries": "true of the spike line only, not of the weekly +30% line",
    "associated with fewer injuries": "true of the spike line only, not of the weekly +30% line",
    "ranges studies associate": "true of the spike line only, not of the weekly +30% line",
    "ranges the studies associated": "true of the spike line only, not of the weekly +30% line",
    "were associated with more distance-related": "Nielsen's 95% CI 0.96-2.66 includes 1",
    "associated with more runner's knee": "Nielsen's 95% CI 0.96-2.66 includes 1",
    "rotating two pairs": "Malisoux 2015 studied more than one pair in parallel",
    "rotating shoes": "Malisoux 2015 studied more than one pair in parallel",
    "a related ratio went with fewer": "Frandsen studied the uncoupled 1:3-week ratio, not 7:28",
}


def _texts() -> list[Path]:
    files = [REPO / "README.md", REPO / "pyproject.toml"]
    files += sorted((REPO / "config").glob("*.toml"))
    files += sorted((REPO / "src" / "loadwatch").rglob("*.py"))
    files += sorted((REPO / "src" / "loadwatch").rglob("*.html"))
    return files


def test_no_overstated_phrase_anywhere_a_runner_reads() -> None:
    found = []
    for path in _texts():
        # Adjacent string literals joined and lines unwrapped: a phrase broken across two
        # source lines ("... more "\n f"distance-related ...") is still found.
        flat = re.sub(r'"\s*\n\s*[rfbu]*"', "", path.read_text().lower())
        flat = " ".join(flat.split())
        for phrase, why in OVERSTATED.items():
            if phrase in flat:
                found.append(f"{path.relative_to(REPO)}: {phrase!r} ({why})")
    assert found == []


def test_the_help_says_what_the_evidence_says(cli: Cli) -> None:
    text = " ".join(cli("--help").stdout.split())
    assert "Clearly for a single long run (Frandsen 2025), weakly for a weekly increase" in text
    assert "fewer injuries" not in text


@pytest.fixture
def emails(cli: Cli, tmp_path: Path) -> list[str]:
    """The emails a dry-run check writes: a moderate spike, a weekly jump and a shoe past 800 km."""
    cli("athletes", "add", "ana", "--email", "ana@example.com", "--tz", "UTC")
    cli("shoes", "add", "Peg", "--athlete", "ana", "--start-km", "795", "--default")
    for d in ("01", "04", "08", "11", "15", "18", "22", "25", "29"):
        cli(
            "activities",
            "add",
            "-a",
            "ana",
            "--date",
            f"2026-10-{d}",
            "--km",
            "8",
            "--minutes",
            "45",
        )
    cli("activities", "add", "-a", "ana", "--date", "2026-11-03", "--km", "14", "--minutes", "80")
    out = tmp_path / "out"
    cli("check", "--dry-run", "--outbox", str(out), "--as-of", "2026-11-03")
    (path,) = out.glob("*.eml")
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    body = " ".join(msg.get_body(("plain",)).get_content().split())  # type: ignore[union-attr]
    return body.split(" * ")[1:]  # one section per alert


def test_each_email_words_its_study_as_strong_as_it_is(emails: list[str]) -> None:
    spike = next(t for t in emails if "spike)" in t)
    assert "5,205 adult runners" in spike and "self-reported overuse injury" in spike
    assert "The bands were not monotonic (1.64 for more than 10% to 30%, 1.52 for" in spike
    weekly = next(t for t in emails if "more than the week before" in t)
    assert "its 95% CI (0.96-2.66, p = 0.07) includes no effect" in weekly
    assert "were associated with" not in weekly
    shoe = next(t for t in emails if "Peg:" in t)
    assert "ran in more than one pair in parallel had fewer injuries" in shoe
    assert "hazard ratio 0.614, 95% CI 0.389-0.969" in shoe and "rotating" not in shoe
