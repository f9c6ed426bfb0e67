"""Every error as RFC 9457 application/problem+json with a stable `code`; nothing else escapes."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from app.core.errors import DomainError, TooManyAttempts, Unauthenticated
from app.domain.territory_import import ImportRejected

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("instrumenta")

HTTP_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    413: ("payload_too_large", "Payload too large"),
    409: ("conflict", "Conflict"),
    412: ("stale_version", "Precondition failed"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("invalid_input", "Invalid input"),
    429: ("too_many_attempts", "Too many attempts"),
}


class ProblemDetail(BaseModel):
    """One invalid field or file line."""

    loc: list[str | int] | None = None
    file: str | None = None
    line: int | None = None
    field: str | None = None
    message: str


class Problem(BaseModel):
    type: str = Field(description="urn:instrumenta:problem:<code>")
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable machine-readable error code.")
    request_id: str | None = None
    errors: list[ProblemDetail] | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` declaring problem+json bodies for these statuses."""
    return {
        status: {"description": HTTP_CODES.get(status, ("", "Problem"))[1], "model": Problem} for status in statuses
    }


def problem_media_type_in_openapi(app: FastAPI) -> None:
    """Document every error body as application/problem+json, the media type actually sent
    (FastAPI files `responses` models, and its own 422, under application/json)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for operation in (op for path in schema["paths"].values() for op in path.values()):
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    content.pop("application/json")
                    content[PROBLEM_JSON] = {"schema": {"$ref": "#/components/schemas/Problem"}}
        for unused in ("HTTPValidationError", "ValidationError"):
            schema["components"]["schemas"].pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def problem(
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:instrumenta:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": getattr(request.state, "request_id", None),
    }
    if errors is not None:
        body["errors"] = errors
    body |= {key: value for key, value in (extensions or {}).items() if key not in body}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers: dict[str, str] = {}
    errors = None
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"' if exc.code == "invalid_token" else "Bearer"
    if isinstance(exc, ImportRejected):
        errors = [{k: v for k, v in asdict(p).items() if v is not None} | {"message": p.reason} for p in exc.problems]
        for entry in errors:
            entry.pop("reason", None)
    return problem(
        request,
        exc.status,
        exc.code,
        exc.title,
        exc.detail,
        errors=errors,
        headers=headers or None,
        extensions=exc.extra,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(p) if not isinstance(p, int) else p for p in e["loc"]], "message": e["msg"]} for e in exc.errors()
    ]
    summary = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['message']}" for e in errors[:5])
    return problem(request, 422, "invalid_input", "Invalid input", summary or "the request is invalid", errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code, title = HTTP_CODES.get(exc.status_code, ("http_error", "HTTP error"))
    detail = exc.detail if isinstance(exc.detail, str) else title
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route {request.method} {request.url.path}"
    return problem(request, exc.status_code, code, title, detail, headers=getattr(exc, "headers", None))


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    logger.exception("unexpected error in %s %s (request %s)", request.method, request.url.path, request_id)
    return problem(
        request,
        500,
        "internal_error",
        "Internal error",
        f"something went wrong on our side; quote request id {request_id} when reporting it",
        # This response is sent from outside the request-id middleware, so it sets the header itself.
        headers={"X-Request-ID": request_id} if request_id else None,
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
