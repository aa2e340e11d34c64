"""Moving an experiment between machines as one zip (``nnictl experiment save/load``).

Layout: ``<id>/...`` (the experiment directory, database included) and, with the code, ``code/...`` (the
trial code directory). Loading rewrites ``trialCodeDirectory`` to where the code was unpacked.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from tunelab.base import ConflictError, InvalidInputError

_SKIP = frozenset({"manager.lock", "manager.json"})  # a live manager's files mean nothing elsewhere
CODE = "code"


def save_experiment(exp_dir: Path, archive: Path, *, include_code: bool = False) -> Path:
    """Write ``archive`` (the caller holds the experiment's manager lock, so nothing writes meanwhile)."""
    from tunelab.config import parse_config
    from tunelab.storage import open_store

    archive = archive.expanduser().resolve()
    code_dir: Path | None = None
    if include_code:
        store = open_store(exp_dir, exp_dir.name, readonly=True)
        try:
            config = parse_config(dict(store.get_experiment().config))
        finally:
            store.close()
        code_dir = Path(config.trial_code_directory or ".").expanduser().resolve()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        _add_tree(zf, exp_dir, exp_dir.name, skip=_SKIP)
        if code_dir is not None:
            _add_tree(zf, code_dir, CODE, skip=frozenset(), exclude=exp_dir)
    return archive


def load_experiment(archive: Path, *, code_dir: Path | None = None, root: Path | None = None) -> tuple[str, Path | None]:
    """Unpack ``archive`` under ``root`` (default: the experiments directory); returns the experiment id
    and where the code went (``None`` when the archive holds none)."""
    from tunelab.manager import experiments_root, validate_experiment_id
    from tunelab.storage import open_store

    try:
        zf = zipfile.ZipFile(archive.expanduser())
    except (OSError, zipfile.BadZipFile) as exc:
        raise InvalidInputError(f"--path: {archive} is not an archive written by `tunelab save` ({exc})") from exc
    with zf:
        names = zf.namelist()
        tops = {n.split("/", 1)[0] for n in names} - {CODE}
        if len(tops) != 1 or not any(n.endswith("/tunelab.db") for n in names):
            raise InvalidInputError(f"--path: {archive} holds no single experiment directory with tunelab.db")
        exp_id = validate_experiment_id(tops.pop())
        target_root = root or experiments_root()
        if (target_root / exp_id).exists():
            raise ConflictError(f"experiment {exp_id} already exists under {target_root}; delete it first")
        _extract(zf, [n for n in names if n.split("/", 1)[0] == exp_id], target_root)
        code: Path | None = None
        if any(n.startswith(CODE + "/") for n in names):
            code = (code_dir or Path(f"{exp_id}-code")).expanduser().resolve()
            _extract(zf, [n for n in names if n.startswith(CODE + "/")], code, strip=CODE + "/")
    if code is not None:
        store = open_store(target_root / exp_id, exp_id)
        try:
            config = dict(store.get_experiment().config)
            config["trialCodeDirectory"] = str(code)
            store.update_experiment(config=config)
        finally:
            store.close()
    return exp_id, code


def _add_tree(zf: zipfile.ZipFile, directory: Path, prefix: str, *, skip: frozenset[str],
              exclude: Path | None = None) -> None:
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or path.name in skip:
            continue
        if exclude is not None and path.resolve().is_relative_to(exclude.resolve()):
            continue
        zf.write(path, f"{prefix}/{path.relative_to(directory).as_posix()}")


def _extract(zf: zipfile.ZipFile, names: list[str], target: Path, strip: str = "") -> None:
    target = target.resolve()
    for name in names:
        relative = name[len(strip):] if strip else name
        destination = (target / relative).resolve()
        if not destination.is_relative_to(target):  # no "../" escapes from a crafted archive
            raise InvalidInputError(f"--path: archive member {name!r} points outside {target}")
        if name.endswith("/"):
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(zf.read(name))
