// The directory map: Leaflet with marker clustering over the same entries
// the list shows. The list and the map stay in sync: a list item's "map"
// button opens its marker, a marker's popup links to the entry and
// highlights the list item. Without base tiles (offline) the markers are
// still drawn on an empty background and a notice says why.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var el = document.getElementById("map");
    var nearField = document.getElementById("near");
    var form = nearField ? nearField.form : null;
    function searchFrom(lat, lon) {
      if (!nearField || !form) return;
      nearField.value = lat.toFixed(5) + "," + lon.toFixed(5);
      form.submit();
    }
    var useLocation = document.getElementById("use-location");
    if (useLocation) {
      if (!navigator.geolocation) useLocation.hidden = true;
      useLocation.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (p) {
          searchFrom(p.coords.latitude, p.coords.longitude);
        });
      });
    }
    var clearNear = document.getElementById("clear-near");
    if (clearNear) {
      clearNear.addEventListener("click", function () {
        nearField.value = "";
        form.submit();
      });
    }
    if (!el || typeof L === "undefined") return;
    var markers = [];
    try { markers = JSON.parse(el.getAttribute("data-markers") || "[]"); } catch (e) { markers = []; }
    var map = L.map(el, { scrollWheelZoom: false });
    L.Icon.Default.imagePath = "/static/";
    var tiles = L.tileLayer(el.getAttribute("data-tiles"), {
      maxZoom: 18,
      attribution: el.getAttribute("data-attribution") || ""
    });
    var offline = document.getElementById("map-offline");
    var failures = 0;
    tiles.on("tileerror", function () {
      failures += 1;
      if (offline && failures >= 2) { offline.hidden = false; el.classList.add("offline"); }
    });
    tiles.addTo(map);
    var group = typeof L.markerClusterGroup === "function"
      ? L.markerClusterGroup({ maxClusterRadius: 40 })
      : L.featureGroup();
    var byId = {};
    markers.forEach(function (m) {
      var marker = L.marker([m.lat, m.lon], { title: m.name, alt: m.name });
      var link = document.createElement("a");
      link.href = m.href;
      link.textContent = m.name;
      marker.bindPopup(link);
      marker.on("click", function () {
        var item = document.getElementById("entry-" + m.id);
        document.querySelectorAll(".entry-card.selected").forEach(function (x) { x.classList.remove("selected"); });
        if (item) { item.classList.add("selected"); }
      });
      byId[m.id] = marker;
      group.addLayer(marker);
    });
    map.addLayer(group);
    if (markers.length > 0) {
      var bounds = L.latLngBounds(markers.map(function (m) { return [m.lat, m.lon]; }));
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    } else {
      map.setView([36.2, 138.25], 5); // all of Japan
    }
    document.querySelectorAll(".show-on-map").forEach(function (b) {
      b.addEventListener("click", function () {
        var marker = byId[b.getAttribute("data-id")];
        if (!marker) return;
        el.scrollIntoView({ behavior: "smooth", block: "center" });
        if (group.zoomToShowLayer) {
          group.zoomToShowLayer(marker, function () { marker.openPopup(); });
        } else {
          map.setView(marker.getLatLng(), 16);
          marker.openPopup();
        }
      });
    });
    var centre = document.getElementById("use-map-centre");
    if (centre) {
      centre.addEventListener("click", function () {
        var c = map.getCenter();
        searchFrom(c.lat, c.lng);
      });
    }
  });
})();
