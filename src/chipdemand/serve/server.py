"""Starting the live page's server: a socket bound first (so that port 0 picks a free port), the
page's URL with its token printed as the first line on stdout, then uvicorn until Ctrl-C.

The flags of ``chipdemand serve`` are in :mod:`chipdemand.cli.commands.serve`.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import webbrowser
from typing import Any

from chipdemand.errors import StudyError

__all__ = ["LOOPBACK", "run", "bind", "page_url", "allowed_hosts"]

LOOPBACK = "127.0.0.1"


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: the system picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StudyError(f"cannot listen on {host}:{port} ({exc.strerror})", key="--port") from None
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def allowed_hosts(host: str, port: int) -> list[str]:
    """The ``Host`` headers the server answers: the bound address, and localhost for loopback."""
    shown = f"[{host}]" if ":" in host else host
    hosts = [f"{shown}:{port}"]
    if host in (LOOPBACK, "localhost", "::1"):
        hosts += [f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"]
    return hosts


def page_url(host: str, port: int, token: str) -> str:
    """``http://HOST:PORT/?token=...`` (a wildcard bind is shown as 127.0.0.1)."""
    shown = LOOPBACK if host in ("0.0.0.0", "::", "") else (f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}/?token={token}"


def run(args: argparse.Namespace) -> None:
    """Start the server for ``args`` and serve until Ctrl-C."""
    try:
        import uvicorn

        from .app import create_app
        from .session import Session
    except ImportError:
        print(
            'error: chipdemand serve needs the serve extra: pip install "chipdemand[serve]"', file=sys.stderr
        )
        raise SystemExit(2) from None
    if args.max_draws < max(args.draws, args.preview_draws):
        raise StudyError("--max-draws is below --draws", key="--max-draws")
    session = Session.open(
        args.study, full_draws=args.draws, preview_draws=args.preview_draws, max_draws=args.max_draws
    )
    sock = bind(args.host, args.port)
    port = sock.getsockname()[1]
    hosts = allowed_hosts(args.host, port)
    if args.host not in (LOOPBACK, "localhost", "::1"):
        print(
            f"warning: listening on {args.host}: anyone who can reach port {port} and has the token can "
            "run studies and save files in the served folder",
            file=sys.stderr,
        )
        hosts += [f"127.0.0.1:{port}", f"localhost:{port}"]
    url = page_url(args.host, port, session.token)
    print(url, flush=True)
    app = create_app(session, hosts)
    config: Any = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    if not args.no_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
