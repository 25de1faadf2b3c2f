"""Development tools: a fake NCA, the NCALayer stand-in and the local stack. Never deployed."""
