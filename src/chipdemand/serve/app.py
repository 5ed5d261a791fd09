"""The Starlette application of ``chipdemand serve``: the page's static files and its HTTP API.

Every ``/api/`` request carries the session token; a request's ``Host`` must be the served
address (DNS rebinding), its ``Origin``, when present, the page's own, and its body small. Runs
go to a worker thread one at a time, and a request overtaken by a newer one is dropped.
"""

from __future__ import annotations

import hmac
import json
import math
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import chipdemand as cd
from chipdemand.errors import StudyError

from .editing import edit_input
from .session import Conflict, Refused, Session, error_rows
from .views import view_of_run

__all__ = ["create_app", "Guard", "MAX_BODY"]

MAX_BODY = 2 * 2**20  # bytes a request body may hold (a study file is tens of kB)
STATIC = Path(__file__).with_name("static")


# ----------------------------------------------------------------------------- the guard
def _refuse(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


class Guard:
    """ASGI middleware: Host, token, Origin and body-size checks before any route runs.

    Parameters
    ----------
    app : ASGI app
    session : Session
        Holds the token.
    hosts : iterable of str
        The ``Host`` headers accepted (``127.0.0.1:PORT``, ``localhost:PORT``, ...); others get
        403 (a DNS-rebinding page would send its own name).
    max_body : int
        Larger bodies get 413.
    """

    def __init__(
        self, app: ASGIApp, session: Session, hosts: Iterable[str], max_body: int = MAX_BODY
    ) -> None:
        self.app, self.session, self.max_body = app, session, max_body
        self.hosts = {h.lower() for h in hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self.refusal(scope["path"], headers)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _refuse(413, f"the body is larger than {self.max_body} bytes")(scope, receive, send)
            return
        await self.app(scope, self._capped(receive), send)

    def refusal(self, path: str, headers: dict[str, str]) -> Response | None:
        """The response refusing a request, or None to let it through."""
        host = headers.get("host", "").lower()
        if host not in self.hosts:
            return _refuse(403, f"this server answers to {', '.join(sorted(self.hosts))}, not {host!r}")
        if not path.startswith("/api/"):
            return None
        origin = headers.get("origin")
        if origin is not None and origin.lower() not in (f"http://{host}", f"https://{host}"):
            return _refuse(403, f"requests from {origin!r} are not this page's own")
        token = headers.get("x-chipdemand-token")
        if not token:
            return _refuse(403, "the X-Chipdemand-Token header is missing (the token of the printed URL)")
        if not hmac.compare_digest(token.encode(), self.session.token.encode()):
            return _refuse(403, "wrong X-Chipdemand-Token")
        return None

    def _capped(self, receive: Receive) -> Receive:
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge
            return message

        return capped


class _TooLarge(Exception):
    """A chunked body grew past the cap."""


# ----------------------------------------------------------------------------- helpers
async def _body(request: Request) -> dict[str, Any]:
    try:
        doc = json.loads(await request.body() or b"{}")
    except _TooLarge:
        raise
    except (ValueError, UnicodeDecodeError):
        raise StudyError("the body is not JSON", key="body") from None
    if not isinstance(doc, dict):
        raise StudyError("the body is not a JSON object", key="body")
    return doc


def _text(doc: dict[str, Any], session: Session) -> str:
    text = doc.get("toml", session.text)
    if not isinstance(text, str):
        raise StudyError("expected the study's text", key="toml")
    return text


def _draws(doc: dict[str, Any], session: Session, default: int) -> int:
    draws = doc.get("draws", default)
    if isinstance(draws, float) and draws.is_integer():
        draws = int(draws)
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 2:
        raise StudyError(f"expected a whole number of draws, at least 2, got {draws!r}", key="draws")
    if draws > session.max_draws:
        raise StudyError(f"at most {session.max_draws:,} draws a request (--max-draws)", key="draws")
    return draws


def _seed(doc: dict[str, Any]) -> int:
    seed = doc.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise StudyError(f"expected a seed >= 0, got {seed!r}", key="seed")
    return seed


def _scenarios(doc: dict[str, Any]) -> list[str] | None:
    names = doc.get("scenarios")
    if names is None:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise StudyError("expected a list of scenario names", key="scenarios")
    return names or None


def _clean(value: Any) -> Any:
    """NaN and inf as null, so that every answer is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _json(doc: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(_clean(doc), status_code=status)


Handler = Callable[[Request], Awaitable[Response]]


def _api(session: Session, work: Callable[[Session, dict[str, Any]], Any], *, body: bool = True) -> Handler:
    """A route running ``work(session, doc)`` in a worker thread, its errors as statuses:
    :class:`StudyError` 422 with ``errors``, :class:`Conflict` 409, :class:`Refused` 403."""

    async def handle(request: Request) -> Response:
        doc: dict[str, Any] = {}
        text = session.text
        try:
            if body:
                doc = await _body(request)
                text = doc.get("toml", text) if isinstance(doc.get("toml"), str) else text
            result = await run_in_threadpool(work, session, doc)
        except _TooLarge:
            return _refuse(413, "the body is too large")
        except StudyError as err:
            return _json({"errors": error_rows(err, text), "error": f"error: {err}"}, 422)
        except Conflict as err:
            return _json({"error": err.message, "disk": err.disk}, 409)
        except Refused as err:
            return _refuse(403, err.message)
        if isinstance(result, Response):
            return result
        return _json(result)

    return handle


# ----------------------------------------------------------------------------- the routes' work
def _run(session: Session, doc: dict[str, Any]) -> dict[str, Any]:
    text = _text(doc, session)
    draws = _draws(doc, session, session.full_draws)
    run = session.run(
        text, draws=draws, seed=_seed(doc), scenarios=_scenarios(doc), observed=bool(doc.get("observed"))
    )
    result: dict[str, Any] = run.to_dict()
    return result


def _preview(session: Session, doc: dict[str, Any]) -> dict[str, Any]:
    """The page's run: ``{"run": <the run --json document>, "view": <plot data>}``, or
    ``{"superseded": true}`` when a newer request came while this one waited."""
    mine = session.begin()
    text = _text(doc, session)
    draws = _draws(doc, session, session.preview_draws)
    scenarios = _scenarios(doc)
    seed = _seed(doc)
    observed = bool(doc.get("observed"))
    with session.lock:
        if session.superseded(mine):
            return {"superseded": True}
        run = session.run(text, draws=draws, seed=seed, scenarios=scenarios, observed=observed)
    shown = doc.get("scenario") or (scenarios[0] if scenarios else "base")
    if shown not in [str(s) for s in run.dataset["scenario"].values]:
        shown = str(run.dataset["scenario"].values[0])
    return {"run": run.to_dict(), "view": view_of_run(run, str(shown)), "generation": mine}


def _compare(session: Session, doc: dict[str, Any]) -> dict[str, Any]:
    text = _text(doc, session)
    a, b = str(doc.get("a", "base")), str(doc.get("b", "base"))
    draws = _draws(doc, session, session.preview_draws)
    run = session.run(
        text, draws=draws, seed=_seed(doc), scenarios=list(dict.fromkeys([a, b])), observed=False
    )
    result: dict[str, Any] = cd.compare(run, a, b).to_dict()  # rows carry p_b_equal and p_b_less
    return result


def _drivers(session: Session, doc: dict[str, Any]) -> dict[str, Any]:
    text = _text(doc, session)
    scenario = str(doc.get("scenario", "base"))
    draws = _draws(doc, session, session.preview_draws)
    run = session.run(text, draws=draws, seed=_seed(doc), scenarios=[scenario], observed=False)
    output = doc.get("output") or None
    result: dict[str, Any] = cd.sensitivity(run, output, "rank", scenario=scenario).to_dict()
    return result


def _edit(session: Session, doc: dict[str, Any]) -> dict[str, Any]:
    text = _text(doc, session)
    name = doc.get("input")
    if not isinstance(name, str):
        raise StudyError("expected the input's name", key="input")
    ci = doc.get("ci")
    new = edit_input(text, name, dist=doc.get("dist") or None, ci=ci, point=doc.get("point"))
    return {"toml": new}


def _put(session: Session, doc: dict[str, Any]) -> dict[str, Any]:
    text, base = doc.get("toml"), doc.get("base_sha256")
    if not isinstance(text, str) or not isinstance(base, str):
        raise StudyError("expected {toml, base_sha256}", key="body")
    return session.save(text, base)


def _save_as(session: Session, doc: dict[str, Any]) -> dict[str, Any]:
    text, name = doc.get("toml"), doc.get("name")
    if not isinstance(text, str) or not isinstance(name, str):
        raise StudyError("expected {toml, name}", key="body")
    return session.save_as(text, name, overwrite=bool(doc.get("overwrite")))


def _open(session: Session, doc: dict[str, Any]) -> dict[str, Any]:
    if isinstance(doc.get("new"), str):
        session.new(doc["new"])
    elif isinstance(doc.get("study"), str):
        name = doc["study"]
        shipped = {s["name"] for s in cd.list_studies()}
        session.switch(name if name in shipped else str(session.inside(name)))
    else:
        raise StudyError("give a shipped study's name (study) or a new one's (new)", key="body")
    return session.document()


def _export(kind: str) -> Callable[[Session, dict[str, Any]], Response]:
    def work(session: Session, doc: dict[str, Any]) -> Response:
        text = _text(doc, session)
        draws = _draws(doc, session, session.preview_draws)
        study = session.study(text)
        name = study.name
        with tempfile.TemporaryDirectory(prefix="chipdemand-serve-") as folder:
            if kind == "report":
                page = cd.report(study, Path(folder) / "report", draws=draws, seed=_seed(doc))
                content, media, suffix = page.read_bytes(), "text/html; charset=utf-8", "html"
            elif kind == "csv":
                run = session.run(text, draws=draws, seed=_seed(doc), scenarios=None, observed=False)
                content = run.table.to_csv(index=False).encode()
                media, suffix = "text/csv; charset=utf-8", "csv"
            else:
                target = Path(folder) / f"{name}.nc"
                cd.run(study, draws=draws, seed=_seed(doc), scenarios=_scenarios(doc), save=target)
                content, media, suffix = target.read_bytes(), "application/x-netcdf", "nc"
        disposition = f'attachment; filename="{name}.{suffix}"'
        return Response(content, media_type=media, headers={"Content-Disposition": disposition})

    return work


def _study(session: Session, doc: dict[str, Any]) -> dict[str, Any]:
    return session.document()


def _studies(session: Session, doc: dict[str, Any]) -> dict[str, Any]:
    return {"studies": cd.list_studies()}


# ----------------------------------------------------------------------------- the app
def create_app(session: Session, hosts: Iterable[str], *, max_body: int = MAX_BODY) -> ASGIApp:
    """The ASGI app serving ``session``'s page and API, accepting only ``hosts`` as ``Host``.

    Examples
    --------
    >>> from chipdemand.serve.session import Session
    >>> app = create_app(Session.open("chatgpt_inference"), ["127.0.0.1:8000"])  # doctest: +SKIP
    """

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def put_study(request: Request) -> Response:
        return await _api(session, _put)(request)

    async def no_icon(request: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/", index),
        Route("/favicon.ico", no_icon),
        Route("/api/study", _api(session, _study, body=False), methods=["GET"]),
        Route("/api/study", put_study, methods=["PUT"]),
        Route("/api/studies", _api(session, _studies, body=False), methods=["GET"]),
        Route("/api/run", _api(session, _run), methods=["POST"]),
        Route("/api/preview", _api(session, _preview), methods=["POST"]),
        Route("/api/compare", _api(session, _compare), methods=["POST"]),
        Route("/api/drivers", _api(session, _drivers), methods=["POST"]),
        Route("/api/edit-input", _api(session, _edit), methods=["POST"]),
        Route("/api/save-as", _api(session, _save_as), methods=["POST"]),
        Route("/api/open", _api(session, _open), methods=["POST"]),
        Route("/api/export/report", _api(session, _export("report")), methods=["POST"]),
        Route("/api/export/csv", _api(session, _export("csv")), methods=["POST"]),
        Route("/api/export/draws", _api(session, _export("draws")), methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes)
    return Guard(app, session, hosts, max_body=max_body)
