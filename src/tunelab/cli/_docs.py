"""`tunelab docs`: build the documentation site from a checkout and serve it offline on loopback."""

from __future__ import annotations

import contextlib
import functools
import subprocess
import sys
import tempfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated

import typer

from tunelab.base import NotFoundError, TunelabError
from tunelab.cli._common import app, console, handle_errors, port_option

# The site's sources (mkdocs.yml, docs/) live in the repository, not in the installed package: with an
# editable install (pip install -e) the checkout is three levels above this package.
CHECKOUT = Path(__file__).resolve().parents[3]


def build_site(checkout: Path, site_dir: Path) -> None:
    """``mkdocs build --strict`` into ``site_dir``; a TunelabError saying what to install or fix."""
    if not (checkout / "mkdocs.yml").is_file():
        raise NotFoundError(f"docs: no mkdocs.yml in {checkout}; run tunelab docs from an editable install "
                            "of a checkout (pip install -e '.[docs]')")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir",
                           str(site_dir)], cwd=checkout, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise TunelabError(f"docs: mkdocs build failed (is the docs extra installed? pip install -e "
                           f"'.[docs]'):\n{proc.stderr.strip()[-2000:]}")


@app.command()
@handle_errors
def docs(
    port: Annotated[int, typer.Option("--port", "-p", callback=port_option, help="Port (0: a free one).")] = 8000,
) -> None:
    """Build the documentation site and serve it on http://127.0.0.1:PORT/ until Ctrl-C."""
    with tempfile.TemporaryDirectory(prefix="tunelab-docs-") as site:
        build_site(CHECKOUT, Path(site))
        handler = functools.partial(SimpleHTTPRequestHandler, directory=site)
        with ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
            console.print(f"docs: http://127.0.0.1:{server.server_address[1]}/", highlight=False)
            sys.stdout.flush()  # the URL line is what a caller (or the test) waits for
            with contextlib.suppress(KeyboardInterrupt):
                server.serve_forever()
