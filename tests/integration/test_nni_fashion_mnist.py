"""examples/fashion_mnist on a tiny IDX fixture written here: baseline, trial standalone, the search
script (NNI's Experiment API with only the import line changed) and the best-parameters run."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fashion_mnist"


def _fashion_data():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("fashion_data", EXAMPLE / "fashion_data.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """64 training and 32 test images: class k is a bright k-th row band, so a few epochs learn it."""
    data = _fashion_data()
    directory = tmp_path_factory.mktemp("fashion")
    rng = np.random.default_rng(0)
    for prefix, count, gz in (("train", 64, True), ("t10k", 32, False)):
        labels = rng.integers(0, 10, size=count).astype(np.uint8)
        images = rng.integers(0, 40, size=(count, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):
            images[i, 2 * label : 2 * label + 3, :] = 250
        suffix = ".gz" if gz else ""
        data.write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}", images)
        data.write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
    return directory


def _env(idx_dir: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNELAB_", "NNI_"))}
    env.update(FASHION_MNIST_DIR=str(idx_dir), FASHION_MNIST_EPOCHS="2", TUNELAB_HOME=str(home),
               SEARCH_TRIALS="2", SEARCH_CONCURRENCY="2", SEARCH_PORT="18350",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    return env


def _run(script: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, script, *args], cwd=EXAMPLE, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_idx_round_trip(tmp_path: Path) -> None:
    data = _fashion_data()
    array = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    data.write_idx(tmp_path / "x.gz", array)
    assert np.array_equal(data.read_idx(tmp_path / "x.gz"), array)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(tmp_path / "bad")
    with pytest.raises(FileNotFoundError, match="IDX files"):
        data.find_dir(tmp_path)


def test_explicit_data_dir_never_falls_back(idx_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine that has the data installed (Debian's dataset-fashion-mnist, $FASHION_MNIST_DIR, the cache)
    must not turn a wrong --data-dir into a silent success, nor change what this suite sees."""
    data = _fashion_data()
    monkeypatch.setattr(data, "SYSTEM_DIR", idx_dir)
    monkeypatch.setattr(data, "CACHE_DIR", idx_dir)
    monkeypatch.setenv("FASHION_MNIST_DIR", str(idx_dir))
    with pytest.raises(FileNotFoundError, match="IDX files"):
        data.find_dir(tmp_path)
    assert data.find_dir() == idx_dir
    assert data.find_dir(idx_dir) == idx_dir


def test_baseline_trial_and_best_params_scripts(idx_dir: Path, tmp_path: Path) -> None:
    env = _env(idx_dir, tmp_path / "home")
    baseline = _run("mnist_without_nni.py", env)
    assert baseline.returncode == 0, baseline.stderr
    assert "Baseline result: accuracy" in baseline.stdout
    from tunelab.compat import trial_environment

    # By hand, without NNI installed: the shim on PYTHONPATH (as the manager does for trials).
    standalone = _run("mnist_nni.py", {**env, "PYTHONPATH": trial_environment(env)["PYTHONPATH"]},
                      "--data-dir", str(idx_dir), "--epochs", "1")
    assert standalone.returncode == 0, standalone.stderr
    assert "Final result:" in standalone.stdout  # NNI's standalone behaviour: reports are logged
    best = _run("mnist_bestparams.py", env)
    assert best.returncode == 0, best.stderr
    assert "Best-parameters result" in best.stdout


def test_search_script_runs_on_tunelab(idx_dir: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    search = _run("search.py", _env(idx_dir, home))
    assert search.returncode == 0, search.stdout + search.stderr
    assert "best parameters:" in search.stdout
    (db,) = home.glob("*/tunelab.db")
    import sqlite3

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT status, final FROM trials").fetchall()
    assert len(rows) == 2
    assert all(status == "SUCCEEDED" and 0.0 <= final <= 1.0 for status, final in rows)
    trial_dirs = list(home.glob("*/trials/*"))
    assert any("epoch 2: accuracy" in (d / "stdout").read_text() for d in trial_dirs)
