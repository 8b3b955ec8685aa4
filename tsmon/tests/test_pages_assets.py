"""The pages' stylesheet and script are static files Django can find and serve."""

from django.contrib.staticfiles import finders


def test_the_stylesheet_and_the_live_refresh_script_are_found_by_staticfiles():
    # tsmon is the project package, not an installed app, so its static/
    # folder must be listed in STATICFILES_DIRS (settings.py).
    assert finders.find("tsmon/site.css") is not None
    assert finders.find("tsmon/live.js") is not None
