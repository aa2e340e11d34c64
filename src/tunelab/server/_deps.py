"""FastAPI dependencies shared by the route modules."""

from __future__ import annotations

from fastapi import Request

from tunelab.server._context import AppContext


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context
