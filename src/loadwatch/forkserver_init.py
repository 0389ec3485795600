"""Imported by the fork server alone (ingest.py names it in the fork server's preload list).

The fork server and every worker forked from it give up the caller's stdin, stdout and stderr
before anything else runs: a worker being started when the import is killed fails to unpickle
its work and would print a traceback into the caller's pipe, and any of them alive would keep
that pipe open (`loadwatch import DIR | cat` waits for its end). The fork server itself exits
when the import does (its liveness pipe ends), and its workers with it (see procs.py).
"""

from __future__ import annotations

from .procs import let_go_of_std_streams

let_go_of_std_streams()
