"""A page for every run (issue 18): `loadwatch activities show ID [--json]` and the web's
`/activities/{id}`, read from the run's own file on both backends; splits, curves and outline
computed from its records, where it sits against the headroom of its day."""

from __future__ import annotations

import math
import shutil
import urllib.request
from pathlib import Path

import pytest

from .conftest import CORPUS, LAYOUT_PROBE, SAMPLES, Cli
from .test_web import Server, _ids

FIT = CORPUS / "fit" / "developer-types-sample.fit"
PAIRED_GPX = CORPUS / "paired" / "developer-types-sample-s0.gpx"


def _one(cli: Cli, athlete: str, path: Path) -> dict:
    cli("import", str(path), "--athlete", athlete)
    return next(
        a for a in cli.json("activities", "--athlete", athlete) if a["source_path"] == str(path)
    )


@pytest.fixture
def runner(cli: Cli, tmp_path: Path) -> tuple[Cli, Path]:
    """ana with one real FIT run, copied where the test may move or change it."""
    cli("athletes", "add", "ana", "--tz", "Europe/Berlin")
    copy = tmp_path / "run.fit"
    shutil.copyfile(FIT, copy)
    return cli, copy


def test_show_gives_splits_from_the_files_records_that_add_up_to_the_run(runner) -> None:
    cli, path = runner
    run = _one(cli, "ana", path)
    page = cli.json("activities", "show", str(run["id"]))
    for key in ("distance_m", "moving_s", "step_rate_spm", "ascent_m", "descent_m", "avg_hr"):
        assert page[key] == run[key]  # the stored row, as the list gives it
    assert page["records"] == {"source": "FIT records", "problem": None}
    splits = page["splits"]
    assert len(splits) == math.ceil(run["distance_m"] / 1000)
    assert [s["km"] for s in splits] == list(range(1, len(splits) + 1))
    assert page["units"] == "km"
    assert all(s["distance_m"] == 1000.0 for s in splits[:-1])
    assert sum(s["distance_m"] for s in splits) == pytest.approx(run["distance_m"], abs=1)
    # Clock time over the splits is the run's elapsed time (this file was never paused).
    assert sum(s["time_s"] for s in splits) == pytest.approx(run["elapsed_s"], abs=2)
    # Each split's step rate is its records' mean: the session's average lies among them.
    steps = [s["step_rate_spm"] for s in splits]
    assert min(steps) - 1 <= run["step_rate_spm"] <= max(steps) + 1
    for name in ("Pace", "Heart rate", "Elevation", "Step rate"):
        curve = page["curves"][name]
        assert len(curve["km"]) == len(curve["values"]) > 10
        assert curve["km"][-1] <= run["distance_m"] / 1000
    text = cli("activities", "show", str(run["id"])).stdout
    assert f"activity {run['id']} of ana" in text
    assert "splits from the file's records (FIT records" in text
    assert f"{run['step_rate_spm']:.0f} steps/min" in text
    assert len([line for line in text.splitlines() if line.startswith("  7 (0.75)")]) == 1


def test_the_paired_gpx_of_the_same_outing_gives_the_same_splits(cli: Cli) -> None:
    """The watch's FIT and the GPX exported from it: per-km clock times within 2 s each."""
    cli("athletes", "add", "fit", "--tz", "UTC")
    cli("athletes", "add", "gpx", "--tz", "UTC")
    fit = cli.json("activities", "show", str(_one(cli, "fit", FIT)["id"]))
    gpx = cli.json("activities", "show", str(_one(cli, "gpx", PAIRED_GPX)["id"]))
    assert gpx["records"]["source"] == "GPX points (distance summed from positions)"
    full = min(len(fit["splits"]), len(gpx["splits"])) - 1
    assert full >= 5
    for a, b in zip(fit["splits"][:full], gpx["splits"][:full], strict=True):
        assert abs(a["time_s"] - b["time_s"]) <= 10, (a, b)


def test_a_run_whose_file_moved_or_changed_shows_its_row_and_says_why_no_splits(runner) -> None:
    cli, path = runner
    run = _one(cli, "ana", path)
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    page = cli.json("activities", "show", str(run["id"]))
    assert page["splits"] == [] and page["distance_m"] == run["distance_m"]
    assert (
        page["records"]["problem"] == f"{path}: changed since it was imported (not the same bytes)"
    )
    path.unlink()
    text = cli("activities", "show", str(run["id"])).stdout
    assert f"no splits: {path}: no longer there (moved or deleted since the import)" in text


