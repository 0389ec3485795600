"""`loadwatch web`: the local dashboard (team, athletes, alerts) in the browser."""

from __future__ import annotations

import os

import click

from .main import Context, main, pass_context


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8470, show_default=True, help="Port."
)
@click.option("--read-only", is_flag=True, help="Refuse every edit (sport, exclude, include).")
@pass_context
def web(obj: Context, host: str, port: int, read_only: bool) -> None:
    """Serve the dashboard; on another address than this machine's it needs $LOADWATCH_WEB_TOKEN.

    \b
    Example:
      loadwatch web --port 8470
    """
    import uvicorn

    from ..app import App
    from ..store import open_reader
    from ..web import create_app
    from ..web.security import TOKEN_ENV, is_loopback
    from ..web.serving import Serving

    token = os.environ.get(TOKEN_ENV) or None
    if not is_loopback(host) and not token:
        raise click.UsageError(
            f"--host {host} is reachable from other machines: set {TOKEN_ENV} to a long random "
            "token first (it is asked for as the password; never put it in the config file)"
        )
    # Opens the database once: config synced and schema migrated, or, read-only, only checked
    # (it exists and is of this version) with nothing written. `store.database` counts unless
    # --db or LOADWATCH_DB named one. The writer stays open for edits; pages read through
    # connections that cannot write.
    opened = App.open(settings=obj.settings, locations=obj.locations, read_only=read_only)
    url = opened.store.url
    if read_only:
        opened.close()
    settings = obj.settings
    # Two requests at work per core: the pages are mostly the database's and the template's.
    limit = max(2, 2 * (os.cpu_count() or 1))
    serving = Serving(
        settings,
        None if read_only else opened,
        (lambda: opened_read_only(url)) if read_only else (lambda: open_reader(url)),
        limit,
    )
    app = create_app(
        serving, token=token, host=host, public_url=settings.web.public_url, limit=limit
    )
    # The engine (pandas, the rules) is loaded now, not by the first page a coach opens.
    from .. import snapshot  # noqa: F401

    where = f"http://{host}:{port}/"
    click.echo(f"loadwatch web on {where}" + (" (read-only)" if read_only else ""), err=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        serving.close()


def opened_read_only(url: str):  # noqa: ANN201 - a Store; the store is imported lazily
    """--read-only: a connection that cannot write, on a database nothing here keeps open (SQLite:
    mode=rw with query_only, so closing it removes the WAL files it made; see store/sqlite.py)."""
    from ..store import open_store

    return open_store(url, read_only=True)
