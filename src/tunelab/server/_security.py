"""Request guards: the Host header (DNS rebinding), the Origin of state-changing requests (cross-site
request forgery) and the access token beyond loopback."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from tunelab.server._constants import PUBLIC_PATHS, TOKEN_COOKIE, TOKEN_HEADER
from tunelab.server._context import ServerSettings
from tunelab.server._errors import error_response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def security_middleware(settings: ServerSettings) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    allowed = settings.allowed_hosts
    origins = settings.allowed_origins

    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        host = (request.headers.get("host") or "").lower()
        if host not in allowed:
            return error_response(
                403, "forbidden",
                f"Host header {host!r} is not served here; open http://{settings.host}:{settings.port}/",
            )
        origin = request.headers.get("origin")
        if request.method not in SAFE_METHODS and origin is not None and _normal_origin(origin) not in origins:
            # A page on another site may POST to a loopback server without any token (a "simple" request
            # needs no CORS preflight); browsers always name the page's origin on such requests. Only the
            # UI's exact origin passes: any other port or scheme on the same host is another site.
            return error_response(
                403, "forbidden",
                f"Origin {origin!r} may not change this experiment; use the tunelab UI at "
                f"http://{settings.host}:{settings.port}/ or a client that sends no Origin header",
            )
        if settings.token and request.url.path not in PUBLIC_PATHS and not _token_ok(request, settings.token):
            return error_response(
                401, "unauthorized",
                f"this server needs its access token: send the {TOKEN_HEADER} header, or open the URL with "
                "?token=... printed when it started",
            )
        response = await call_next(request)
        if settings.token and request.query_params.get("token") == settings.token:
            response.set_cookie(TOKEN_COOKIE, settings.token, httponly=True, samesite="strict")
        return response

    return guard


def _normal_origin(origin: str) -> str:
    """An Origin header lower-cased without a trailing slash (``null`` never matches an allowed origin)."""
    return origin.strip().lower().rstrip("/")


def _token_ok(request: Request, token: str) -> bool:
    given = (
        request.headers.get(TOKEN_HEADER)
        or request.cookies.get(TOKEN_COOKIE)
        or request.query_params.get("token")
        or ""
    )
    return hmac.compare_digest(given.encode(), token.encode())
