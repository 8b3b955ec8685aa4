// Refresh the parts of a page marked data-fragment when its data changes.
// The page's [data-live-url] element names a JSON endpoint and a stamp;
// the endpoint answers {stamp} while nothing changed, {stamp, fragments}
// (server-rendered, escaped HTML) when something did. No library needed.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-url]");
  if (!root) return;
  var url = root.getAttribute("data-live-url");
  var every = Math.max(1, Number(root.getAttribute("data-refresh-seconds")) || 15) * 1000;
  var status = document.querySelector("[data-live-status]");

  function say(text) {
    if (status) status.textContent = text;
  }

  function swap(fragments) {
    Object.keys(fragments).forEach(function (name) {
      var target = document.querySelector('[data-fragment="' + name + '"]');
      if (target) target.innerHTML = fragments[name];
    });
  }

  function poll() {
    if (document.hidden) return schedule();
    var stamp = root.getAttribute("data-stamp") || "";
    var sep = url.indexOf("?") >= 0 ? "&" : "?";
    fetch(url + sep + "stamp=" + encodeURIComponent(stamp), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (response.status === 401) throw new Error("logged out");
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (body) {
        if (body.fragments) swap(body.fragments);
        root.setAttribute("data-stamp", body.stamp);
        root.setAttribute("data-refreshed", String(Date.now()));
        say("live · checked " + new Date().toLocaleTimeString());
      })
      .catch(function (error) {
        say("live · " + error.message + ", retrying");
      })
      .then(schedule);
  }

  function schedule() {
    window.setTimeout(poll, every);
  }

  say("live · every " + every / 1000 + " s");
  schedule();
})();
