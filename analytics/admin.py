from analytics import alerts_admin  # noqa: F401
