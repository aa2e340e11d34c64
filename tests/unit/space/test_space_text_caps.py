"""Free text in a search space has sane lengths: a name is a label, a choice string is not a document."""

from __future__ import annotations

import time

import pytest

from tunelab.base import SearchSpaceError
from tunelab.space import parse_search_space
from tunelab.space._parse import MAX_CHOICE_TEXT_CHARS, MAX_NAME_CHARS


def test_a_parameter_name_of_the_cap_is_fine_and_one_more_is_refused() -> None:
    assert parse_search_space({"n" * MAX_NAME_CHARS: {"_type": "uniform", "_value": [0, 1]}}).names
    started = time.monotonic()
    with pytest.raises(SearchSpaceError, match=r"at most 256 characters \(this one has 1,000,000\)") as refused:
        parse_search_space({"n" * 1_000_000: {"_type": "uniform", "_value": [0, 1]}})
    assert time.monotonic() - started < 1
    assert len(str(refused.value)) < 300  # the message does not echo the name


def test_a_nested_parameter_name_is_capped_too() -> None:
    space = {"layer": {"_type": "choice", "_value": [
        {"_name": "conv", "k" * (MAX_NAME_CHARS + 1): {"_type": "choice", "_value": [3, 5]}}]}}
    with pytest.raises(SearchSpaceError, match=r"searchSpace\.layer\[0\]\.k+\.\.\.: parameter names must be at most"):
        parse_search_space(space)


def test_a_huge_choice_string_is_refused_naming_where() -> None:
    assert parse_search_space({"arch": {"_type": "choice", "_value": ["a" * MAX_CHOICE_TEXT_CHARS]}}).names
    with pytest.raises(SearchSpaceError, match=r"searchSpace\.arch\[1\]: choice strings must be at most 10,000"):
        parse_search_space({"arch": {"_type": "choice", "_value": ["small", "x" * 50_000]}})
