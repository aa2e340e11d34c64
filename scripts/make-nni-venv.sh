#!/usr/bin/env bash
# Create a separate virtual environment with the real NNI 3.0, for the compatibility tests marked `nni`.
#
#   scripts/make-nni-venv.sh [DIR]        (default: .venv-nni)
#   TUNELAB_TEST_NNI_PYTHON=DIR/bin/python .venv/bin/pytest -m nni
#
# NNI 3.0 is unmaintained: some of its import paths break with numpy 2, so numpy is pinned below 2.
# tunelab itself is NOT installed there: trials find tunelab's shim and channel through PYTHONPATH, set by
# the manager, exactly as in a user's own environment.
set -euo pipefail
dir="${1:-.venv-nni}"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null || python=python3
"$python" -m venv "$dir"
"$dir/bin/python" -m pip install --quiet --upgrade pip
# The BOHB extra (ConfigSpace, statsmodels) lets the differential suite run NNI's BOHB bracket arithmetic.
"$dir/bin/python" -m pip install --quiet "nni[BOHB]==3.0" "numpy<2"
"$dir/bin/python" -c "import nni, sys; print('nni', nni.__version__, 'in', sys.prefix)"
echo "export TUNELAB_TEST_NNI_PYTHON=$(cd "$dir" && pwd)/bin/python"
