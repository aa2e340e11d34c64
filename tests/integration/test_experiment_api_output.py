"""The Python API talks like NNI's: a search.py run in its own interpreter prints the experiment id and the
web UI URL (unless the script configured logging), and ``run()`` returns the final status."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.integration.conftest import free_port

PROJECT = Path(__file__).with_name("nni_project")

SEARCH = textwrap.dedent("""
    import json, logging, sys
    from pathlib import Path
    from tunelab.experiment import Experiment

    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "configured":
        logging.basicConfig(level=logging.WARNING)
    project = Path(__file__).parent
    experiment = Experiment("local")
    experiment.config.trial_command = "python3 -c 'import not_a_module'" if mode == "broken" else "python3 trial.py"
    experiment.config.trial_code_directory = project
    experiment.config.search_space = json.loads((project / "search_space.json").read_text())
    experiment.config.tuner.name = "TPE"
    experiment.config.tuner.class_args["optimize_mode"] = "minimize"
    experiment.config.max_trial_number = 2
    experiment.config.trial_concurrency = 2
    status = experiment.run(port)
    print("RESULT", json.dumps({"status": status, "truthy": bool(status), "id": experiment.id}))
    experiment.stop()
""")


def _run(tmp_path: Path, mode: str) -> tuple[subprocess.CompletedProcess[str], dict[str, object], int]:
    project = Path(shutil.copytree(PROJECT, tmp_path / "project"))
    (project / "search.py").write_text(SEARCH)
    env = {**os.environ, "TUNELAB_HOME": str(tmp_path / "home")}
    env.pop("TUNELAB_TRIAL_ID", None)
    port = free_port()
    result = subprocess.run([sys.executable, str(project / "search.py"), mode, str(port)], check=False, env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    return result, json.loads(line[len("RESULT "):]), port


def test_run_prints_the_id_and_url_and_returns_the_final_status(tmp_path: Path) -> None:
    result, outcome, port = _run(tmp_path, "default")
    assert outcome["status"] == "DONE"
    assert outcome["truthy"] is True
    assert f"Experiment ID: {outcome['id']}" in result.stdout
    assert f"Web portal URL: http://127.0.0.1:{port}/" in result.stdout
    assert f"Experiment {outcome['id']} ended DONE" in result.stdout
    assert result.stdout.count("Web portal URL") == 1


def test_a_script_that_configured_logging_is_not_talked_over(tmp_path: Path) -> None:
    result, outcome, _ = _run(tmp_path, "configured")
    assert outcome["status"] == "DONE"
    assert "Web portal URL" not in result.stdout + result.stderr


def test_run_of_a_broken_trial_returns_error_and_says_why(tmp_path: Path) -> None:
    result, outcome, _ = _run(tmp_path, "broken")
    assert outcome["status"] == "ERROR"
    assert outcome["truthy"] is False
    assert "the first 2 trials all failed: ModuleNotFoundError: No module named 'not_a_module'" in result.stdout
    assert f"tunelab log {outcome['id']} -T " in result.stdout
