"""MkDocs hook: a how-to page under docs/how-to/ that the nav of mkdocs.yml does not list yet is appended to
the "How-to guides" section under its first heading, so a guide added by any change is never left out of
the site's navigation (mkdocs would only log it at INFO level)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _listed(nav: Any) -> set[str]:
    if isinstance(nav, str):
        return {nav}
    if isinstance(nav, list):
        return set().union(*(_listed(item) for item in nav)) if nav else set()
    if isinstance(nav, dict):
        return set().union(*(_listed(value) for value in nav.values())) if nav else set()
    return set()


def _title(page: Path) -> str:
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return page.stem.replace("-", " ").capitalize()


def on_config(config: Any) -> Any:
    nav = config["nav"]
    listed = _listed(nav)
    section = next((item["How-to guides"] for item in nav if isinstance(item, dict) and "How-to guides" in item),
                   None)
    if section is None:
        return config
    for page in sorted((Path(config["docs_dir"]) / "how-to").glob("*.md")):
        path = f"how-to/{page.name}"
        if path not in listed:
            section.append({_title(page): path})
    return config
