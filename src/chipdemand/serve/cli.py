"""``chipdemand serve``: its flags, and starting the server (a socket bound first, so that port 0
picks a free port and the first line on stdout is the page's URL with its token).
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import webbrowser
from typing import Any

from chipdemand.errors import StudyError

__all__ = ["add_arguments", "run", "bind", "page_url", "allowed_hosts"]

LOOPBACK = "127.0.0.1"


def _count(text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of draws, got {text!r}") from None
    if not value.is_integer() or value < 2:
        raise argparse.ArgumentTypeError(f"expected a whole number of draws, at least 2, got {text!r}")
    return int(value)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port 0-65535, got {text!r}")
    return int(text)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``chipdemand serve``."""
    p.add_argument(
        "study",
        nargs="?",
        help="a study file to edit in place, or a shipped study's name (opened read-only: Save as "
        "writes a copy into the current folder); none: a list of the shipped studies",
    )
    p.add_argument("--port", type=_port, default=0, help="port (default 0: a free one)")
    p.add_argument(
        "--host",
        default=LOOPBACK,
        help="address to bind (default 127.0.0.1; anyone who can reach another one and has the "
        "token can run studies)",
    )
    p.add_argument("--no-browser", action="store_true", help="print the URL, do not open a browser")
    p.add_argument("--draws", type=_count, default=100_000, help="draws of the full runs (default 1e5)")
    p.add_argument(
        "--preview-draws",
        type=_count,
        default=20_000,
        help="draws of the preview run of each edit (default 2e4)",
    )
    p.add_argument(
        "--max-draws", type=_count, default=1_000_000, help="most draws a request may ask (default 1e6)"
    )


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
