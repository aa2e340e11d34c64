"""Search spaces in NNI's format: parse and validate, sample, check membership, code as vectors, grids.

The public types are immutable; ``SearchSpace`` is the one object every other layer passes around.
"""

from tunelab.space._keys import params_key
from tunelab.space._params import Choice, Numeric, Parameter, RandInt
from tunelab.space._parse import load_search_space, parse_search_space
from tunelab.space._space import Dim, SearchSpace

__all__ = [
    "Choice",
    "Dim",
    "Numeric",
    "Parameter",
    "RandInt",
    "SearchSpace",
    "load_search_space",
    "params_key",
    "parse_search_space",
]
