"""Report pages, included at /reports/."""

from django.urls import path

from web import report_pages

app_name = "reports"

urlpatterns = [
    path("", report_pages.report_list, name="list"),
    path("request", report_pages.request_report, name="request"),
    path("<int:pk>/", report_pages.report_detail, name="detail"),
    path("<int:pk>/document", report_pages.report_document, name="document"),
]