def test_a_typed_in_run_and_an_unknown_id(cli: Cli) -> None:
    cli("athletes", "add", "ana", "--tz", "UTC")
    cli("activities", "add", "-a", "ana", "--date", "2026-11-01", "--km", "8", "--minutes", "44")
    (run,) = cli.json("activities", "--athlete", "ana")
    page = cli.json("activities", "show", str(run["id"]))
    assert page["records"]["problem"] == (
        "no file (typed in, or a platform's list without a recording)"
    )
    assert page["avg_pace_s_per_km"] == 330.0
    result = cli("activities", "show", "999999", code=2)
    assert "no activity 999999" in result.stderr and "Traceback" not in result.output


def test_the_spike_run_is_shown_against_the_longest_run_before_it(cli: Cli) -> None:
    """zoe's 24 km on 25 Oct against 15 km in the 30 days before it (the demo block): the
    spike rule's own numbers, in the page's words."""
    cli("athletes", "add", "zoe", "--tz", "Europe/Berlin")
    cli("import", str(SAMPLES / "demo-runner"), "--athlete", "zoe")
    runs = cli.json("activities", "--athlete", "zoe")
    spike = next(r for r in runs if r["day"] == "2026-10-25")
    page = cli.json("activities", "show", str(spike["id"]))
    report = cli.json("report", "--athlete", "zoe", "--as-of", "2026-10-25")
    row = next(r for r in report["runs"] if r["id"] == spike["id"])
    assert page["against"]["spike_pct"] == pytest.approx(row["spike_pct"], abs=0.1)
    assert page["against"]["longest_prior_30d_km"] == pytest.approx(row["longest_prior_30d_km"])
    assert page["against"]["text"] == (
        f"+{row['spike_pct']:.0f}% over the 30-day longest ({row['longest_prior_30d_km']:.1f} km): "
        "above the +10% range"
    )
    # The same comparison for a reader in miles: the same verdict, the longest run in mi.
    miles = cli.json("--units", "mi", "activities", "show", str(spike["id"]))["against"]
    assert miles["longest_prior_30d_km"] == page["against"]["longest_prior_30d_km"]
    assert miles["text"] == (
        f"+{row['spike_pct']:.0f}% over the 30-day longest "
        f"({row['longest_prior_30d_km'] * 1000 / 1609.344:.1f} mi): above the +10% range"
    )


# -- the web page --------------------------------------------------------------------------


@pytest.fixture
def served(runner):
    cli, path = runner
    cli("import", str(path), str(SAMPLES / "demo-runner"), "--athlete", "ana")
    server = Server(str(cli.db))
    yield cli, path, server
    server.stop()


@pytest.mark.parametrize("width", [390, 1400])
def test_the_run_page_fits_a_phone_and_a_desktop(served, browser, width: int) -> None:
    cli, path, server = served
    run = next(
        a for a in cli.json("activities", "--athlete", "ana") if a["source_path"] == str(path)
    )
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        response = page.goto(f"{server.base}/activities/{run['id']}")
        assert response is not None and response.status == 200
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        layout = page.evaluate(LAYOUT_PROBE)
        assert layout["scroll"] <= layout["width"], layout
        assert layout["small"] == []
        # Four curves and the outline, each inside the window, no script anywhere.
        charts = page.locator("svg.runchart")
        assert charts.count() == 4
        for i in range(charts.count()):
            box = charts.nth(i).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (i, box)
            # Every label inside its chart (the last distance label was cut at the right edge).
            for t in charts.nth(i).locator("text").all():
                tb = t.bounding_box()
                assert tb and tb["x"] >= box["x"] - 0.5, (i, t.text_content())
                assert tb["x"] + tb["width"] <= box["x"] + box["width"] + 0.5, (i, t.text_content())
            # Chart text at least 12 px on the screen at a phone's width.
            tick = charts.nth(i).locator("text").nth(1).bounding_box()
            assert tick and tick["height"] >= 12 * 0.9, (i, tick)
        assert page.locator("svg.outline polyline").count() == 1
        assert page.locator("script").count() == 0
        assert page.locator("#splits tbody tr").count() == math.ceil(run["distance_m"] / 1000)
        facts = page.locator("#facts").inner_text()
        assert f"{run['step_rate_spm']:.0f} steps/min" in facts
        assert f"{run['ascent_m']:.0f} / {run['descent_m']:.0f} m" in facts
    finally:
        page.close()


