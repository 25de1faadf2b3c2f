"""Operations: the middleware every HTTP request of both API functions goes through — its log
line, metrics and trace (`adapters/telemetry.py`). A blueprint of its own, because Chalice
registers a blueprint's middleware for the whole app: registered once, it covers every route."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.adapters.telemetry import observe_request

telemetry = Blueprint(__name__)
telemetry.register_middleware(observe_request, "http")
