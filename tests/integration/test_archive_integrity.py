"""save/load never lose or half-write data, and damaged databases are refused on open (issue 10, 4-6)."""

from __future__ import annotations

import io
import sqlite3
import stat
import zipfile
from pathlib import Path

import pytest
from tests.integration.test_cli_robust import EXP, assert_user_error, invoke, make_experiment

from tunelab.base import StorageError
from tunelab.manager import Mode, open_session
from tunelab.manager._lock import is_locked


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    make_experiment(home)
    return home


def saved(home: Path, tmp_path: Path) -> Path:
    archive = tmp_path / "saved.zip"
    result = invoke(home, "save", EXP, "--path", str(archive))
    assert result.exit_code == 0, result.output
    return archive


def corrupt(database: Path) -> None:
    """Overwrite the cell pointers of the last page: SQLite still opens the file, quick_check fails."""
    conn = sqlite3.connect(database)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(database.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    start = len(data) - page
    data[start + 8:start + 40] = b"\xff" * 32
    database.write_bytes(bytes(data))


# -- item 4: save refuses to overwrite -----------------------------------------------------------------------
def test_save_refuses_an_existing_file(home: Path, tmp_path: Path) -> None:
    victim = tmp_path / "hostname"
    victim.write_text("precious\n")
    assert_user_error(invoke(home, "save", EXP, "--path", str(victim)), [str(victim), "exists", "--force"])
    assert victim.read_text() == "precious\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_save_force_replaces_atomically(home: Path, tmp_path: Path) -> None:
    victim = tmp_path / "old.zip"
    victim.write_text("old")
    result = invoke(home, "save", EXP, "--path", str(victim), "--force")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(victim) as zf:
        assert f"{EXP}/tunelab.db" in zf.namelist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "old.zip"]  # no temporary file left


def test_save_onto_a_directory_or_into_a_missing_folder(home: Path, tmp_path: Path) -> None:
    assert_user_error(invoke(home, "save", EXP, "--path", str(tmp_path), "--force"), ["is a directory"])
    missing = tmp_path / "nope" / "x.zip"
    assert_user_error(invoke(home, "save", EXP, "--path", str(missing)), [str(missing.parent), "does not exist"])


# -- item 5: load validates everything before writing ---------------------------------------------------------
def rewrite(archive: Path, replace: dict[str, bytes], extra: dict[str, bytes] | None = None) -> Path:
    out = archive.with_name("crafted.zip")
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, replace.get(info.filename, src.read(info)))
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return out


def load_is_refused(tmp_path: Path, archive: Path, needles: list[str]) -> None:
    other = tmp_path / "other-home"
    other.mkdir(exist_ok=True)
    (other / "keep").mkdir(exist_ok=True)
    before = tree(other)
    assert_user_error(invoke(other, "load", "--path", str(archive)), needles)
    assert tree(other) == before  # nothing half-extracted, no temporary folder left
    listed = invoke(other, "list", "--all", "--json")
    assert listed.exit_code == 0
    assert "UNREADABLE" not in listed.output


def test_load_refuses_a_one_byte_database(home: Path, tmp_path: Path) -> None:
    archive = rewrite(saved(home, tmp_path), {f"{EXP}/tunelab.db": b"x"})
    load_is_refused(tmp_path, archive, [f"{EXP}/tunelab.db", "not usable"])


def test_load_refuses_a_damaged_database(home: Path, tmp_path: Path) -> None:
    database = home / EXP / "tunelab.db"
    make_experiment(tmp_path / "big", EXP, trials=200)
    corrupt(tmp_path / "big" / EXP / "tunelab.db")
    archive = rewrite(saved(home, tmp_path), {f"{EXP}/tunelab.db": (tmp_path / "big" / EXP / "tunelab.db").read_bytes()})
    assert database.exists()
    load_is_refused(tmp_path, archive, ["damaged", "quick_check", ".recover"])


def test_load_refuses_a_database_of_another_experiment(home: Path, tmp_path: Path) -> None:
    make_experiment(tmp_path / "else", "other")
    archive = rewrite(saved(home, tmp_path), {f"{EXP}/tunelab.db": (tmp_path / "else" / "other" / "tunelab.db").read_bytes()})
    load_is_refused(tmp_path, archive, ["not usable"])


def test_load_refuses_a_bad_member_after_the_database(home: Path, tmp_path: Path) -> None:
    # the database comes first in the zip; an escaping member later must not leave the database behind
    archive = rewrite(saved(home, tmp_path), {}, {f"{EXP}/../../evil": b"x"})
    load_is_refused(tmp_path, archive, ["not a plain relative path"])
    assert not (tmp_path / "evil").exists()


def test_load_refuses_a_symlink_member(home: Path, tmp_path: Path) -> None:
    archive = saved(home, tmp_path)
    link = zipfile.ZipInfo(f"{EXP}/trials/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr(link, "/etc/passwd")
    load_is_refused(tmp_path, archive, ["not a plain file"])


def test_load_refuses_a_corrupt_member(home: Path, tmp_path: Path) -> None:
    archive = saved(home, tmp_path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
    data = bytearray(buffer.getvalue())
    marker = data.find(b"SQLite format 3")
    data[marker + 200] ^= 0xFF  # inside the stored database: its CRC no longer matches
    bad = tmp_path / "bad-crc.zip"
    bad.write_bytes(bytes(data))
    load_is_refused(tmp_path, bad, ["damaged", "checksum"])


def test_load_still_works(home: Path, tmp_path: Path) -> None:
    other = tmp_path / "other-home"
    result = invoke(other, "load", "--path", str(saved(home, tmp_path)))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in other.iterdir()) == [EXP]
    shown = invoke(other, "best", EXP)
    assert shown.exit_code == 0, shown.output


# -- item 6: resume and view check the database on open -------------------------------------------------------
@pytest.mark.parametrize("mode", [Mode.RESUME, Mode.VIEW])
def test_open_refuses_a_database_that_fails_quick_check(tmp_path: Path, mode: Mode) -> None:
    exp_dir = make_experiment(tmp_path / "home", EXP, trials=200)
    corrupt(exp_dir / "tunelab.db")
    before = (exp_dir / "tunelab.db").read_bytes()
    with pytest.raises(StorageError) as caught:
        open_session(EXP, mode=mode, root=tmp_path / "home")
    assert caught.value.exit_code == 2
    message = caught.value.message
    assert "quick_check" in message
    assert f"sqlite3 {exp_dir / 'tunelab.db'} .recover" in message
    assert not is_locked(exp_dir)
    assert (exp_dir / "tunelab.db").read_bytes() == before


def test_resume_command_says_how_to_recover(tmp_path: Path) -> None:
    home = tmp_path / "home"
    exp_dir = make_experiment(home, EXP, trials=200)
    corrupt(exp_dir / "tunelab.db")
    assert_user_error(invoke(home, "resume", EXP, "--foreground", "--port", "18597"), ["damaged", ".recover"])
