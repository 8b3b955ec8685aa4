"""Routes of the server-rendered pages (all behind login)."""

urlpatterns: list = []
