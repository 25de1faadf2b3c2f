"""The Chalice app: it registers the blueprints of routes, schedules, the authorizer and the
telemetry middleware, and names the commission's entry point; nothing else. Everything they do is
in chalicelib (see the README's "Architecture" and "Least privilege: one function per side")."""

from __future__ import annotations

from typing import Any

from chalice import Chalice

from chalicelib.routes.admin import admin, commission_entry
from chalicelib.routes.mobile import mobile
from chalicelib.routes.public import public
from chalicelib.routes.schedules import schedules
from chalicelib.routes.telemetry import telemetry

app = Chalice(app_name="voting")
app.register_blueprint(telemetry)
app.register_blueprint(public)
app.register_blueprint(admin)
app.register_blueprint(mobile)
app.register_blueprint(schedules)


_commission = commission_entry(app)


@app.lambda_function(name="admin_api")
def admin_api(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """In AWS, API Gateway sends the /admin routes here (`make package`): a function with a role of
    its own; the voters' routes go to Chalice's `api_handler`. Locally one process serves both."""
    return _commission(event, context)
