"""The JSON response of every API route: the one codec of ``tunelab.base`` (strict JSON, NaN and the
infinities as ``"NaN"``/``"Infinity"``/``"-Infinity"``), instead of Starlette's, which answers 500 on NaN."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from tunelab.base import json_dumps


class CodecJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json_dumps(content, default=str).encode("utf-8")
