"""The parallel-quality tables: computed as plain data first, then rendered as Markdown.

For each (tool, problem, concurrency) the median over seeds of the regret after N completed trials; the
slowdown of parallelism is that median divided by the same tool's median at concurrency 1 (same run, same
seeds); "on the median problem" is the median over problems of that per-problem ratio.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from _functions import PROBLEMS

DEFAULT_TOOL = "tunelab:Auto"
#: The issue's goal: at concurrency 8, the default's regret within 1.3x of its sequential regret.
GOAL_RATIO, GOAL_CONCURRENCY = 1.3, 8


@dataclass(frozen=True)
class Cell:
    median: float
    seeds: int


def regret(values: Sequence[float], problem: str, at: int) -> float:
    return max(min(values[:at]) - PROBLEMS[problem].optimum, 0.0)


def ratio(value: float, base: float) -> float:
    """value / base, with 0 / 0 = 1 (both solved exactly) and x / 0 = inf."""
    if base == 0:
        return 1.0 if value == 0 else float("inf")
    return value / base


def cells(records: list[dict[str, Any]], seeds: int, n_trials: int) -> dict[tuple[str, str, int], Cell]:
    """(tool, problem, concurrency) -> median regret after ``n_trials`` completed, over seeds < ``seeds``."""
    grouped: dict[tuple[str, str, int], dict[int, float]] = {}
    for r in records:
        if r["n"] == n_trials and r["seed"] < seeds:
            slot = grouped.setdefault((r["tool"], r["problem"], r["concurrency"]), {})
            slot[r["seed"]] = regret(r["values"], r["problem"], n_trials)
    return {k: Cell(float(np.median(list(v.values()))), len(v)) for k, v in grouped.items()}


def slowdowns(
    table: dict[tuple[str, str, int], Cell], tool: str, problems: Sequence[str], level: int
) -> list[float]:
    """Per problem: the tool's median regret at ``level`` over its median at concurrency 1."""
    out = []
    for p in problems:
        par, seq = table.get((tool, p, level)), table.get((tool, p, 1))
        if par is not None and seq is not None:
            out.append(ratio(par.median, seq.median))
    return out


def render(
    table: dict[tuple[str, str, int], Cell],
    tools: Sequence[str],
    problems: Sequence[str],
    levels: Sequence[int],
    seeds: int,
    n_trials: int,
    notes: Sequence[str] = (),
) -> str:
    parallel = [c for c in levels if c > 1]
    lines = [
        f"# parallel quality: {seeds} seeds, regret after {n_trials} completed trials, "
        f"concurrency {'/'.join(map(str, levels))}",
        "",
        "Median regret over seeds; xC = that median at concurrency C / the same tool's at concurrency 1.",
        "",
    ]
    for p in problems:
        lines += [f"## {p}", _header(levels, parallel)]
        for tool in tools:
            row = [table.get((tool, p, c)) for c in levels]
            if all(cell is None for cell in row):
                continue
            seq = table.get((tool, p, 1))
            short = min((cell.seeds for cell in row if cell is not None), default=0)
            partial = "" if short == seeds else f" ({short} seeds)"
            values = [f"{cell.median:.4g}" if cell else "-" for cell in row]
            ratios = [_fmt(table.get((tool, p, c)), seq) for c in parallel]
            lines.append(f"| {tool}{partial} | " + " | ".join(values + ratios) + " |")
        lines.append("")
    lines += _summary(table, tools, problems, parallel)
    lines += _versus(table, tools, problems, levels)
    lines += [f"- {note}" for note in notes]
    return "\n".join(lines)


def _header(levels: Sequence[int], parallel: Sequence[int]) -> str:
    names = [f"C={c}" for c in levels] + [f"x{c}" for c in parallel]
    return "| tool | " + " | ".join(names) + " |\n|---|" + "---|" * len(names)


def _fmt(cell: Cell | None, seq: Cell | None) -> str:
    if cell is None or seq is None:
        return "-"
    return f"{ratio(cell.median, seq.median):.2f}"


def _summary(
    table: dict[tuple[str, str, int], Cell],
    tools: Sequence[str],
    problems: Sequence[str],
    parallel: Sequence[int],
) -> list[str]:
    lines = [
        "## slowdown on the median problem (median over problems of xC)",
        "| tool | " + " | ".join(f"x{c}" for c in parallel) + " |",
        "|---|" + "---|" * len(parallel),
    ]
    medians: dict[tuple[str, int], float] = {}
    for tool in tools:
        row = []
        for c in parallel:
            found = slowdowns(table, tool, problems, c)
            if found:
                medians[(tool, c)] = float(np.median(found))
            row.append(f"{medians[(tool, c)]:.2f}" if found else "-")
        lines.append(f"| {tool} | " + " | ".join(row) + " |")
    lines.append("")
    goal = medians.get((DEFAULT_TOOL, GOAL_CONCURRENCY))
    if goal is not None:
        beside = ", ".join(
            f"{t} {medians[(t, GOAL_CONCURRENCY)]:.2f}"
            for t in tools
            if not t.startswith("tunelab:") and (t, GOAL_CONCURRENCY) in medians
        )
        verdict = "met" if goal <= GOAL_RATIO else "NOT met"
        lines.append(
            f"- goal (x{GOAL_CONCURRENCY} of {DEFAULT_TOOL} <= {GOAL_RATIO}): {goal:.2f}, {verdict}"
            + (f"; beside it {beside}" if beside else "")
        )
    return lines


def _versus(
    table: dict[tuple[str, str, int], Cell],
    tools: Sequence[str],
    problems: Sequence[str],
    levels: Sequence[int],
) -> list[str]:
    """The default against each peer at each concurrency: problems where its median regret is lower."""
    peers = [t for t in tools if not t.startswith("tunelab:")]
    if DEFAULT_TOOL not in tools or not peers:
        return []
    lines = [
        f"- {DEFAULT_TOOL} vs each peer (problems with a lower median regret; ratio on the median problem):"
    ]
    for peer in peers:
        parts = []
        for c in levels:
            pairs = [
                (table[(DEFAULT_TOOL, p, c)].median, table[(peer, p, c)].median)
                for p in problems
                if (DEFAULT_TOOL, p, c) in table and (peer, p, c) in table
            ]
            if not pairs:
                continue
            wins = sum(ours < theirs for ours, theirs in pairs)
            mid = float(np.median([ratio(ours, theirs) for ours, theirs in pairs]))
            parts.append(f"C={c}: {wins}/{len(pairs)} (x{mid:.2f})")
        if parts:
            lines.append(f"  - vs {peer}: " + "; ".join(parts))
    return lines
