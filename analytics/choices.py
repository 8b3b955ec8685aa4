"""Enumerations of the analytics app."""

from django.db import models


class DetectorKind(models.TextChoices):
    SERIES = "series", "each series on its own"
    PEER_GROUP = "peer_group", "each series against its peers"


class AnomalyKind(models.TextChoices):
    POINT = "point", "point"
    PEER = "peer", "peer group"
    FORECAST = "forecast", "forecast"


class Direction(models.IntegerChoices):
    DOWN = -1, "below expected"
    NONE = 0, "unknown"
    UP = 1, "above expected"
