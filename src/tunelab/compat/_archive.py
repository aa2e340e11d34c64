"""Moving an experiment between machines as one zip (``nnictl experiment save/load``).

Layout: ``<id>/...`` (the experiment directory, database included) and, with the code, ``code/...`` (the
trial code directory). Loading rewrites ``trialCodeDirectory`` to where the code was unpacked.

Neither side leaves anything half-done: ``save`` writes a temporary file next to the archive and renames
it into place; ``load`` checks the whole archive (members, sizes, checksums, the database) before it
writes anything, unpacks into a temporary folder beside the destination and renames it into place, and
removes what it wrote on any failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from tunelab.base import ConflictError, InvalidInputError, TunelabError

_SKIP = frozenset({"manager.lock", "manager.json"})  # a live manager's files mean nothing elsewhere
CODE = "code"
DB_NAME = "tunelab.db"
MAX_MEMBERS = 1_000_000
_HEADROOM = 64 * 1024 * 1024  # keep this much disk free after unpacking


def save_experiment(exp_dir: Path, archive: Path, *, include_code: bool = False, force: bool = False) -> Path:
    """Write ``archive`` (the caller holds the experiment's manager lock, so nothing writes meanwhile).

    Refuses an existing ``archive`` unless ``force`` (then it is replaced, never a directory). The zip is
    written to a temporary file in the same folder and renamed over the target, so a failure leaves the
    target as it was.
    """
    from tunelab.config import parse_config
    from tunelab.storage import open_store

    archive = archive.expanduser().absolute()
    _check_save_target(archive, force=force)
    code_dir: Path | None = None
    if include_code:
        store = open_store(exp_dir, exp_dir.name, readonly=True)
        try:
            config = parse_config(dict(store.get_experiment().config))
        finally:
            store.close()
        code_dir = Path(config.trial_code_directory or ".").expanduser().resolve()
    with _temporary_file(archive) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            _add_tree(zf, exp_dir, exp_dir.name, skip=_SKIP, exclude=[archive, tmp])
            if code_dir is not None:
                _add_tree(zf, code_dir, CODE, skip=frozenset(), exclude=[exp_dir, archive, tmp])
        os.replace(tmp, archive)
    return archive


def _check_save_target(archive: Path, *, force: bool) -> None:
    if archive.is_dir():
        raise InvalidInputError(f"--path: {archive} is a directory; give the name of the zip file to write")
    if archive.exists() and not force:
        raise InvalidInputError(
            f"--path: {archive} exists already; choose another name, or add --force to replace it"
        )
    if not archive.parent.is_dir():
        raise InvalidInputError(f"--path: folder {archive.parent} does not exist; create it first")
    if not os.access(archive.parent, os.W_OK):
        raise InvalidInputError(f"--path: folder {archive.parent} is not writable; choose another place")


@contextlib.contextmanager
def _temporary_file(target: Path) -> Iterator[Path]:
    """A fresh file beside ``target`` (same file system, so the final rename is atomic), removed unless
    the caller renamed it."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def load_experiment(archive: Path, *, code_dir: Path | None = None, root: Path | None = None) -> tuple[str, Path | None]:
    """Unpack ``archive`` under ``root`` (default: the experiments directory); returns the experiment id
    and where the code went (``None`` when the archive holds none). Raises before writing anything when
    the archive is not a complete, readable experiment saved by ``tunelab save``."""
    from tunelab.manager import experiments_root

    try:
        zf = zipfile.ZipFile(archive.expanduser())
    except (OSError, zipfile.BadZipFile) as exc:
        raise InvalidInputError(f"--path: {archive} is not an archive written by `tunelab save` ({exc})") from exc
    with zf:
        target_root = (root or experiments_root()).absolute()
        exp_id, members, code_members = _check_archive(zf, archive)
        if (target_root / exp_id).exists():
            raise ConflictError(f"experiment {exp_id} already exists under {target_root}; delete it first")
        code = (code_dir or Path(f"{exp_id}-code")).expanduser().absolute() if code_members else None
        if code is not None and code.exists() and (not code.is_dir() or any(code.iterdir())):
            raise InvalidInputError(f"--code-dir: {code} exists and is not empty; choose another folder")
        _check_space([*members, *code_members], target_root)
        target_root.mkdir(parents=True, exist_ok=True)
        with _staging(target_root) as staging:
            _extract(zf, members, staging)
            _check_database(staging / exp_id, exp_id, archive)
            if code is not None:
                _set_code_directory(staging / exp_id, exp_id, code)
                code.parent.mkdir(parents=True, exist_ok=True)
                with _staging(code.parent) as code_staging:
                    _extract(zf, code_members, code_staging, strip=CODE + "/")
                    if code.exists():
                        code.rmdir()  # empty (checked above); rename needs the name free
                    os.rename(code_staging, code)
            try:
                os.rename(staging / exp_id, target_root / exp_id)
            except OSError:
                if code is not None:
                    shutil.rmtree(code, ignore_errors=True)
                raise
    return exp_id, code


def _check_archive(zf: zipfile.ZipFile, archive: Path) -> tuple[str, list[zipfile.ZipInfo], list[zipfile.ZipInfo]]:
    """The experiment id, its members and the code members; every member name, kind and checksum checked."""
    from tunelab.manager import validate_experiment_id

    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InvalidInputError(f"--path: {archive} holds {len(infos)} files; at most {MAX_MEMBERS} are allowed")
    for info in infos:
        _check_member(info, archive)
    tops = {info.filename.split("/", 1)[0] for info in infos} - {CODE}
    if len(tops) != 1:
        raise InvalidInputError(f"--path: {archive} holds no single experiment directory with {DB_NAME}")
    exp_id = validate_experiment_id(tops.pop())
    members = [i for i in infos if i.filename.split("/", 1)[0] == exp_id]
    database = [i for i in members if i.filename == f"{exp_id}/{DB_NAME}"]
    if not database or database[0].file_size == 0:
        raise InvalidInputError(f"--path: {archive} has no {exp_id}/{DB_NAME} (or it is empty); nothing to load")
    try:
        broken = zf.testzip()  # reads every member: checksums and compressed data
    except (OSError, zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
        raise InvalidInputError(f"--path: {archive} cannot be read ({exc})") from exc
    if broken is not None:
        raise InvalidInputError(f"--path: {archive} is damaged: member {broken!r} fails its checksum")
    return exp_id, members, [i for i in infos if i.filename.startswith(CODE + "/")]


def _check_member(info: zipfile.ZipInfo, archive: Path) -> None:
    name = info.filename
    parts = name.rstrip("/").split("/")
    if name.startswith("/") or "\\" in name or "\0" in name or any(p in ("", ".", "..") for p in parts):
        raise InvalidInputError(f"--path: archive member {name!r} of {archive} is not a plain relative path")
    kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the writer recorded no Unix mode
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):  # a symlink or device would be created as a file
        raise InvalidInputError(f"--path: archive member {name!r} of {archive} is not a plain file")
    if info.flag_bits & 0x1:
        raise InvalidInputError(f"--path: archive member {name!r} of {archive} is encrypted")


def _check_space(members: list[zipfile.ZipInfo], target_root: Path) -> None:
    needed = sum(i.file_size for i in members)
    probe = target_root
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if needed + _HEADROOM > free:
        raise InvalidInputError(
            f"--path: unpacking needs {needed / 2**20:.0f} MiB but {probe} has {free / 2**20:.0f} MiB free"
        )


@contextlib.contextmanager
def _staging(parent: Path) -> Iterator[Path]:
    """A temporary folder in ``parent`` (hidden, so no listing shows it), removed with whatever is left."""
    staging = Path(tempfile.mkdtemp(prefix=".tunelab-load-", dir=parent))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check_database(exp_dir: Path, exp_id: str, archive: Path) -> None:
    """The unpacked database is a tunelab database of ``exp_id`` that passes SQLite's quick_check."""
    from tunelab.storage import check_integrity, open_store

    database = exp_dir / DB_NAME
    try:
        check_integrity(database, what=f"the archive {archive}")
        store = open_store(exp_dir, exp_id, readonly=True)
        try:
            store.get_experiment()
        finally:
            store.close()
    except TunelabError as exc:  # damaged, not tunelab's, or the database of another experiment
        raise InvalidInputError(f"--path: {archive}: {exp_id}/{DB_NAME} is not usable: {exc.message}") from exc


def _set_code_directory(exp_dir: Path, exp_id: str, code: Path) -> None:
    from tunelab.storage import open_store

    store = open_store(exp_dir, exp_id)
    try:
        config = dict(store.get_experiment().config)
        config["trialCodeDirectory"] = str(code)
        store.update_experiment(config=config)
    finally:
        store.close()


def _add_tree(zf: zipfile.ZipFile, directory: Path, prefix: str, *, skip: frozenset[str],
              exclude: list[Path]) -> None:
    excluded = [path.resolve() for path in exclude]
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or path.name in skip:
            continue
        resolved = path.resolve()
        if any(resolved == ex or resolved.is_relative_to(ex) for ex in excluded):
            continue  # the archive itself, its temporary file, the experiment inside the code folder
        zf.write(path, f"{prefix}/{path.relative_to(directory).as_posix()}")


def _extract(zf: zipfile.ZipFile, members: list[zipfile.ZipInfo], target: Path, strip: str = "") -> None:
    target = target.resolve()
    for info in members:
        name = info.filename
        relative = name[len(strip):] if strip else name
        destination = (target / relative).resolve()
        if not destination.is_relative_to(target):  # no "../" escapes from a crafted archive
            raise InvalidInputError(f"--path: archive member {name!r} points outside {target}")
        if name.endswith("/"):
            destination.mkdir(parents=True, exist_ok=True)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(info) as source, open(destination, "wb") as sink:
            shutil.copyfileobj(source, sink, 1024 * 1024)
