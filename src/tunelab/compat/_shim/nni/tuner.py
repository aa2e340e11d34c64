"""``nni.tuner.Tuner``: the base class NNI custom tuners subclass (NNI 3.0's methods and defaults).

tunelab drives such a class through ``tunelab.tuners.load_custom_tuner``: it calls
``update_search_space`` once with the space, ``generate_parameters`` per trial, and
``receive_trial_result`` / ``trial_end`` / ``import_data`` as results arrive.
"""

from __future__ import annotations

from typing import Any

from nni.typehint import Parameters, SearchSpace, TrialMetric, TrialRecord

__all__ = ["Parameters", "Recoverable", "SearchSpace", "TrialMetric", "TrialRecord", "Tuner"]


class Recoverable:
    """NNI's checkpoint hooks (no-ops unless overridden)."""

    def load_checkpoint(self) -> None:
        pass

    def save_checkpoint(self) -> None:
        pass

    def get_checkpoint_path(self) -> str | None:
        import os

        return os.environ.get("NNI_CHECKPOINT_DIRECTORY")


class Tuner(Recoverable):
    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> Any:
        raise NotImplementedError("Tuner: generate_parameters not implemented")

    def generate_multiple_parameters(self, parameter_id_list: list[int], **kwargs: Any) -> list[Any]:
        from nni.trial import NoMoreTrialError

        result = []
        for parameter_id in parameter_id_list:
            try:
                result.append(self.generate_parameters(parameter_id, **kwargs))
            except NoMoreTrialError:
                return result
        return result

    def receive_trial_result(self, parameter_id: int, parameters: Any, value: Any, **kwargs: Any) -> None:
        raise NotImplementedError("Tuner: receive_trial_result not implemented")

    def _accept_customized_trials(self, accept: bool = True) -> None:
        self._accept_customized = accept

    def trial_end(self, parameter_id: int, success: bool, **kwargs: Any) -> None:
        pass

    def update_search_space(self, search_space: dict[str, Any]) -> None:
        raise NotImplementedError("Tuner: update_search_space not implemented")

    def import_data(self, data: list[dict[str, Any]]) -> None:
        pass

    def _on_exit(self) -> None:
        pass

    def _on_error(self) -> None:
        pass
