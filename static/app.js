// smm-panel: progressive enhancement only; every page works without this file.
(function () {
  "use strict";

  // Decimal strings <-> integer micro-units, so prices are never floats.
  function toMicros(text) {
    var m = /^(\d+)(?:\.(\d{0,6}))?$/.exec(String(text).trim());
    if (!m) return null;
    return BigInt(m[1]) * 1000000n + BigInt((m[2] || "").padEnd(6, "0"));
  }
  function formatCents(micros) {
    var cents = (micros + 5000n) / 10000n; // round half up to 2 decimals
    var whole = cents / 100n, frac = (cents % 100n).toString().padStart(2, "0");
    return whole.toString() + "." + frac;
  }

  // New order: category filters services; the price follows the quantity.
  var form = document.getElementById("order-form");
  if (form) {
    var category = document.getElementById("category");
    var service = document.getElementById("serviceId");
    var qty = document.getElementById("qty");
    var price = document.getElementById("price");
    var limits = document.getElementById("limits");
    var filter = function () {
      var wanted = category.value;
      Array.prototype.forEach.call(service.querySelectorAll("optgroup"), function (group) {
        var show = !wanted || group.getAttribute("data-category") === wanted;
        group.hidden = !show;
        group.disabled = !show;
      });
      var chosen = service.selectedOptions[0];
      if (chosen && chosen.parentNode.disabled) service.value = "";
    };
    var update = function () {
      var chosen = service.selectedOptions[0];
      var per1000 = chosen && toMicros(chosen.getAttribute("data-price") || "");
      limits.textContent = chosen && chosen.value ? "(" + chosen.getAttribute("data-min") + " – " + chosen.getAttribute("data-max") + ")" : "";
      var n = /^\d+$/.test(qty.value.trim()) ? BigInt(qty.value.trim()) : null;
      if (per1000 === null || per1000 === undefined || n === null) { price.textContent = "–"; return; }
      price.textContent = formatCents(per1000 * n / 1000n) + " " + price.getAttribute("data-currency");
    };
    category.addEventListener("change", function () { filter(); update(); });
    service.addEventListener("change", function () {
      var chosen = service.selectedOptions[0];
      if (chosen && chosen.value) category.value = chosen.getAttribute("data-category");
      filter(); update();
    });
    qty.addEventListener("input", update);
    filter(); update();
  }

  // Live status: while an order shown here is active, poll its JSON and update in place.
  function apply(row, order) {
    var set = function (field, value) {
      var el = row.querySelector('[data-field="' + field + '"]') || document.querySelector('h1 [data-field="' + field + '"]');
      if (!el) return;
      var text = value === null || value === undefined ? "–" : String(value);
      if (field === "lastStatusCheck" && value) text = value.replace("T", " ").slice(0, 19) + " UTC";
      el.textContent = text;
      if (field === "status") el.className = "status " + text;
    };
    set("status", order.status); set("startCount", order.startCount); set("remains", order.remains);
    set("lastStatusCheck", order.lastStatusCheck);
    if (["completed", "partial", "canceled", "failed"].indexOf(order.status) >= 0) row.removeAttribute("data-active");
  }
  var live = document.querySelector("[data-live]");
  if (live && window.fetch) {
    var poll = function () {
      var active = document.querySelectorAll("[data-order][data-active]");
      if (!active.length) return;
      var url = live.getAttribute("data-live");
      if (live.tagName === "TABLE") url += window.location.search || "?";
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (!body) return;
          var items = body.items || [body];
          items.forEach(function (order) {
            var row = document.querySelector('[data-order="' + order.id + '"]');
            if (row) apply(row, order);
          });
        })
        .catch(function () {})
        .then(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 5000);
  }
})();
