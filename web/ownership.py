"""Who a request acts for, and the API's rule that only a dashboard's owner changes it.

A person signed in acts for themselves. An API key acts for the person who
created it (in the admin: `ApiKey.created_by`); a key nobody created (from
`manage.py create_api_key`) may read dashboards but own and change none.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from ingestion.models import ApiKey


def acting_person(request):
    """The user a request acts for, or None."""
    if isinstance(request.auth, ApiKey):
        return request.auth.created_by
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


class OwnerChanges(BasePermission):
    """Reads for anyone the scope lets in; creating for a person; changing for the owner only."""

    message = "An API key that no person created cannot own dashboards: create one in the admin."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or acting_person(request) is not None

    def has_object_permission(self, request, view, dashboard) -> bool:
        if request.method in SAFE_METHODS or dashboard.is_owned_by(acting_person(request)):
            return True
        self.message = f"Only its owner, {dashboard.owner.get_username()}, may change this dashboard."
        return False
