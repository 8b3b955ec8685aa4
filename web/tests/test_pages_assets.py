"""The pages' stylesheet, script and icon are static files Django can find and serve."""

from django.contrib.staticfiles import finders


def test_the_stylesheet_and_the_live_refresh_script_are_found_by_staticfiles():
    # They live in web/static/: the web app's, found by the app directories finder.
    assert finders.find("tsmon/site.css") is not None
    assert finders.find("tsmon/live.js") is not None


def test_favicon_ico_leads_to_the_site_icon_that_every_page_links(client, admin_client):
    assert finders.find("tsmon/favicon.svg") is not None

    response = client.get("/favicon.ico")

    assert response.status_code == 301 and response["Location"] == "/static/tsmon/favicon.svg"
    assert 'rel="icon" href="/static/tsmon/favicon.svg"' in admin_client.get("/").content.decode()
