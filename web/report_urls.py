"""Report pages, included at /reports/."""

from django.urls import path

from web import report_pages as pages

app_name = "reports"

urlpatterns = [
    path("", pages.report_list, name="list"),
    path("request", pages.request_report, name="request"),
    path("<int:pk>/", pages.report_detail, name="detail"),
    path("<int:pk>/document", pages.report_document, name="document"),
]
