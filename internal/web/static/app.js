// mailsync UI: small progressive enhancements; every page works without it.
"use strict";

// Confirm destructive forms (data-confirm="question").
document.addEventListener("submit", function (e) {
  var q = e.target.getAttribute && e.target.getAttribute("data-confirm");
  if (q && !window.confirm(q)) {
    e.preventDefault();
  }
});

// Add account: a preset fills in the server fields; Custom reveals them.
(function () {
  var form = document.getElementById("add-account");
  if (!form) return;
  var server = document.getElementById("server-fields");
  function apply(radio, fill) {
    var custom = radio.value === "custom";
    server.hidden = !custom;
    if (fill && !custom) {
      form.host.value = radio.dataset.host;
      form.port.value = radio.dataset.port;
      form.security.value = radio.dataset.security;
    }
  }
  form.querySelectorAll("input[name=preset]").forEach(function (r) {
    r.addEventListener("change", function () { apply(r, true); });
    if (r.checked) apply(r, false);
  });
})();

// Folders to sync: checking or unchecking a folder means picking folders.
(function () {
  var box = document.getElementById("folders");
  if (!box) return;
  var pick = box.querySelector("input[name=folderMode][value=pick]");
  if (!pick) return;
  box.querySelectorAll("input[name=folder]").forEach(function (c) {
    c.addEventListener("change", function () { pick.checked = true; });
  });
})();

// Accounts: while a mailbox imports, poll its progress every 2 seconds.
(function () {
  var list = document.getElementById("accounts");
  if (!list) return;
  var url = list.dataset.statusUrl;
  function importing() {
    return list.querySelector("progress:not([hidden])") !== null;
  }
  function update(rows) {
    rows.forEach(function (a) {
      var li = list.querySelector('[data-account-id="' + a.id + '"]');
      if (!li) return;
      var status = li.querySelector('[data-field="status"]');
      status.textContent = a.statusLabel;
      status.className = "status status-" + a.status;
      var bar = li.querySelector('[data-field="progress"]');
      bar.value = a.percent;
      bar.textContent = a.percent + "%";
      bar.hidden = !a.importing;
      var c = a.counts;
      li.querySelector('[data-field="counts"]').textContent =
        (c.listed ? a.processed + " of " + c.listed + " messages · " : "") + c.imported + " imported, " + c.skipped + " skipped" +
        (c.failed ? ", " + c.failed + " failed" : "");
      li.querySelector('[data-field="caught-up"]').textContent = a.caughtUp;
    });
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (rows) {
        update(rows);
        if (rows.some(function (a) { return a.importing; })) setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 10000); });
  }
  if (importing()) setTimeout(poll, 2000);
})();
