"""``create_app``: the REST API, live updates and the static UI of one experiment."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from tunelab.server._cache import TrialSnapshot
from tunelab.server._context import AppContext, ServerSettings
from tunelab.server._errors import error_response, install_error_handlers
from tunelab.server._response import CodecJSONResponse
from tunelab.server._security import security_middleware
from tunelab.server.routes import charts, events, experiment, logs, trials

STATIC_DIR = Path(__file__).parent / "static"


def create_app(context: AppContext, settings: ServerSettings | None = None) -> FastAPI:
    """Build the app for one experiment. No module-level state: everything hangs off ``app.state``."""
    settings = settings or ServerSettings()
    app = FastAPI(
        title="tunelab",
        version="1",
        description="REST API of a tunelab experiment manager (versioned under /api/v1).",
        docs_url=None,  # served below with the vendored Swagger UI: the default loads it from a CDN
        openapi_url="/api/openapi.json",
        redoc_url=None,
        default_response_class=CodecJSONResponse,
    )
    app.state.context = context
    app.state.settings = settings
    app.state.trial_snapshot = TrialSnapshot()
    install_error_handlers(app)
    app.middleware("http")(security_middleware(settings))
    for module in (experiment, trials, charts, logs, events):
        app.include_router(module.router)
    _mount_api_docs(app)
    _mount_ui(app)
    return app


def _mount_api_docs(app: FastAPI) -> None:
    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="tunelab REST API",
            swagger_js_url="/assets/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/assets/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/assets/vendor/swagger-ui/favicon.png",
        )


def _mount_ui(app: FastAPI) -> None:
    index = STATIC_DIR / "index.html"
    if (STATIC_DIR / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=STATIC_DIR / "assets"), name="assets")

    @app.get("/api/{rest:path}", include_in_schema=False)
    def unknown_api(rest: str) -> JSONResponse:
        return error_response(404, "not_found", f"no API route /api/{rest}; see /api/docs")

    @app.get("/{rest:path}", include_in_schema=False, response_model=None)
    def spa(rest: str) -> FileResponse | JSONResponse:
        if index.exists():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return error_response(404, "not_found", "the web UI is not installed in this build")
