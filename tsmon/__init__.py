"""tsmon: time-series analytics and anomaly detection on PostgreSQL."""
