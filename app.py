"""The Chalice app: it registers the blueprints of routes, schedules and the authorizer, nothing else.
Everything they do is in chalicelib (see the README's "Architecture")."""

from __future__ import annotations

from chalice import Chalice

from chalicelib.routes.admin import admin
from chalicelib.routes.mobile import mobile
from chalicelib.routes.public import public
from chalicelib.routes.schedules import schedules

app = Chalice(app_name="voting")
app.register_blueprint(public)
app.register_blueprint(admin)
app.register_blueprint(mobile)
app.register_blueprint(schedules)
