"""schemathesis against a live manager's OpenAPI schema: no server error, every error in the one shape.

The manager runs a real experiment (trials are ``true``, so whatever budget the fuzzer sets stays cheap).
Excluded: ``POST /experiment/stop`` (it ends the manager under test) and ``GET /events`` (a stream that
never ends); both have their own tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from tests.reliability.harness import Lab, free_port, wait_for

EXAMPLES = 25
_calls: dict[str, int] = {}


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    lab = Lab(tmp_path_factory.mktemp("fuzz"))
    lab.write("trial.py", "import tunelab.trial_api as api\napi.get_next_parameter()\n"
                          "api.report_intermediate_result(0.1)\napi.report_final_result(0.5)\n")
    port = free_port()
    config = lab.config(trial="trial.py", trialConcurrency=1, maxTrialNumber=3)
    started = lab.create(config, "fuzz", port=port)
    assert started.returncode == 0, started.stdout + started.stderr
    wait_for(lambda: len(lab.trial_states("fuzz")) == 3 and all(s.is_finished for s in lab.trial_states("fuzz").values()),
             60, "the first trials")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        print(f"\nfuzz: {sum(_calls.values())} calls over {len(_calls)} operations, "
              f"status classes {sorted({k.split()[-1] for k in _calls})}")
        lab.stop("fuzz")
        lab.close()


@pytest.fixture(scope="module")
def api_schema(live_url: str) -> Any:
    schema = schemathesis.openapi.from_url(f"{live_url}/api/openapi.json")
    return schema.exclude(path="/api/v1/experiment/stop").exclude(path="/api/v1/events")


def test_no_server_error_and_one_error_shape(api_schema: Any, live_url: str) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15, [op.label for op in operations]
    for operation in operations:
        _fuzz(operation, live_url)
    assert sum(_calls.values()) >= len(operations) * 5


def _fuzz(operation: Any, live_url: str) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              derandomize=True)
    def fuzz(case: Any) -> None:
        _check(case, live_url)

    fuzz()


def _check(case: Any, live_url: str) -> None:
    response = case.call(base_url=live_url, timeout=30)
    key = f"{case.method} {case.path} {response.status_code // 100}xx"
    _calls[key] = _calls.get(key, 0) + 1
    assert response.status_code < 500, (case.method, case.formatted_path, case.query, case.body, response.status_code,
                                        response.text)
    if response.status_code >= 400:
        body = response.json()
        assert list(body) == ["error"], body
        assert set(body["error"]) == {"code", "message", "status"}, body
        assert body["error"]["status"] == response.status_code
        assert isinstance(body["error"]["message"], str)
        assert body["error"]["message"]
        assert "Traceback" not in response.text
