"""Ingestion routes: the write endpoints."""

from django.urls import path

from ingestion import api, influx_v1, remote_write_api

urlpatterns = [
    path("api/v1/write", api.JsonWriteView.as_view(), name="write-json"),
    path("api/v1/write/csv", api.CsvWriteView.as_view(), name="write-csv"),
    path("api/v2/write", api.InfluxWriteView.as_view(), name="write-influx"),
    path("api/v1/prom/write", remote_write_api.PrometheusRemoteWriteView.as_view(), name="write-prometheus"),
    # InfluxDB 1.x clients (Telegraf's outputs.influxdb) know these paths only.
    path("write", influx_v1.InfluxV1WriteView.as_view(), name="write-influx-v1"),
    path("ping", influx_v1.ping, name="influx-ping"),
]
