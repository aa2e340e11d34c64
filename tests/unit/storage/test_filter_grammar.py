"""parse_filter(): the filter grammar shared by the web UI and the CLI."""

from __future__ import annotations

import pytest

from tunelab.base import InvalidInputError
from tunelab.storage import Condition, Op, TrialQuery, parse_filter
from tunelab.trial import TrialState


def test_example_from_the_docs() -> None:
    query = parse_filter("lr>0.01 status:FAILED optimizer=sgd text")
    assert query == TrialQuery(
        statuses=(TrialState.FAILED,),
        parameters=(Condition("lr", Op.GT, 0.01), Condition("optimizer", Op.EQ, "sgd")),
        text=("text",),
    )


def test_spaces_around_operators_and_quotes() -> None:
    query = parse_filter("lr > 0.01  optimizer == 'sgd'  name='1' \"two words\"")
    assert query.parameters == (
        Condition("lr", Op.GT, 0.01),
        Condition("optimizer", Op.EQ, "sgd"),
        Condition("name", Op.EQ, "1"),
    )
    assert query.text == ("two words",)


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("lr=0.001..0.01", Condition("lr", Op.BETWEEN, 0.001, 0.01)),
        ("batch=16,32", Condition("batch", Op.IN, (16, 32))),
        ("batch:32", Condition("batch", Op.EQ, 32)),
        ("lr<=1e-3", Condition("lr", Op.LE, 0.001)),
        ("x>=-2", Condition("x", Op.GE, -2)),
        ("flag=True", Condition("flag", Op.EQ, True)),
        ("model._name=cnn", Condition("model._name", Op.EQ, "cnn")),
        ("params.final>1", Condition("final", Op.GT, 1)),
    ],
)
def test_parameter_conditions(text: str, condition: Condition) -> None:
    assert parse_filter(text).parameters == (condition,)


def test_value_types() -> None:
    [condition] = parse_filter("x=7").parameters
    assert type(condition.value) is int
    [condition] = parse_filter("x=7.0").parameters
    assert type(condition.value) is float


def test_not_in_is_several_not_equals() -> None:
    assert parse_filter("opt!=a,b").parameters == (Condition("opt", Op.NE, "a"), Condition("opt", Op.NE, "b"))


def test_fields_and_metrics() -> None:
    query = parse_filter("final>0.9 duration<60 metric.loss<0.2 metrics.acc=0.5..1")
    assert query.fields == (Condition("final", Op.GT, 0.9), Condition("duration", Op.LT, 60))
    assert query.metrics == (Condition("loss", Op.LT, 0.2), Condition("acc", Op.BETWEEN, 0.5, 1))


def test_statuses() -> None:
    assert parse_filter("status:failed,Running").statuses == (TrialState.RUNNING, TrialState.FAILED)
    assert parse_filter("status:FAILED status=RUNNING").statuses == (TrialState.RUNNING, TrialState.FAILED)
    excluded = parse_filter("status!=SUCCEEDED").statuses
    assert TrialState.SUCCEEDED not in excluded
    assert len(excluded) == len(TrialState) - 1


def test_options_pass_through() -> None:
    query = parse_filter("lr>0", sort="params.lr", descending=True, offset=5, limit=10)
    assert (query.sort, query.descending, query.offset, query.limit) == ("params.lr", True, 5, 10)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("status:DONE", r"filter token 'status:DONE': unknown status 'DONE'"),
        ("status:FAILD", r'did you mean "FAILED"'),
        ("status>FAILED", r"status takes = or !="),
        ("status!=FAILED,SUCCEEDED,RUNNING,WAITING,USER_CANCELED,EARLY_STOPPED", r"exclude every status"),
        ("lr>", r"filter token 'lr>': missing value after '>'"),
        ("lr>>1", r"missing value after '>'"),
        (">1", r"operator without a name"),
        ("lr='0.1", r"quote ' at position 3 is not closed"),
        ("duration>abc", r"filter token 'duration>abc': filter duration: compare with a number"),
        ("lr>true", r"booleans only compare with == and !="),
        ("lr=1..x", r"same type"),
        ("lr!=1..2", r"a range takes ="),
        ("'lr'=1", r"names are not quoted"),
        ("model..x=1", r"dotted path"),
    ],
)
def test_errors_name_the_token(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_filter(text)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sort": "finall"}, r'sort key \'finall\' is not known \(did you mean "final"\?\)'),
        ({"sort": "params."}, r"dotted path"),
        ({"offset": -1}, r"offset must be >= 0"),
        ({"limit": 0}, r"limit must be between 1"),
    ],
)
def test_query_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        TrialQuery(**kwargs)  # type: ignore[arg-type]


def test_field_conditions_are_checked() -> None:
    with pytest.raises(InvalidInputError, match=r"not a trial column \(did you mean \"final\"\?\)"):
        TrialQuery(fields=(Condition("finals", Op.GT, 1),))
