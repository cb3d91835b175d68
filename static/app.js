// smm-panel: progressive enhancement only; every page works without this file.
(function () {
  "use strict";

  // The page's language: figures in Bengali digits (grouped 2-2-3) and taka when it is
  // Bengali; the words come from data-* attributes the page wrote in its language.
  var bengali = /^bn\b/i.test(document.documentElement.lang || "");
  function localDigits(text) {
    if (!bengali) return String(text);
    return String(text).replace(/[0-9]/g, function (d) { return String.fromCharCode(0x09e6 + Number(d)); });
  }
  // 1234567.5 -> 12,34,567.5 (the grouping used in Bangladesh); anything else as it is.
  function group(figure) {
    var m = /^(-?)(\d+)(\.\d+)?$/.exec(String(figure));
    if (!m) return String(figure);
    var whole = m[2], last3 = whole.slice(-3), head = whole.slice(0, -3);
    var pairs = head ? head.replace(/\B(?=(\d{2})+$)/g, ",") + "," : "";
    return m[1] + pairs + last3 + (m[3] || "");
  }
  function count(n) { return bengali ? localDigits(group(n)) : String(n); }
  function money(figure, currency) {
    if (!bengali) return figure + " " + currency;
    var sign = figure.charAt(0) === "-" ? "-" : "", unsigned = sign ? figure.slice(1) : figure;
    var shown = localDigits(group(unsigned));
    return currency === "BDT" ? sign + "\u09f3" + shown : sign + shown + " " + currency;
  }
  // An API time (2026-11-30T16:41:05) as the page writes one: 2026-11-30 16:41, or
  // ৩০ নভেম্বর ২০২৬, ১৬:৪১ with the month names the page gives in data-months.
  function when(value, months) {
    var m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/.exec(String(value));
    if (!m) return String(value);
    if (!bengali || !months || months.length !== 12) return m[1] + "-" + m[2] + "-" + m[3] + " " + m[4] + ":" + m[5];
    return localDigits(Number(m[3]) + " " + months[Number(m[2]) - 1] + " " + m[1] + ", " + m[4] + ":" + m[5]);
  }

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
      limits.textContent = chosen && chosen.value ? "(" + count(chosen.getAttribute("data-min")) + " – " + count(chosen.getAttribute("data-max")) + ")" : "";
      var n = /^\d+$/.test(qty.value.trim()) ? BigInt(qty.value.trim()) : null;
      if (per1000 === null || per1000 === undefined || n === null) { price.textContent = "–"; return; }
      price.textContent = money(formatCents(per1000 * n / 1000n), price.getAttribute("data-currency"));
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
  // Status names come from the live element's data-status-<status> attributes; a time
  // is wrapped in its cell's data-time ("{time} UTC").
  function apply(row, order) {
    var set = function (field, value) {
      var el = row.querySelector('[data-field="' + field + '"]') || document.querySelector('h1 [data-field="' + field + '"]');
      if (!el) return;
      var none = value === null || value === undefined;
      var text = none ? "–" : String(value);
      if (field === "status" && !none) {
        text = live.getAttribute("data-status-" + text) || text.replace(/_/g, " ");
        el.className = "status " + value;
      } else if ((field === "startCount" || field === "remains") && !none) {
        text = count(value);
      } else if (field === "lastStatusCheck" && value) {
        var months = (el.getAttribute("data-months") || "").split(",");
        var around = el.getAttribute("data-time") || "{time}";
        text = around.replace("{time}", when(value, months));
      }
      el.textContent = text;
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
