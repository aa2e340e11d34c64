"""Tuners: ask/tell algorithms over a read-only history, and the registry of NNI names."""

from tunelab.tuners._base import History, Observation, OptimizeMode, Tuner

__all__ = ["History", "Observation", "OptimizeMode", "Tuner"]
