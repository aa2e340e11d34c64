"""Generates the config and CLI reference pages at build time (run by the mkdocs-gen-files plugin).

The pages are written from the code itself, so a new config key or CLI option appears in the docs with no
edit here: the config dataclasses' fields (type, default, fix text) and the typer app's click commands.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any

import mkdocs_gen_files
import typer.main

from tunelab.cli import app
from tunelab.config import AlgorithmConfig, DaskConfig, ExperimentConfig, LocalConfig, MlflowConfig
from tunelab.config._fields import camel, spec_of

# Keys tunelab adds on top of NNI's v2 schema (the module docstring of tunelab.config._experiment lists
# them); every other key is spelled as in NNI, which the NNI-name column states.
TUNELAB_ONLY = {"maxTrialRetries", "failFastTrials", "storage", "trialGracePeriod", "mlflow"}


def _default(field: dataclasses.Field[Any]) -> str:
    if field.default is not dataclasses.MISSING:
        return f"`{field.default!r}`"
    if field.default_factory is not dataclasses.MISSING:
        return f"`{field.default_factory()!r}`"
    return "(required)"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def config_table(cls: type, *, nni: bool) -> str:
    rows = ["| key | Python attribute | type | default | NNI name | how to fix a bad value |",
            "|---|---|---|---|---|---|"]
    for field in dataclasses.fields(cls):
        spec = spec_of(field)
        if spec is None:
            continue
        key = camel(field.name)
        nni_name = "— (tunelab only)" if (not nni or key in TUNELAB_ONLY) else f"`{key}`"
        default = "(required)" if spec.required else _default(field)
        rows.append(f"| `{key}` | `{field.name}` | `{_cell(str(field.type))}` | {_cell(default)} | "
                    f"{nni_name} | {_cell(spec.fix)} |")
    return "\n".join(rows)


def config_page() -> str:
    parts = ["# Config reference", "",
             "Generated from the config classes in `tunelab.config` at build time. Keys are matched as NNI "
             "does: case- and underscore-insensitively (`trial_concurrency` = `trialConcurrency`).", ""]
    for title, cls, nni in [("Experiment (top level)", ExperimentConfig, True),
                            ("tuner / assessor / advisor", AlgorithmConfig, True),
                            ("trainingService: platform local", LocalConfig, True),
                            ("trainingService: platform dask", DaskConfig, False),
                            ("mlflow", MlflowConfig, False)]:
        parts += [f"## {title}", "", (cls.__doc__ or "").strip().split("\n\n")[0], "",
                  config_table(cls, nni=nni), ""]
    return "\n".join(parts)


def _type_name(param: Any) -> str:
    kind = getattr(param, "type", None)
    return str(getattr(kind, "name", "") or kind or "")


def _command_section(name: str, command: Any, level: int) -> list[str]:
    ctx = command.context_class(command, info_name=name)
    out = [f"{'#' * level} `{name}`", "", (command.help or "").strip(), "",
           f"```text\n{command.get_usage(ctx)}\n```", ""]
    params = [p for p in command.params if not getattr(p, "hidden", False)]
    if params:
        out += ["| parameter | kind | type | default | help |", "|---|---|---|---|---|"]
        for p in params:
            kind = p.param_type_name
            names = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
            default = "" if p.default is None or callable(p.default) else f"`{p.default!r}`"
            help_text = getattr(p, "help", None) or ""
            out.append(f"| {names} | {kind} | {_cell(_type_name(p))} | {_cell(default)} | {_cell(help_text)} |")
        out.append("")
    if hasattr(command, "list_commands"):  # a group (typer vendors its own click classes)
        for sub_name in sorted(command.list_commands(ctx)):
            sub = command.get_command(ctx, sub_name)
            if sub is not None and not sub.hidden:
                out += _command_section(f"{name} {sub_name}", sub, level + 1)
    return out


def cli_page() -> str:
    group = typer.main.get_command(app)
    return "\n".join(["# CLI reference", "",
                      "Generated from the typer commands in `tunelab.cli` at build time; `tunelab COMMAND "
                      "--help` prints the same.", "", *_command_section("tunelab", group, 2)])


with mkdocs_gen_files.open("reference/config.md", "w") as page:
    page.write(config_page())
with mkdocs_gen_files.open("reference/cli.md", "w") as page:
    page.write(cli_page())


def benchmarks_page(folder: Path) -> str:
    """Each benchmark's own description and run commands, from its module docstring (no figures are
    invented here: each script prints its measurements, with the peers measured in the same run)."""
    parts = ["# Benchmarks", "",
             "Generated from the module docstrings of `benchmarks/*.py`. Each benchmark prints its figures "
             "and, where there is a peer (Optuna, hyperopt, NNI 3.0, the bare interpreter), the ratio to it "
             "measured in the same run; no figures are stored in these docs. Run them from a checkout with "
             "`pip install -e '.[test,bench]'`, under `nice -n 10` on a shared machine.", ""]
    for script in sorted(folder.glob("[a-z]*.py")):
        doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
        parts += [f"## `benchmarks/{script.name}`", "", f"```text\n{doc}\n```", ""]
    return "\n".join(parts)


with mkdocs_gen_files.open("benchmarks.md", "w") as page:
    page.write(benchmarks_page(Path(__file__).resolve().parents[2] / "benchmarks"))
