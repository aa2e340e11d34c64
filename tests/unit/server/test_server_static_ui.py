"""The static UI ships in the package, is served by the app, and never parses strings as HTML."""

from __future__ import annotations

import re
from pathlib import Path

from tunelab.server._app import STATIC_DIR

from ._client import ApiClient

JS_FILES = sorted((STATIC_DIR / "assets" / "js").rglob("*.js"))


def test_index_and_assets_are_served(client: ApiClient) -> None:
    index = client.get("/")
    assert index.status_code == 200
    assert '<script type="module" src="/assets/js/app.js">' in index.text
    assert client.get("/trials/anything").text == index.text  # client-side routes get the shell
    for path in ("/assets/js/app.js", "/assets/style.css", "/assets/vendor/echarts.esm.min.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        if path.endswith(".js"):
            assert "javascript" in response.headers["content-type"]


def test_every_preloaded_module_exists() -> None:
    index = (STATIC_DIR / "index.html").read_text()
    preloaded = re.findall(r'rel="modulepreload" href="/assets/js/([^"]+)"', index)
    assert sorted(preloaded) == sorted(str(p.relative_to(STATIC_DIR / "assets" / "js")) for p in JS_FILES)


def test_ui_code_never_turns_strings_into_html() -> None:
    # User strings (parameter values, metric keys, names, logs) must stay text: the UI builds the DOM with
    # createElement/textContent only. Chart tooltips are HTML strings and escape every value (escapeHtml).
    forbidden = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function")
    assert JS_FILES
    for path in JS_FILES:
        text = path.read_text()
        assert not forbidden.search(text), f"{path.name} uses an HTML-parsing API"


def test_chart_tooltips_escape_what_they_interpolate() -> None:
    charts = (STATIC_DIR / "assets" / "js" / "charts.js").read_text()
    for template in re.findall(r"`[^`]*\$\{[^`]*`", charts):
        if "<" in template:  # an HTML-producing template
            assert "escapeHtml" in template, template


def test_vendored_chart_library_carries_its_license() -> None:
    vendor = STATIC_DIR / "assets" / "vendor"
    assert "Apache License" in (vendor / "echarts.LICENSE.txt").read_text()
    assert (vendor / "README.md").exists()


def test_static_files_are_package_data() -> None:
    pyproject = (Path(__file__).resolve().parents[3] / "pyproject.toml").read_text()
    assert '"server/static/**/*"' in pyproject
