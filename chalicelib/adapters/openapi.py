"""`GET /openapi.json`: the API's OpenAPI 3 description. The paths and shapes are data
(`openapi.json` beside this file, checked against the app's routes by the tests); the refusal codes
are filled in from the one catalogue the server answers from, so their list cannot drift."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from chalicelib.voting.rejection import CODES, message_for, status_for

DOCUMENT = Path(__file__).with_name("openapi.json")


@functools.cache
def document() -> dict[str, Any]:
    described: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    code = described["components"]["schemas"]["ErrorCode"]
    code["enum"] = sorted(CODES)
    code["description"] = "\n".join([code["description"] + ":", *(
        f"- `{name}` ({status_for(name)}): {message_for(name, 'en')}" for name in sorted(CODES))])
    return described
