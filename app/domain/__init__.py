"""Entities' rules and the services both APIs call. No FastAPI and no SQL here."""
