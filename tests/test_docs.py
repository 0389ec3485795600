"""The settings table, the example config, the README and the commands' help agree."""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import MISSING
from pathlib import Path

import pytest
from click.testing import CliRunner

import loadwatch.rules  # noqa: F401  (the rules declare the [rules] settings: register them first)
from loadwatch.cli import main
from loadwatch.config import SETTINGS, TABLE_SETTINGS, example_section, parse

from .conftest import REPO

EXAMPLE = REPO / "config" / "loadwatch.example.toml"


def test_example_config_parses_and_documents_every_setting() -> None:
    text = EXAMPLE.read_text()
    parse(text.replace('inbox = ["~/Garmin/Activities"]', "inbox = []"))
    for s in SETTINGS:
        section, name = s.key.split(".")
        assert re.search(rf"^\[{section}\]", text, re.M), s.key
        assert re.search(rf"^#? ?{name} = ", text, re.M), f"{s.key} missing from the example config"
        assert s.help, s.key
    raw = tomllib.loads(text)
    assert raw["athletes"][0]["shoes"][0]["default_for"] == "running"


def test_example_config_rules_section_is_the_rules_declarations() -> None:
    """The [rules] section is written from what the rules declare (help, study, default)."""
    section = example_section("rules")
    assert section in EXAMPLE.read_text(), f"the example's [rules] section should read:\n{section}"


def test_readme_mentions_every_setting_and_command() -> None:
    readme = (REPO / "README.md").read_text()
    for s in SETTINGS:
        assert f"`{s.key}`" in readme, f"README misses {s.key}"
    for name in main.commands:
        assert f"loadwatch {name}" in readme, f"README misses 'loadwatch {name}'"


def _readme_value(v) -> str:
    if v is MISSING:
        return "required"
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return str(v)  # [] or a default list such as [60, 70, 80, 90]
    if isinstance(v, str) and v.startswith("digest"):
        return v  # a default that depends on another key
    return f'"{v}"' if isinstance(v, str) else f"{v}"


def test_readme_settings_table_is_the_settings_table() -> None:
    """Each row as the table in config.py writes it: default, help and study cannot drift."""
    readme = (REPO / "README.md").read_text()
    for s in [*SETTINGS, *TABLE_SETTINGS]:
        row = f"| `{s.key}` | {_readme_value(s.default)} | {s.help} | {s.citation} |"
        assert row in readme, f"README row for {s.key} should read: {row}"


def _commands(group, prefix=()):
    """Every command, the lazily loaded ones too: `main.commands` holds only those whose module
    was imported (at collection time, 1 of 24), so each is asked for by name first."""
    import click

    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


COMMANDS = list(_commands(main))


def test_every_command_is_seen() -> None:
    """Every lazily loaded module's commands, and every group's subcommands, are checked."""
    from loadwatch.cli.main import COMMAND_MODULES

    names = {" ".join(p) for p, _ in COMMANDS}
    assert set(COMMAND_MODULES) <= names
    for sub in ("activities edit", "shoes assign", "config check", "athletes add"):
        assert sub in names
    assert len(names) >= 24


@pytest.mark.parametrize(
    "path,cmd", COMMANDS, ids=lambda x: " ".join(x) if isinstance(x, tuple) else ""
)
def test_every_command_and_option_has_help_with_an_example(path, cmd) -> None:
    assert cmd.help, f"loadwatch {' '.join(path)} has no help"
    for param in cmd.params:
        if param.param_type_name == "option":
            assert param.help, f"loadwatch {' '.join(path)} {param.opts[0]} has no help"
    for flag in ("--help", "-h"):
        result = CliRunner().invoke(main, [*path, flag])
        assert result.exit_code == 0 and "Usage:" in result.output, (flag, result.output)
    example = result.output.split("Example", 1)[-1]
    assert "Example" in result.output and f"loadwatch {path[0]}" in example, result.output


# Only these modules may import these libraries; the layers themselves are held by the
# import-linter contract in pyproject.toml (run by `make test`).
OWNERS = {
    "click": "cli/",
    "apscheduler": "scheduler.py",
    "watchdog": "watch.py",
    "smtplib": "notify/smtp.py",
    "psycopg": "store/postgres.py",
    "sqlite3": "store/sqlite.py",
    "matplotlib": "render/charts.py",
    "starlette": "web/",
    "uvicorn": "cli/web.py",
    "stravalib": "sources/strava.py",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_their_owners_import_these_libraries() -> None:
    src = REPO / "src" / "loadwatch"
    for path in src.rglob("*.py"):
        rel = path.relative_to(src).as_posix()
        for lib, owner in OWNERS.items():
            if lib in _imports(path):
                assert rel.startswith(owner), f"{rel} imports {lib}; only {owner} may"


def test_every_command_module_is_named_for_lazy_loading() -> None:
    """`main.COMMAND_MODULES` says where each command lives; a command added to a module but
    not named there would never load."""
    import importlib
    import pkgutil

    import loadwatch.cli as cli_package
    from loadwatch.cli.main import COMMAND_MODULES

    for module in pkgutil.iter_modules(cli_package.__path__):
        importlib.import_module(f"loadwatch.cli.{module.name}")
    defined = {n: c.callback.__module__.rsplit(".", 1)[-1] for n, c in main.commands.items()}
    assert {n: m for n, m in defined.items() if m != "main"} == COMMAND_MODULES
