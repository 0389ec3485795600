"""`python -m loadwatch`: the same command as `loadwatch`."""

from .cli import main

main(prog_name="loadwatch")
