"""The embedded demo: the seed tutorial's MLP tuning, on scikit-learn's bundled digits."""

from tunelab.demo._run import BASELINE, SEARCH_SPACE, demo_config, run_demo

__all__ = ["BASELINE", "SEARCH_SPACE", "demo_config", "run_demo"]
