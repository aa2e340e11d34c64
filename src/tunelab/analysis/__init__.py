"""Chart data as plain JSON-ready dicts, computed by pure functions from trial and metric records.

The REST API, the CLI and the web UI all draw from these functions (compute, then render): nothing here
touches a store, a server or a clock. Every function downsamples to a bounded size so that an experiment
of 10,000 trials stays cheap to send and to draw.
"""

from tunelab.analysis._compare import compare_trials
from tunelab.analysis._curves import curve_trials, intermediate_curves
from tunelab.analysis._downsample import lttb_indices, stride_indices
from tunelab.analysis._history import optimization_history
from tunelab.analysis._importance import parameter_importance
from tunelab.analysis._parallel import parallel_coordinates, scored_trials, slice_plot
from tunelab.analysis._params import flatten_parameters, trial_columns
from tunelab.analysis._rank import final_ranks, rank_plot
from tunelab.analysis._timeline import duration_histogram, timeline

__all__ = [
    "compare_trials",
    "curve_trials",
    "duration_histogram",
    "final_ranks",
    "flatten_parameters",
    "intermediate_curves",
    "lttb_indices",
    "optimization_history",
    "parallel_coordinates",
    "parameter_importance",
    "rank_plot",
    "scored_trials",
    "slice_plot",
    "stride_indices",
    "timeline",
    "trial_columns",
]
