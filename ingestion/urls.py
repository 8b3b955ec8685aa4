"""Ingestion routes: the write endpoints."""

urlpatterns: list = []
