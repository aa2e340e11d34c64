"""Run the real ``nnictl`` (in the ``.venv-nni`` interpreter) with the test-only adjustments of
``_patches.py`` (127.0.0.1 only; patient start-up on a loaded machine).

Usage: python nnictl.py <nnictl arguments...>
"""

import sys

from _patches import apply

apply()

from nni.tools.nnictl.nnictl import parse_args  # noqa: E402

sys.argv = ["nnictl", *sys.argv[1:]]
parse_args()
