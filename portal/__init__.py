"""The portal project: settings, URLs, the Celery app, accounts and tenancy."""

from .celery import app as celery_app

__all__ = ["celery_app"]
