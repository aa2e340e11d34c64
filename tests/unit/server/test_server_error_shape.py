"""One JSON error body for every route: ``{"error": {"code", "message", "status"}}`` and nothing else."""

from __future__ import annotations

import re

import pytest

from tunelab.server import AppContext, ServerSettings, create_app

from ._client import ApiClient


def assert_error_shape(response, status: int | None = None) -> None:  # type: ignore[no-untyped-def]
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "status"}, body
    assert body["error"]["status"] == response.status_code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert re.fullmatch(r"[a-z_]+", body["error"]["code"])
    if status is not None:
        assert response.status_code == status, body


def _operations(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every documented (method, path) of the API that takes some input (parameters or a body), path
    parameters filled with an unknown trial; input-less reads cannot be called wrongly."""
    operations = []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            if not operation.get("parameters") and "requestBody" not in operation and method == "get":
                continue
            filled = path.replace("{trial_id}", "no-such-trial").replace("{name}", "stdout")
            operations.append((method.upper(), filled))
    return operations


def test_every_api_route_answers_errors_in_the_one_shape(context: AppContext) -> None:
    app = create_app(context, ServerSettings(port=18200))
    client = ApiClient(app)
    checked = 0
    for method, path in _operations(app):
        if path in ("/api/v1/health", "/api/v1/events"):
            continue
        # a malformed query (limit=-1, a bad filter where taken) or an unknown id or a read-only refusal; when a route
        # takes none of those, an invalid JSON body
        response = client.request(method, path, params={"limit": -1, "max_points": -1, "max_rows": -1,
                                                        "format": "xml", "trials": "a", "filter": "status:NOPE",
                                                        "tail": 0},
                                  content=b"{not json", headers={"content-type": "application/json"})
        if response.status_code < 400:
            pytest.fail(f"{method} {path} accepted a bad call: {response.status_code}")
        assert_error_shape(response)
        checked += 1
    assert checked >= 12


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/nope", 404),
        ("GET", "/api/v1/trials/missing", 404),
        ("DELETE", "/api/v1/trials", 405),
        ("GET", "/api/v1/trials?limit=0", 422),
        ("GET", "/api/v1/trials/t000/logs/secrets", 422),
        ("PATCH", "/api/v1/experiment", 422),
        ("POST", "/api/v1/trials/t011/kill", 409),
    ],
)
def test_specific_errors(client: ApiClient, method: str, path: str, status: int) -> None:
    assert_error_shape(client.request(method, path), status)
