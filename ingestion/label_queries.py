"""Label names and values in use: the `/api/v1/labels` endpoints' reads."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet


def label_names(queryset: QuerySet | None = None) -> list[str]:
    """Every label name in use, sorted."""
    where, params = _series_filter_sql(queryset)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT jsonb_object_keys(labels) AS name FROM ingestion_series {where} ORDER BY 1",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def label_values(name: str, queryset: QuerySet | None = None) -> list[str]:
    """Every value of one label, sorted."""
    where, params = _series_filter_sql(queryset)
    where = f"{where} AND" if where else "WHERE"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT labels->>%s FROM ingestion_series {where} labels ? %s ORDER BY 1",
            [name, *params, name],
        )
        return [row[0] for row in cursor.fetchall()]


def _series_filter_sql(queryset: QuerySet | None) -> tuple[str, list]:
    if queryset is None:
        return "", []
    sql, params = queryset.values("id").query.sql_with_params()
    return f"WHERE id IN ({sql})", list(params)
