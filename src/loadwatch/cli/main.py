"""The click group, the options every command shares, and the one place where library errors
become one-line messages and exit codes; a traceback reaches the user only with --debug."""

from __future__ import annotations

import math
import os
import sys
import traceback
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .. import __version__, procs
from ..errors import LoadwatchError
from ..paths import Locations, resolve
from ..units import Units, to_metres

if TYPE_CHECKING:
    from ..app import App
    from ..config import Settings
    from ..model import Athlete

EXIT_SOME_FAILED = 3
EXIT_READER_LEFT = 141  # 128 + SIGPIPE, as a shell reports `yes | head -1`


class Context:
    """What a command needs, opened on first use: `paths` and `config check` open no database."""

    def __init__(self, db: str | None, config: str | None, debug: bool, units: Units | None = None):
        self.locations: Locations = resolve(db, config)
        self.debug = debug
        self.units = units  # --units: overrides every athlete's own for what this prints
        self._settings: Settings | None = None
        self._app: App | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from ..app import read_settings

            self._settings = read_settings(self.locations)
        return self._settings

    @property
    def app(self) -> App:
        if self._app is None:
            from ..app import App

            self._app = App.open(settings=self.settings, locations=self.locations)
        return self._app

    def units_of(self, athlete: Athlete) -> Units:
        """The unit a person reads this athlete's distances in: --units, else their own."""
        return self.units or athlete.units

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


# Which module defines each command: a command's module (and what it imports) is loaded only when
# that command runs, so `import` does not pay for the web stack nor `report` for the scheduler.
# A pool worker re-imports the program's main module, so this also keeps every worker light.
COMMAND_MODULES = {
    "activities": "activities",
    "alerts": "alerts",
    "config": "alerts",
    "export": "leave",
    "check": "alerts",
    "serve": "alerts",
    "athletes": "athletes",
    "calendar": "leave",
    "import": "imports",
    "pain": "pain",
    "totals": "totals",
    "report": "report",
    "headroom": "report",
    "shoes": "shoes",
    "sync": "sources",
    "pull": "sources",
    "strava": "sources",
    "web": "web",
}


def _help(command: list[str]) -> str:
    return " ".join(["loadwatch", *command, "--help"])


class Amount(click.FloatRange):
    """A number in a range, and a number: "nan" passes every comparison a range makes, so a
    range alone let `--mi nan` through to a crash, and `--minutes nan` to a run without a time."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        v = super().convert(value, param, ctx)
        if isinstance(v, float) and math.isnan(v):
            self.fail(f"{value!r} is not a number", param, ctx)
        return v


class LoadwatchGroup(click.Group):
    """Loads commands lazily; turns library errors into one line on stderr and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            import importlib

            importlib.import_module(f"{__package__}.{COMMAND_MODULES[cmd_name]}")  # registers
        return super().get_command(ctx, cmd_name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """`loadwatch report --units mi` as `loadwatch --units mi report`: the program's own
        options are taken after the command too, unless the command has one of that name
        (`athletes edit ana --units mi` sets ana's unit)."""
        if ctx.parent is None:
            args = self._program_options_first(ctx, args)
        return super().parse_args(ctx, args)

    def _program_options_first(self, ctx: click.Context, args: list[str]) -> list[str]:
        program = {o: p for p in self.params for o in p.opts if o.startswith("--")}

        def width(arg: str, options: dict[str, click.Parameter]) -> int:
            """How many words an option takes up: itself, and its value unless a flag or
            given as --name=value."""
            name, _, _ = arg.partition("=")
            option = options.get(name)
            takes = option is not None and not getattr(option, "is_flag", False)
            return 1 + (takes and "=" not in arg)

        i = 0
        while i < len(args) and args[i].startswith("-") and args[i] != "--":
            i += width(args[i], program)
        if i >= len(args) or args[i] == "--":
            return args
        # The command (and subcommand) named, and every option of their own, by name: a
        # program option may stand between a group and its subcommand.
        own: dict[str, click.Parameter] = {}
        command: click.Command | None = self.get_command(ctx, args[i])
        j = i + 1
        while command is not None:
            own |= {o: p for p in command.params for o in (*p.opts, *p.secondary_opts)}
            if not isinstance(command, click.Group):
                break
            while j < len(args) and args[j].partition("=")[0] in program:
                j += width(args[j], program)
            if j >= len(args):
                break
            command = command.get_command(ctx, args[j])
            j += 1
        moved: list[str] = []
        rest: list[str] = []
        k = i + 1
        while k < len(args):
            arg = args[k]
            if arg == "--":  # what follows is nobody's option
                rest += args[k:]
                break
            name = arg.partition("=")[0]
            if name in own:  # the command's, with its value, whatever that value looks like
                n = width(arg, own)
                rest += args[k : k + n]
                k += n
            elif name in program:
                n = width(arg, program)
                moved += args[k : k + n]
                k += n
            else:
                rest.append(arg)
                k += 1
        return [*args[:i], *moved, args[i], *rest]

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """The options before the command are read here, outside `invoke`: their usage errors
        are one line too."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as e:
            if parent is not None:
                raise
            click.echo(f"error: {e.format_message()} (see: {_help([])})", err=True)
            sys.exit(e.exit_code)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with procs.sigterm_raises():
                return super().invoke(ctx)
        except LoadwatchError as e:
            if _debug(ctx):
                traceback.print_exc()
            for line in str(e).splitlines():  # several problems: one line each
                click.echo(f"error: {line}", err=True)
            ctx.exit(e.exit_code)
        except click.UsageError as e:
            # One line, as every other error: what was wrong and where the help is (click's
            # own four lines put the reason last, under a usage line and a blank one).
            where = (e.ctx or ctx).command_path.split()[1:]  # whatever the program was called
            click.echo(f"error: {e.format_message()} (see: {_help(where)})", err=True)
            ctx.exit(e.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except procs.Terminated:
            # Transactions rolled back, workers killed on the way out: a killed import is
            # finished by the next one.
            click.echo("terminated", err=True)
            ctx.exit(143)
        except BrokenPipeError as e:
            if not _stdout_gone():
                click.echo(f"error: unexpected BrokenPipeError: {e}", err=True)
                ctx.exit(1)
            _reader_left()
        except Exception as e:
            if _debug(ctx):
                raise
            click.echo(
                f"error: unexpected {type(e).__name__}: {e} (run again with --debug for details)",
                err=True,
            )
            ctx.exit(1)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Also what is still buffered when a command ends goes to a reader that may have left
        (`loadwatch report | head -1`): the interpreter's own last flush would print "Exception
        ignored ... BrokenPipeError" and exit 120."""
        try:
            return super().main(*args, **kwargs)
        finally:
            if _stdout_gone():
                _reader_left()


def _stdout_gone() -> bool:
    """The reader of stdout has left: a flush fails, or the pipe reports an error (a write that
    failed already dropped its buffer, so the flush alone may succeed)."""
    if sys.stdout is None:
        return False
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        return True
    except (OSError, ValueError):
        return False
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return False  # not a real file (a test runner's buffer)
    import select

    if not hasattr(select, "poll"):
        return False
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poller.poll(0))


