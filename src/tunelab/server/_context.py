"""What the HTTP layer needs to answer: an experiment's store and, when it is live, its manager."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelab.base import ConflictError
from tunelab.manager import ChangeFeed
from tunelab.storage import ExperimentStore, SqliteStore

if TYPE_CHECKING:
    from tunelab.manager import ExperimentManager


@dataclass
class ServerSettings:
    """How the server is exposed. A token is required whenever ``host`` is not a loopback address."""

    host: str = "127.0.0.1"
    port: int = 8080
    token: str | None = None
    extra_allowed_hosts: tuple[str, ...] = ()

    @property
    def allowed_hosts(self) -> set[str]:
        hosts = {self.host, "127.0.0.1", "localhost", "[::1]", *self.extra_allowed_hosts}
        return {h.lower() for h in hosts} | {f"{h.lower()}:{self.port}" for h in hosts}

    @property
    def allowed_origins(self) -> set[str]:
        """The UI's own origins, exact scheme, host and port: the only pages that may change state.
        A bare host name is another origin (port 80), so it is never one of them unless the UI is on 80."""
        hosts = {_url_host(h) for h in (self.host, "127.0.0.1", "localhost", "::1", *self.extra_allowed_hosts)}
        origins = {f"http://{h}:{self.port}" for h in hosts}
        if self.port == 80:  # browsers leave the default port out of the Origin header
            origins |= {f"http://{h}" for h in hosts}
        return origins


def _url_host(host: str) -> str:
    """``host`` as it appears in a URL (IPv6 addresses bracketed), lower-cased."""
    host = host.lower()
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


@dataclass
class AppContext:
    """One experiment served by the app. ``manager`` is None for a read-only view."""

    experiment_id: str
    store: ExperimentStore
    experiment_dir: Path
    experiments_root: Path
    manager: ExperimentManager | None = None
    feed: ChangeFeed = field(default_factory=ChangeFeed)
    read_only_reason: str = "the experiment is opened read-only (tunelab view); resume it to change it"
    _reader: ExperimentStore | None = field(default=None, repr=False)
    _reader_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def reader(self) -> ExperimentStore:
        """The store for the API's reads: a separate read-only SQLite connection when the manager writes
        through ``store``, so a long read (all trials for a chart) never holds the writer's lock while
        the experiment loop waits on it. Other backends share ``store``."""
        if self._reader is None:
            with self._reader_lock:
                if self._reader is None:
                    self._reader = self._open_reader()
        return self._reader

    def config(self) -> dict[str, Any]:
        """The experiment's config as the API reports it: the live manager's (``update`` changes included),
        else the stored one."""
        if self.manager is not None:
            return dict(self.manager.config.to_dict())
        return dict(self.reader.get_experiment().config)

    def _open_reader(self) -> ExperimentStore:
        if isinstance(self.store, SqliteStore) and not self.store.readonly and self.manager is not None:
            return SqliteStore(self.store.path, self.store.experiment_id, readonly=True)
        return self.store

    def close(self) -> None:
        """Close the extra reader connection, if one was opened (``store`` belongs to the caller)."""
        if self._reader is not None and self._reader is not self.store:
            self._reader.close()
        self._reader = None

    def live(self) -> ExperimentManager:
        """The manager, or ConflictError when the experiment is only viewed."""
        if self.manager is None:
            raise ConflictError(self.read_only_reason)
        return self.manager
