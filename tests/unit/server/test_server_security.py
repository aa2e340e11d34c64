"""Host check (DNS rebinding), the token beyond loopback, and log files confined to the trial directory."""

from __future__ import annotations

import os
from pathlib import Path

from tunelab.server import AppContext, ServerSettings, create_app

from ._client import ApiClient
from .test_server_error_shape import assert_error_shape


def test_foreign_host_header_is_rejected(context: AppContext) -> None:
    client = ApiClient(create_app(context, ServerSettings(port=18200)), base_url="http://evil.example:18200")
    response = client.get("/api/v1/experiment")
    assert_error_shape(response, 403)
    assert "evil.example" in response.json()["error"]["message"]


def test_loopback_host_names_are_accepted(context: AppContext) -> None:
    app = create_app(context, ServerSettings(port=18200))
    for base in ("http://127.0.0.1:18200", "http://localhost:18200"):
        assert ApiClient(app, base_url=base).get("/api/v1/experiment").status_code == 200


def test_token_is_required_beyond_loopback(context: AppContext) -> None:
    app = create_app(context, ServerSettings(host="0.0.0.0", port=18201, token="s3cret"))
    client = ApiClient(app, base_url="http://0.0.0.0:18201")
    assert_error_shape(client.get("/api/v1/experiment"), 401)
    assert_error_shape(client.post("/api/v1/experiment/stop"), 401)
    assert client.get("/api/v1/health").status_code == 200
    client.headers["x-tunelab-token"] = "wrong"
    assert_error_shape(client.get("/api/v1/experiment"), 401)
    client.headers["x-tunelab-token"] = "s3cret"
    assert client.get("/api/v1/experiment").status_code == 200


def test_token_in_the_url_sets_a_cookie_for_the_ui(context: AppContext) -> None:
    app = create_app(context, ServerSettings(host="0.0.0.0", port=18201, token="s3cret"))
    response = ApiClient(app, base_url="http://0.0.0.0:18201").get("/api/v1/experiment?token=s3cret")
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert "tunelab_token=s3cret" in cookie
    assert "HttpOnly" in cookie


def test_logs_are_served_from_the_trial_directory(client: ApiClient, context: AppContext) -> None:
    trial_dir = context.experiment_dir / "trials" / "t010"
    trial_dir.mkdir(parents=True)
    (trial_dir / "stderr").write_text("Traceback\nValueError: boom\n")
    body = client.get("/api/v1/trials/t010/logs/stderr").json()
    assert body["text"].endswith("ValueError: boom\n")
    assert client.get("/api/v1/trials/t010/logs/stderr", params={"tail": 5}).json()["text"] == "boom\n"


def test_a_log_linked_outside_the_trial_directory_is_refused(client: ApiClient, context: AppContext,
                                                             tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    trial_dir = context.experiment_dir / "trials" / "t010"
    trial_dir.mkdir(parents=True)
    os.symlink(secret, trial_dir / "stdout")
    response = client.get("/api/v1/trials/t010/logs/stdout")
    assert_error_shape(response, 404)
    assert "password" not in response.text


def test_path_tricks_in_log_names_are_refused(client: ApiClient) -> None:
    for name in ("..%2F..%2Fsecret", "%2Fetc%2Fpasswd"):
        response = client.get(f"/api/v1/trials/t010/logs/{name}")
        assert response.status_code in (404, 422)
        assert_error_shape(response)


def test_state_changes_from_another_site_are_refused(client: ApiClient) -> None:
    response = client.post("/api/v1/experiment/stop", headers={"origin": "http://evil.example"})
    assert_error_shape(response, 403)
    assert "evil.example" in response.json()["error"]["message"]
    response = client.post("/api/v1/experiment/stop", headers={"origin": "null"})
    assert_error_shape(response, 403)


def test_state_changes_from_the_ui_origin_pass_the_guard(client: ApiClient) -> None:
    # The viewed experiment refuses with 409 (read-only): the request got past the Origin check.
    response = client.post("/api/v1/experiment/stop", headers={"origin": "http://127.0.0.1:18200"})
    assert response.status_code == 409


def test_reads_from_another_origin_are_not_blocked_by_the_origin_check(client: ApiClient) -> None:
    assert client.get("/api/v1/experiment", headers={"origin": "http://evil.example"}).status_code == 200