def _reader_left() -> NoReturn:
    """`loadwatch headroom | head -1`: the reader left, which is its right; end quietly with the
    shell's code for it (128 + SIGPIPE), sending whatever is still buffered nowhere."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(EXIT_READER_LEFT)


def _debug(ctx: click.Context) -> bool:
    obj = ctx.find_object(Context)
    return bool(obj and obj.debug)


def parse_day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-24") from e


def plural(n: int, thing: str) -> str:
    """ "1 new alert", "2 new alerts": a count with its noun."""
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def athlete_option(what: str = "Whose") -> Any:
    return click.option("--athlete", "-a", help=f"{what} (optional when there is one athlete).")


def typed_distance(flag: str, km: float | None, mi: float | None) -> tuple[int, Units] | None:
    """One distance typed with `--FLAG-km` or `--FLAG-mi` (`--km`/`--mi` when flag is ""), as
    whole metres and the unit it was typed in; None when neither was given."""
    name = f"--{flag}-" if flag else "--"
    if km is not None and mi is not None:
        raise click.UsageError(f"give {name}km or {name}mi, not both")
    if km is not None:
        return to_metres(km, "km"), "km"
    if mi is not None:
        return to_metres(mi, "mi"), "mi"
    return None


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
pass_context = click.make_pass_decorator(Context)


# -h as well as --help, for every command (subcommands inherit the group's context settings).
@click.group(cls=LoadwatchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    help="Database: a SQLite file, sqlite:///PATH or postgresql://... (env LOADWATCH_DB).",
)
@click.option(
    "--config", type=click.Path(dir_okay=False), help="Config file, TOML (env LOADWATCH_CONFIG)."
)
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.option(
    "--units",
    type=click.Choice(["km", "mi"]),
    help="Show distances and paces in km or mi (default: each athlete's own `units`).",
)
@click.version_option(__version__, prog_name="loadwatch")
@click.pass_context
def main(
    ctx: click.Context, db: str | None, config: str | None, debug: bool, units: Units | None
) -> None:
    """Watch a runner's training load; flag the jumps studies of runners linked to overuse injury.

    Clearly for a single long run (Frandsen 2025), weakly for a weekly increase (Nielsen 2014).
    """
    obj = Context(db, config, debug, units)
    ctx.obj = obj
    ctx.call_on_close(obj.close)


@main.command()
@pass_context
def paths(obj: Context) -> None:
    """Show where the database and the config file live.

    \b
    Example:
      loadwatch paths
    """
    from ..app import database_url

    loc = obj.locations
    try:
        database = database_url(loc, obj.settings)
    except LoadwatchError:  # a config that cannot be read names no database; say where it is
        database = loc.database
    origin = loc.database_from if database == loc.database else "config store.database"
    click.echo(f"database: {database}  ({origin})")
    click.echo(
        f"config:   {loc.config}  ({loc.config_from}{'' if loc.config.exists() else ', not present'})"
    )
