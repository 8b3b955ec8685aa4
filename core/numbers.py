"""Numbers as JSON and the database can hold them."""

from __future__ import annotations

import math


def finite_or_none(value) -> float | None:
    """`value` as a float, or None where it is missing, NaN or infinite: JSON
    has no NaN or infinity, and null means "not defined here"."""
    return float(value) if value is not None and math.isfinite(value) else None
