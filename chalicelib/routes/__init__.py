"""The entry points as Chalice Blueprints: `public` (citizens' API and page), `admin` (the
commission's routes and their authorizer) and `schedules` (closer and CRL refresher). Each route
reads its request, calls one service of the runtime and shapes the answer; nothing more."""
