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
    from ..store import open_store
    from ..web import create_app
    from ..web.security import TOKEN_ENV, is_loopback

    token = os.environ.get(TOKEN_ENV) or None
    if not is_loopback(host) and not token:
        raise click.UsageError(
            f"--host {host} is reachable from other machines: set {TOKEN_ENV} to a long random "
            "token first (it is asked for as the password; never put it in the config file)"
        )
    # Opens the database once: config synced and schema migrated, or, read-only, only checked
    # (it exists and is of this version) with nothing written. `store.database` counts unless
    # --db or LOADWATCH_DB named one.
    with App.open(settings=obj.settings, locations=obj.locations, read_only=read_only) as opened:
        url = opened.store.url
    settings = obj.settings
    app = create_app(
        lambda: App(open_store(url, read_only=read_only), settings),
        read_only=read_only,
        token=token,
        host=host,
        public_url=settings.web.public_url,
    )
    where = f"http://{host}:{port}/"
    click.echo(f"loadwatch web on {where}" + (" (read-only)" if read_only else ""), err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
