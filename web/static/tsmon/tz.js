// Tell tsmon the browser's time zone (tsmon/time_zones.py): a cookie, read
// by the server on the next page. A page drawn in another zone without a
// choice of the person's is drawn again, once: the cookie is then known.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+\-\/]+$/.test(zone)) return;
  var cookie = "tsmon_browser_tz=" + zone;
  var known = document.cookie.split("; ").indexOf(cookie) >= 0;
  if (known) return;
  document.cookie = cookie + "; path=/; max-age=31536000; SameSite=Lax";
  var root = document.documentElement;
  var drawnIn = root.getAttribute("data-time-zone");
  var source = root.getAttribute("data-zone-source");
  if (drawnIn && source !== "chosen" && drawnIn !== zone && document.cookie.indexOf(cookie) >= 0) {
    window.location.reload();
  }
})();
