"""Which series describe tsmon itself rather than what it watches.

tsmon's own series (`tsmon_*`, source "tsmon", written by monitoring's
watch_tsmon job) and those of the agent `make run` starts on tsmon's host
(written with its "local agent" key). Pages hide them by default
(web.incidents); the writers name them with these constants.
"""

from __future__ import annotations

from django.db.models import Q

SOURCE_NAME = "tsmon"  # the source of tsmon's health figures
LOCAL_KEY_NAME = "local agent (run_agent)"  # the key of the agent on tsmon's own host


def own_series(prefix: str = "") -> Q:
    """Series of tsmon itself or of its local agent; `prefix` reaches them through a relation."""
    return (
        Q(**{f"{prefix}source__name": SOURCE_NAME})
        | Q(**{f"{prefix}metric__startswith": "tsmon_"})
        | Q(**{f"{prefix}created_by_key__name": LOCAL_KEY_NAME})
    )
