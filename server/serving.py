"""Serving: bind the port first, say where the data is, run uvicorn in one or more processes.

The port is bound before anything else happens, so a port in use is one line and exit 1 before
migrations, seeding or the banner; the bound socket is then handed to uvicorn, which serves it
from this process or from N worker processes that each build the app from the environment
(`server.api.app:app_from_env`). A stop signal lets requests in flight finish within
`shutdown_grace_seconds`, then each process runs its shutdown (which sweeps upload leftovers).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import socket
import sys
from collections.abc import MutableMapping
from pathlib import Path
from types import FrameType

import uvicorn
from uvicorn.main import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from server.settings import Settings, database_for_display

APP_FACTORY = "server.api.app:app_from_env"
"""What each worker process imports and calls to build the service from WALLCHART_* variables."""
METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
BACKLOG = 2048


def bind_listener(settings: Settings) -> socket.socket:
    """A socket bound to the service's address and listening; when the address cannot be bound
    (a port in use), exit 1 with one line saying so."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    try:
        listener = socket.create_server(
            (settings.host, settings.port), family=family, backlog=BACKLOG
        )
    except OSError as exc:
        reason = "the port is already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        sys.exit(
            f"wallchart: cannot serve on {settings.host}:{settings.port}: {reason} "
            "(stop the other server or set WALLCHART_PORT)"
        )
    listener.set_inheritable(True)
    return listener


def where_lines(settings: Settings, workers: int) -> list[str]:
    """The lines printed at start: where the data is, and how many processes serve it."""
    return [
        f"data dir: {settings.data_dir}",
        f"database: {database_for_display(settings.database_url)}",
        f"media:    {settings.media_root}",
        f"workers:  {workers}",
    ]


def prepare_metrics_dir(
    settings: Settings, workers: int, environ: MutableMapping[str, str] = os.environ
) -> str | None:
    """With several workers, point prometheus-client's multiprocess mode at a fresh, empty
    `metrics` folder in the data dir (unless PROMETHEUS_MULTIPROC_DIR is set already); the
    worker processes inherit the variable. Returns the folder in use, or None."""
    if workers > 1 and METRICS_DIR_VARIABLE not in environ:
        folder = Path(settings.data_dir) / "metrics"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        environ[METRICS_DIR_VARIABLE] = str(folder)
    return environ.get(METRICS_DIR_VARIABLE)


def serve(settings: Settings, listener: socket.socket, workers: int) -> None:
    """Serve on `listener` until a stop signal, from this process or `workers` processes; exit
    1 when the service could not start."""
    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="info",
        log_config=None,
        access_log=False,
        # Client addresses behind a proxy come from WALLCHART_TRUSTED_PROXIES alone, so uvicorn
        # must not rewrite them from X-Forwarded-For itself.
        proxy_headers=False,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )
    if workers > 1:
        supervisor = Multiprocess(config, sockets=[listener])
        supervisor.run()
        started = all(process.exitcode != STARTUP_FAILURE for process in supervisor.processes)
    else:
        server = uvicorn.Server(config)
        signal.signal(signal.SIGTERM, _stopped)
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[listener])
        started = server.started
    if not started:
        sys.exit("wallchart: the service did not start (see the log above)")


def _stopped(signum: int, frame: FrameType | None) -> None:
    """uvicorn raises the stop signal again once it has shut down gracefully; the service has
    stopped by then, so the process ends normally (exit 0) rather than killed by the signal."""
