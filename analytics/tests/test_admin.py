import pytest

from analytics.models import Anomaly, AnomalyEvent, Detector, Forecast, JobRun

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Detector, Anomaly, AnomalyEvent, Forecast, JobRun])
def test_every_analytics_model_has_a_working_admin_list(admin_client, model):
    JobRun.objects.create(job="detect", outcome="ok")
    url = f"/admin/analytics/{model._meta.model_name}/"

    assert admin_client.get(url).status_code == 200
