"""Celery tasks of the VPN app: thin, ids only, never a secret. Bodies call the reconciler."""
