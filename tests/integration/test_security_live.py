"""Security of a live manager served beyond the default address: token on every route but the health
check, the Host header, log files confined to the trial directory, no user string reflected as HTML.

The manager binds 127.0.0.2 with a token: a non-default address reachable only from this machine (tests
never bind a real interface). The token logic itself is the same for any address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.reliability.harness import Lab, free_port, wait_for

from tunelab.client import server_settings

HOST = "127.0.0.2"
TOKEN = "s3cret-token-for-tests"
SECRET = "TOP-SECRET-CONTENT-1234"
TRIAL = """
import time
import tunelab.trial_api as api
api.get_next_parameter()
print("hello from the trial", flush=True)
api.report_intermediate_result(0.5)
time.sleep(600)
"""


class Served:
    def __init__(self, lab: Lab, port: int, trial_id: str) -> None:
        self.lab = lab
        self.base = f"http://{HOST}:{port}"
        self.trial_id = trial_id
        self.anon = httpx.Client(base_url=self.base, timeout=30)
        self.auth = httpx.Client(base_url=self.base, timeout=30, headers={"x-tunelab-token": TOKEN})


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    lab = Lab(tmp_path_factory.mktemp("security"))
    lab.write("trial.py", TRIAL)
    port = free_port(HOST)
    config = lab.config(trial="trial.py", trialConcurrency=1, maxTrialNumber=1)
    started = lab.cli("create", "--config", str(config), "--id", "sec", "--port", str(port), "--host", HOST,
                      "--token", TOKEN)
    assert started.returncode == 0, started.stdout + started.stderr

    def running_trial() -> str | None:
        with lab.store("sec") as store:
            trials = [t for t in store.list_trials() if t.intermediate_count]
        return trials[0].id if trials else None

    trial_id = wait_for(running_trial, 60, "the trial to report")
    served = Served(lab, port, trial_id)
    try:
        yield served
    finally:
        served.anon.close()
        served.auth.close()
        lab.cli("stop", "sec")
        lab.close()


def _routes(served: Served) -> list[tuple[str, str]]:
    schema = served.auth.get("/api/openapi.json").json()
    routes = []
    for path, operations in schema["paths"].items():
        concrete = re.sub(r"\{trial_id\}", served.trial_id, path)
        concrete = re.sub(r"\{name\}", "stdout", concrete)
        concrete = re.sub(r"\{[^}]+\}", "x", concrete)
        routes.extend((method.upper(), concrete) for method in operations)
    return routes


def test_token_is_required_on_every_route_but_health(served: Served) -> None:
    routes = [*_routes(served), ("GET", "/"), ("GET", "/api/openapi.json"), ("GET", "/api/docs"),
              ("GET", "/index.html"), ("GET", "/api/v1/no-such-route")]
    assert len(routes) >= 15, routes
    for method, path in routes:
        for client, headers in ((served.anon, {}), (served.anon, {"x-tunelab-token": "wrong"}),
                                (served.anon, {"cookie": "tunelab_token=wrong"})):
            response = client.request(method, path, headers=headers, params={"token": "nope"})
            if path == "/api/v1/health":
                assert response.status_code == 200, (method, path)
                continue
            assert response.status_code == 401, (method, path, headers, response.status_code)
            assert response.json()["error"]["status"] == 401
            assert served.trial_id not in response.text or path.endswith(served.trial_id) is False
    print(f"\nsecurity: {len(routes)} routes x 3 credentials checked for 401")
    # With the token every route gets past the guard (whatever it answers next).
    for method, path in routes:
        if method == "POST" and path.endswith("/stop"):
            continue  # would end the shared manager
        with served.auth.stream(method, path) as response:  # the events route never ends: read no body
            assert response.status_code != 401, (method, path)


def test_health_tells_nothing_secret(served: Served) -> None:
    body = served.anon.get("/api/v1/health").text
    assert TOKEN not in body
    assert "sec" not in body.replace("status", "")


def test_foreign_host_header_is_refused(served: Served) -> None:
    for host in ("evil.example", f"evil.example:{served.base.rsplit(':', 1)[1]}", "127.0.0.2.evil.example", ""):
        response = served.auth.get("/api/v1/experiment", headers={"host": host})
        assert response.status_code in (400, 403), (host, response.status_code)
    assert served.auth.get("/api/v1/experiment").status_code == 200


@pytest.mark.parametrize("name", [
    "../../../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "/etc/passwd", "%2E%2E", "%2E",
    "stdout/../../../tunelab.db", "....//....//etc/passwd", "stdout%00", "trial.log%2F..%2F..%2Ftunelab.db",
])
def test_log_names_cannot_leave_the_trial_directory(served: Served, name: str) -> None:
    response = served.auth.get(f"/api/v1/trials/{served.trial_id}/logs/{name}")
    assert response.status_code in (404, 422), (name, response.status_code)
    assert "root:" not in response.text
    assert "SQLite format" not in response.text


@pytest.mark.parametrize("trial_id", ["%2E%2E", "..%2F..", "%2Fetc", "x%2F..%2F..", "...."])
def test_trial_ids_cannot_become_paths(served: Served, trial_id: str) -> None:
    response = served.auth.get(f"/api/v1/trials/{trial_id}/logs/stdout")
    assert response.status_code in (404, 422), (trial_id, response.status_code)
    assert "hello from the trial" not in response.text


def test_symlinked_log_is_refused(served: Served, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    trial_dir = served.lab.home / "sec" / "trials" / served.trial_id
    (trial_dir / "stderr").unlink()
    (trial_dir / "stderr").symlink_to(secret)
    response = served.auth.get(f"/api/v1/trials/{served.trial_id}/logs/stderr")
    assert response.status_code == 404
    assert SECRET not in response.text
    # the real log is served
    stdout = served.auth.get(f"/api/v1/trials/{served.trial_id}/logs/stdout")
    assert stdout.status_code == 200
    assert "hello from the trial" in stdout.json()["text"]


@pytest.mark.parametrize("path", [
    "/api/v1/trials/<script>alert(1)</script>", "/api/v1/trials?filter=<img src=x onerror=alert(1)>",
    "/<script>alert(1)</script>", "/api/v1/trials/x/logs/<svg onload=alert(1)>",
])
def test_user_strings_are_never_reflected_as_html(served: Served, path: str) -> None:
    response = served.auth.get(path)
    if "text/html" in response.headers.get("content-type", ""):
        assert "<script>alert" not in response.text
        assert "onerror=alert" not in response.text
        assert "onload=alert" not in response.text
    else:
        assert response.headers["content-type"].startswith("application/json"), response.headers


def _settings(host: str, token: str | None) -> Any:
    return server_settings(host, 8080, token)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.org"])
def test_a_token_is_generated_for_any_address_beyond_loopback(host: str) -> None:
    settings = _settings(host, None)  # computed only: nothing is bound to these addresses
    assert settings.token
    assert len(settings.token) >= 24


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_loopback_needs_no_token(host: str) -> None:
    assert _settings(host, None).token is None
