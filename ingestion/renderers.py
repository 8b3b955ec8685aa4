"""CSV output for point queries (`Accept: text/csv` or `?format=csv`)."""

from __future__ import annotations

import csv
import io

from rest_framework.renderers import BaseRenderer


class PointsCSVRenderer(BaseRenderer):
    """One row per point: series_id, key, ts, value (or per rolling row)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        if isinstance(data, dict) and "series" in data and isinstance(data["series"], list):
            writer.writerow(["series_id", "key", "ts", "value"])
            for series in data["series"]:
                for ts, value in series["points"]:
                    writer.writerow([series["id"], series["key"], ts, value])
        elif isinstance(data, dict) and "points" in data:
            columns = list(data["points"][0]) if data["points"] else ["ts"]
            writer.writerow(columns)
            writer.writerows([row.get(c) for c in columns] for row in data["points"])
        else:  # an error: keep its message readable
            writer.writerow(["error"])
            writer.writerow([data.get("detail", data) if isinstance(data, dict) else data])
        return out.getvalue().encode()
