"""Cross-site request forgery against a live manager on loopback: only the UI's own origin (exact scheme,
host and port) may change state; a page on the same host under another port or scheme is another site."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tests.reliability.harness import Lab, free_port, wait_for

TRIAL = """
import time
import tunelab.trial_api as api
api.get_next_parameter()
api.report_intermediate_result(0.5)
time.sleep(600)
"""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lab, httpx.Client, int]]:
    lab = Lab(tmp_path_factory.mktemp("csrf"))
    lab.write("trial.py", TRIAL)
    port = free_port()
    config = lab.config(trial="trial.py", trialConcurrency=1, maxTrialNumber=2)
    started = lab.create(config, "csrf", port=port)
    assert started.returncode == 0, started.stdout + started.stderr
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        yield lab, client, port
    finally:
        client.close()
        lab.stop("csrf")
        lab.close()


FOREIGN = ["http://localhost", "http://127.0.0.1", "https://localhost", "http://[::1]", "https://127.0.0.1",
           "http://localhost:1", "http://evil.example", "null", "http://127.0.0.1.evil.example"]


@pytest.mark.parametrize("origin", FOREIGN)
def test_other_origins_cannot_change_state(live: tuple[Lab, httpx.Client, int], origin: str) -> None:
    lab, client, port = live
    for host_origin in (origin, origin.replace("localhost", f"localhost:{port + 1}")):
        headers = {"origin": host_origin}
        for method, path, body in (("POST", "/api/v1/experiment/stop", None),
                                   ("POST", "/api/v1/trials", {"parameters": {"x": 0.5}}),
                                   ("PATCH", "/api/v1/experiment", {"maxTrialNumber": 50}),
                                   ("POST", "/api/v1/trials/x/kill", None)):
            response = client.request(method, path, headers=headers, json=body)
            assert response.status_code == 403, (host_origin, method, path, response.status_code, response.text)
    assert lab.manager_info("csrf") is not None
    experiment = client.get("/api/v1/experiment").json()
    assert experiment["status"] == "RUNNING", experiment
    assert experiment["config"]["maxTrialNumber"] == 2, experiment
    assert len(lab.trial_states("csrf")) <= 1


def test_the_ui_origin_may_change_state(live: tuple[Lab, httpx.Client, int]) -> None:
    lab, client, port = live
    for origin in (f"http://127.0.0.1:{port}", f"http://localhost:{port}", f"http://LOCALHOST:{port}/"):
        response = client.post("/api/v1/trials/no-such-trial/kill", headers={"origin": origin})
        assert response.status_code == 404, (origin, response.status_code)  # past the guard
    wait_for(lambda: lab.trial_states("csrf"), 30, "the first trial")
