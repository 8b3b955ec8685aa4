"""Ingestion routes: the write endpoints."""

from django.urls import path

from ingestion import api

urlpatterns = [
    path("api/v1/write", api.JsonWriteView.as_view(), name="write-json"),
    path("api/v1/write/csv", api.CsvWriteView.as_view(), name="write-csv"),
    path("api/v2/write", api.InfluxWriteView.as_view(), name="write-influx"),
    path("api/v1/prom/write", api.PrometheusRemoteWriteView.as_view(), name="write-prometheus"),
]
