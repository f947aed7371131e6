"""The API reps' clients deliver their outbox to: requests, feedback, signal batches.

Each POST needs an ``Idempotency-Key`` header; the first call with a key answers 201, a repeat
answers 200 with the same body (and ``Idempotent-Replayed: true``). Bodies are size-limited and
validated; a refusal is a 4xx whose ``detail`` is one readable sentence, which the client shows
the rep as the reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from fieldkit.core.errors import UsageError
from fieldkit.core.requests import IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN
from fieldkit.hub.api import API_PREFIX, RepDep
from fieldkit.hub.inbox import (
    DuplicateKey,
    FeedbackIn,
    Inbox,
    Receipt,
    RequestIn,
    SignalsIn,
)
from fieldkit.hub.schemas import ErrorDetail
from fieldkit.hub.service import Hub

MAX_REQUEST_BYTES = 32 * 1024
MAX_FEEDBACK_BYTES = 16 * 1024
MAX_SIGNALS_BYTES = 512 * 1024

_Model = TypeVar("_Model", bound=BaseModel)

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorDetail, "description": "Missing or malformed Idempotency-Key"},
    401: {"model": ErrorDetail, "description": "Missing, unknown or revoked token"},
    409: {"model": ErrorDetail, "description": "The key was used for a different body"},
    413: {"model": ErrorDetail, "description": "The body is too large"},
    422: {"model": ErrorDetail, "description": "The body is not valid"},
}

router = APIRouter(prefix=API_PREFIX, responses=_ERRORS, tags=["inbox"])


def get_inbox(request: Request) -> Inbox:
    inbox: Inbox = request.app.state.inbox
    return inbox


InboxDep = Annotated[Inbox, Depends(get_inbox)]


def idempotency_key(
    key: Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER)] = None,
) -> str:
    if key is None:
        raise HTTPException(400, detail=f"The {IDEMPOTENCY_HEADER} header is required.")
    if not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise HTTPException(
            400,
            detail=f"The {IDEMPOTENCY_HEADER} header must be 16 to 100 letters, digits, "
            "'-' or '_' (a UUID is fine).",
        )
    return key


KeyDep = Annotated[str, Depends(idempotency_key)]


def body_of(model: type[_Model], limit: int) -> Callable[[Request], Awaitable[_Model]]:
    """A dependency reading at most ``limit`` bytes of JSON into ``model`` (413/422 otherwise)."""

    async def read(request: Request) -> _Model:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
        try:
            return model.model_validate_json(b"".join(chunks))
        except ValidationError as exc:
            raise HTTPException(422, detail=_explain(exc)) from exc

    return read


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, detail=f"Too large: the hub accepts at most {limit // 1024} KB here.")


def _explain(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False)[:5]:
        where = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "json_invalid":
            return "The body is not valid JSON."
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems) or "The body is not valid."


def _answer(receipt: Receipt) -> JSONResponse:
    if receipt.created:
        return JSONResponse(receipt.body, status_code=201)
    return JSONResponse(receipt.body, status_code=200, headers={"Idempotent-Replayed": "true"})


def _submit(call: Callable[[], Receipt]) -> JSONResponse:
    try:
        return _answer(call())
    except DuplicateKey as exc:
        raise HTTPException(409, detail=str(exc)) from exc
    except UsageError as exc:
        raise HTTPException(422, detail=str(exc)) from exc


@router.post("/requests", status_code=201, summary="A content request from a rep")
def post_request(
    inbox: InboxDep,
    rep: RepDep,
    key: KeyDep,
    data: Annotated[RequestIn, Depends(body_of(RequestIn, MAX_REQUEST_BYTES))],
) -> JSONResponse:
    return _submit(lambda: inbox.submit_request(rep.name, key, data))


@router.post("/feedback", status_code=201, summary="Feedback on a document or a page of it")
def post_feedback(
    inbox: InboxDep,
    rep: RepDep,
    key: KeyDep,
    data: Annotated[FeedbackIn, Depends(body_of(FeedbackIn, MAX_FEEDBACK_BYTES))],
) -> JSONResponse:
    return _submit(lambda: inbox.submit_feedback(rep.name, key, data))


@router.post("/signals", status_code=201, summary="A batch of usage signals")
def post_signals(
    inbox: InboxDep,
    rep: RepDep,
    key: KeyDep,
    data: Annotated[SignalsIn, Depends(body_of(SignalsIn, MAX_SIGNALS_BYTES))],
) -> JSONResponse:
    return _submit(lambda: inbox.submit_signals(rep.name, key, data))


@router.get("/requests", summary="The calling rep's requests and their status")
def get_requests(
    inbox: InboxDep,
    rep: RepDep,
    mine: Annotated[bool, Query(description="only the calling rep's (the only choice)")] = True,
) -> dict[str, list[dict[str, Any]]]:
    if not mine:
        raise HTTPException(403, detail="Reps can list only their own requests (mine=true).")
    return {"requests": inbox.my_requests(rep.name)}


def install_inbox(app: FastAPI, hub: Hub) -> None:
    """Add the inbox API and marketing's web page to the hub's app."""
    from fieldkit.hub.web import install_web

    inbox = Inbox(hub.engine)
    app.state.inbox = inbox
    app.include_router(router)
    install_web(app, inbox, hub)
