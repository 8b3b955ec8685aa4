"""The scopes of a person signed in: one mapping from Django permissions to
API scopes, for the REST API and the pages alike.

An API key carries its scopes; a person's come from their permissions,
granted in the admin (to the user or to a group):

| Scope | A person has it with | What it opens |
| --- | --- | --- |
| read | an active account | every page and every API read |
| write | `ingestion.add_point` ("Can add point") | the write endpoints |
| admin | `ingestion.add_apikey` ("Can add api key") | everything: configuration, deletion, acknowledging alerts, requesting reports |

Admin is tied to adding API keys because whoever may add a key may give
themselves an admin key: the mapping grants no one more than they have.
Superusers have every permission, hence every scope. `is_staff` only opens
the Django admin site (as in Django itself) and grants no scope: staff
without permissions used to get the admin scope.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import HttpResponseForbidden


class ApiScope(models.TextChoices):
    WRITE = "write", "write points"
    READ = "read", "read data"
    ADMIN = "admin", "everything"


SCOPE_PERMISSIONS = {
    ApiScope.WRITE: "ingestion.add_point",
    ApiScope.ADMIN: "ingestion.add_apikey",
}


def person_scopes(user) -> set[str]:
    """The scopes `user` (a Django user, maybe anonymous) has."""
    if not (user and user.is_authenticated and user.is_active):
        return set()
    if user.has_perm(SCOPE_PERMISSIONS[ApiScope.ADMIN]):
        return {ApiScope.READ, ApiScope.WRITE, ApiScope.ADMIN}
    if user.has_perm(SCOPE_PERMISSIONS[ApiScope.WRITE]):
        return {ApiScope.READ, ApiScope.WRITE}
    return {ApiScope.READ}


def person_has_scope(user, scope: str) -> bool:
    return scope in person_scopes(user)


def scope_required(scope: str):
    """Page view decorator: sign in first, then 403 without `scope`, as the API answers."""

    def decorator(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not person_has_scope(request.user, scope):
                permission = SCOPE_PERMISSIONS[scope]
                return HttpResponseForbidden(
                    f"This needs the {scope} scope: the permission {permission}, granted in the admin."
                )
            return view(request, *args, **kwargs)

        return login_required(checked)

    return decorator


class ScopedByMethod:
    """View mixin: the read scope for GET, HEAD and OPTIONS, admin for the rest."""

    @property
    def required_scope(self):
        return ApiScope.READ if self.request.method in ("GET", "HEAD", "OPTIONS") else ApiScope.ADMIN
