// The dashboard's only script: live panels over server-sent events, and the consignment view.
// The server renders every panel (Jinja2); this script only fetches them again when the monitor
// has read new records, and shows a consignment's timeline when one is clicked. No library, no CDN.
(function () {
  "use strict";
  var panels = document.getElementById("panels");
  var view = document.getElementById("consignment-view");
  var live = document.getElementById("live");
  var loading = false, again = false;

  function refresh() {
    if (loading) { again = true; return; }
    loading = true;
    fetch("/fragments/panels").then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
      if (html !== null) { panels.innerHTML = html; }
    }).finally(function () {
      loading = false;
      if (again) { again = false; refresh(); }
    });
  }

  function showConsignment(ucr) {
    fetch("/fragments/consignments/" + encodeURIComponent(ucr)).then(function (r) {
      return r.ok ? r.text() : "<p>No record of consignment " + ucr.replace(/</g, "&lt;") + ".</p>";
    }).then(function (html) {
      view.innerHTML = html;
      view.hidden = false;
      view.scrollIntoView({ block: "start" });
    });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".consignment-link") : null;
    if (link) {
      event.preventDefault();
      showConsignment(link.getAttribute("data-consignment"));
      return;
    }
    if (event.target.id === "close-consignment") {
      event.preventDefault();
      view.hidden = true;
    }
  });

  if (window.EventSource) {
    var events = new EventSource("/api/events");
    events.addEventListener("counters", function () {
      live.textContent = "live";
      live.className = "live on";
      refresh();
    });
    events.onerror = function () {
      live.textContent = "reconnecting\u2026";
      live.className = "live off";
    };
  } else {
    setInterval(refresh, 2000);
  }
})();