def test_the_athlete_list_links_every_run_and_edits_move_to_its_page(served, browser) -> None:
    cli, path, server = served
    runs = cli.json("activities", "--athlete", "ana")
    run = next(a for a in runs if a["day"] == "2026-11-08")
    page = browser.new_page()
    try:
        page.goto(f"{server.base}/athletes/{_ids(cli)['ana']}?as_of=2026-11-08")
        assert page.locator("#activities-table form").count() == 0
        row = page.locator(f"#activity-{run['id']}")
        # Pace cut to the whole second, as a watch shows it (units.pace, every page alike).
        moving, pace = round(run["moving_s"]), math.floor(run["avg_pace_s_per_km"])
        assert row.locator("td.time").inner_text() == (
            f"{moving // 3600}:{moving % 3600 // 60:02d}:{moving % 60:02d}"
        )
        assert row.locator("td.pace").inner_text() == f"{pace // 60}:{pace % 60:02d}"
        assert row.locator("td.hr").inner_text() == f"{run['avg_hr']:.0f}"
        row.locator(f"a[href='/activities/{run['id']}']").first.click()
        page.wait_for_load_state()
        page.locator("input[name=reason]").fill("watch left running")
        page.locator("button", has_text="exclude").click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/activities/{run['id']}")
        assert "watch left running" in page.locator("#facts").inner_text()
        assert page.locator("select[name=rpe]").input_value() == ""  # no rating, not a 0
        page.locator("select[name=rpe]").select_option("6")
        page.locator("button", has_text="set effort").click()
        page.wait_for_load_state()
        assert "6/10" in page.locator("#facts").inner_text()
    finally:
        page.close()
    again = next(a for a in cli.json("activities", "--athlete", "ana") if a["id"] == run["id"])
    assert again["excluded"] and again["exclude_reason"] == "watch left running"
    assert again["rpe"] == 6


def test_a_missing_run_is_a_404(served) -> None:
    _, _, server = served
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"{server.base}/activities/999999")
    assert e.value.code == 404


def test_a_spike_alert_email_links_its_runs_page_when_the_dashboard_has_an_address(
    db_url: str, smtp, tmp_path: Path
) -> None:
    from email import message_from_bytes, policy

    from .test_check import ConfiguredCli, password, write_config  # noqa: F401 (fixture)

    def mail(extra: str, outbox: Path) -> tuple[str, str]:
        config = write_config(tmp_path, smtp.config(), extra)
        cli = ConfiguredCli(db_url, config)
        cli("check", "--as-of", "2026-10-25", "--dry-run", "--outbox", str(outbox))
        (eml,) = outbox.glob("*.eml")
        msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
        plain = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        page = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
        return plain, page

    plain, page = mail("", tmp_path / "out1")
    assert "/activities/" not in plain + page  # no public address: no link
    plain, page = mail('\n[web]\npublic_url = "https://coach.example.org/"\n', tmp_path / "out2")
    cli = ConfiguredCli(db_url, write_config(tmp_path, smtp.config()))
    spike = next(r for r in cli.json("activities", "--athlete", "ana") if r["day"] == "2026-10-25")
    url = f"https://coach.example.org/activities/{spike['id']}"
    assert f"  The run: {url}" in plain
    assert f"<a href='{url}'>The run's page</a>" in page


def test_the_team_page_links_the_latest_spike_to_its_run(served) -> None:
    cli, _, server = served
    spike = next(r for r in cli.json("activities", "--athlete", "ana") if r["day"] == "2026-10-25")
    with urllib.request.urlopen(f"{server.base}/?as_of=2026-11-08") as r:
        page = r.read().decode()
    cell = page[page.index('data-label="latest spike"') :].split("</td>")[0]
    assert f'<a href="/activities/{spike["id"]}">+60% (moderate)</a>' in cell


def test_a_run_from_an_account_export_reads_its_member_in_the_zip_of_zips(
    cli: Cli, tmp_path: Path
) -> None:
    """A Garmin export keeps the watch files in a zip inside the zip (`export.zip!...zip!x.fit`):
    the page reads that member again, with the import's caps."""
    from .exports import garmin_export

    export = garmin_export(tmp_path / "garmin.zip")
    cli("athletes", "add", "ana", "--tz", "UTC")
    cli("import", str(export), "--athlete", "ana")
    runs = [
        r
        for r in cli.json("activities", "--athlete", "ana")
        if r["source"] == "fit" and r["source_path"].count("!") == 2 and r["distance_m"] > 1000
    ]
    assert runs
    page = cli.json("activities", "show", str(runs[0]["id"]))
    assert page["records"] == {"source": "FIT records", "problem": None}
    # The records' distance, which can end a few metres short of the session's total.
    assert sum(s["distance_m"] for s in page["splits"]) == pytest.approx(
        runs[0]["distance_m"], rel=0.01
    )
    export.unlink()
    gone = cli.json("activities", "show", str(runs[0]["id"]))["records"]["problem"]
    assert gone == f"{runs[0]['source_path']}: its archive {export} is no longer there"
