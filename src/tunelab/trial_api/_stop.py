"""The clean-stop signal: ``should_stop()`` turns True once the manager has decided to end this trial.

The manager ends a trial (assessor early stop, user kill, maxTrialDuration, experiment end) with SIGTERM
to its process group, then SIGKILL after ``trialGracePeriod`` (5 s by default). A script that never asks
keeps the default SIGTERM action and dies at once, as before. A script that asks gets a SIGTERM handler
that only raises a flag, so it can finish its epoch, write a checkpoint and exit 0 within the grace period;
the manager records the state it decided (EARLY_STOPPED, USER_CANCELED), not SUCCEEDED.
"""

from __future__ import annotations

# The C module: ``signal`` imports enum (about 8 ms), which trial processes should not pay for.
import _signal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType

_stop_requested = False
_installed = False


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    global _stop_requested
    _stop_requested = True


def install() -> bool:
    """Catch SIGTERM as a stop request (once; only the main thread may install a signal handler).

    Returns whether the handler is in place. A script that replaced SIGTERM's handler itself keeps its own.
    """
    global _installed
    if _installed:
        return True
    if _signal.getsignal(_signal.SIGTERM) not in (_signal.SIG_DFL, None):
        _installed = True  # the script handles SIGTERM its own way; leave it alone
        return True
    try:
        _signal.signal(_signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: a later call from the main thread installs it
        return False
    _installed = True
    return True


def claim_sigterm() -> bool:
    """Make SIGTERM a stop request even over a framework's own handler (Lightning's raises mid-step).

    For callbacks that call it once the framework has set its handlers up; returns False off the main thread.
    """
    global _installed
    try:
        _signal.signal(_signal.SIGTERM, _on_sigterm)
    except ValueError:
        return False
    _installed = True
    return True


def should_stop() -> bool:
    """True once the manager has asked this trial to stop; finish the step, save, report and exit.

    The first call starts listening, so call it once early (or use a ``tunelab.integration`` callback)
    and then after each epoch. The manager kills the trial ``trialGracePeriod`` after asking.
    """
    install()
    return _stop_requested


def _reset_for_tests() -> None:
    global _stop_requested, _installed
    if _installed and _signal.getsignal(_signal.SIGTERM) is _on_sigterm:
        _signal.signal(_signal.SIGTERM, _signal.SIG_DFL)
    _stop_requested = False
    _installed = False
