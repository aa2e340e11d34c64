"""The trials list (server-side filter/sort/paging), trial detail and chart routes."""

from __future__ import annotations

from ._client import ApiClient


def _ids(body: dict) -> list[str]:
    return [t["id"] for t in body["trials"]]


def test_default_page_is_in_sequence_order_with_total(client: ApiClient) -> None:
    body = client.get("/api/v1/trials", params={"limit": 5}).json()
    assert body["total"] == 12
    assert _ids(body) == ["t000", "t001", "t002", "t003", "t004"]


def test_sort_by_final_descending_puts_the_best_first_and_missing_last(client: ApiClient) -> None:
    body = client.get("/api/v1/trials", params={"sort": "final", "order": "desc"}).json()
    finals = [t["final"] for t in body["trials"]]
    assert finals[:3] == [0.95, 0.9, 0.8]
    assert finals[-2:] == [None, None]


def test_paging_offsets_into_the_sorted_result(client: ApiClient) -> None:
    body = client.get("/api/v1/trials", params={"sort": "final", "order": "desc", "offset": 1, "limit": 2}).json()
    assert _ids(body) == ["t009", "t006"]
    assert (body["offset"], body["limit"], body["total"]) == (1, 2, 12)


def test_filter_grammar_combines_status_and_parameter_conditions(client: ApiClient) -> None:
    body = client.get("/api/v1/trials", params={"filter": "status:SUCCEEDED lr>0.05"}).json()
    assert body["total"] == 3
    assert all(t["parameters"]["lr"] > 0.05 and t["status"] == "SUCCEEDED" for t in body["trials"])


def test_status_parameter_narrows_the_filter(client: ApiClient) -> None:
    body = client.get("/api/v1/trials", params={"status": ["failed"], "filter": "lr>0.1"}).json()
    assert _ids(body) == ["t010"]


def test_contradicting_status_parameter_and_filter_is_an_error(client: ApiClient) -> None:
    response = client.get("/api/v1/trials", params={"status": ["RUNNING"], "filter": "status:FAILED"})
    assert response.status_code == 422
    assert "exclude each other" in response.json()["error"]["message"]


def test_bad_filter_names_the_token(client: ApiClient) -> None:
    response = client.get("/api/v1/trials", params={"filter": "status:DONEE"})
    assert response.status_code == 422
    assert "DONEE" in response.json()["error"]["message"]


def test_unknown_sort_key_is_an_error_with_a_suggestion(client: ApiClient) -> None:
    response = client.get("/api/v1/trials", params={"sort": "finall"})
    assert response.status_code == 422
    assert "final" in response.json()["error"]["message"]


def test_trial_detail_has_intermediates_and_events(client: ApiClient) -> None:
    body = client.get("/api/v1/trials/t007").json()
    assert body["final"] == 0.95
    assert [m["sequence"] for m in body["intermediate"]] == [0, 1, 2, 3, 4]
    assert body["final_data"] == {"default": 0.95, "loss": 0.050000000000000044}


def test_unknown_trial_is_404(client: ApiClient) -> None:
    response = client.get("/api/v1/trials/nope")
    assert response.status_code == 404


def test_experiment_overview_reports_best_counts_and_duration(client: ApiClient) -> None:
    body = client.get("/api/v1/experiment").json()
    assert body["best"]["id"] == "t007"
    assert body["counts"]["SUCCEEDED"] == 10
    assert body["counts"]["FAILED"] == 1
    assert body["max_duration_s"] == 3600
    assert body["read_only"] is True


def test_best_route_uses_the_optimize_mode(client: ApiClient) -> None:
    assert client.get("/api/v1/best").json()["trial_id"] == "t007"


def test_history_chart_has_best_so_far_steps(client: ApiClient) -> None:
    body = client.get("/api/v1/charts/history").json()
    assert body["points"]["sequence"] == list(range(10))
    assert body["best"]["value"] == [0.5, 0.6, 0.7, 0.8, 0.95, 0.95]


def test_parallel_chart_has_one_axis_per_parameter(client: ApiClient) -> None:
    body = client.get("/api/v1/charts/parallel").json()
    axes = {a["key"]: a for a in body["dimensions"]}
    assert axes["lr"]["type"] == "numeric"
    assert axes["lr"]["log"] is True
    assert axes["opt"]["type"] == "categorical"
    assert len(body["rows"]) == 10


def test_curves_default_to_the_best_trials_and_respect_selection(client: ApiClient) -> None:
    body = client.get("/api/v1/charts/curves", params={"top": 2}).json()
    assert [c["trial_id"] for c in body["curves"]] == ["t007", "t009"]
    body = client.get("/api/v1/charts/curves", params={"trials": "t001,t002", "max_points": 3}).json()
    assert [c["trial_id"] for c in body["curves"]] == ["t001", "t002"]
    assert len(body["curves"][0]["sequence"]) == 3


def test_other_charts_answer(client: ApiClient) -> None:
    assert client.get("/api/v1/charts/importance").json()["trials"] == 10
    assert client.get("/api/v1/charts/timeline").json()["total"] == 12
    assert client.get("/api/v1/charts/slice").json()["total"] == 10
    rank = client.get("/api/v1/charts/rank").json()
    assert rank["trial_ids"][rank["rank"].index(1)] == "t007"  # the best, as /best says
    assert sorted(rank["rank"]) == list(range(1, 11))
    assert client.get("/api/v1/charts/columns").json() == {"parameters": ["lr", "opt"], "metrics": ["default", "loss"]}


def test_compare_puts_trials_side_by_side(client: ApiClient) -> None:
    body = client.get("/api/v1/compare", params={"trials": ["t000", "t001"]}).json()
    rows = {r["key"]: r for r in body["rows"]}
    assert rows["final"]["values"] == [0.5, 0.6]
    assert rows["final"]["differs"] is True
    assert len(body["curves"]) == 2


def test_compare_needs_two_trials(client: ApiClient) -> None:
    response = client.get("/api/v1/compare", params={"trials": "t000"})
    assert response.status_code == 422


def test_control_routes_refuse_a_viewed_experiment(client: ApiClient) -> None:
    response = client.patch("/api/v1/experiment", json={"trialConcurrency": 3})
    assert response.status_code == 409
    assert "read-only" in response.json()["error"]["message"]


def test_trial_detail_gives_the_tensorboard_command_once_the_trial_wrote_files(client: ApiClient, context) -> None:
    assert client.get("/api/v1/trials/t007").json()["tensorboard"] is None
    folder = context.experiment_dir / "trials" / "t007" / "tensorboard"
    folder.mkdir(parents=True)
    assert client.get("/api/v1/trials/t007").json()["tensorboard"] is None  # the empty folder every trial gets
    (folder / "events.out.tfevents.1.host").write_bytes(b"\0")
    assert client.get("/api/v1/trials/t007").json()["tensorboard"] == {
        "command": "tunelab tensorboard exp1 --trials 7"}
