/* Tandem's small amount of vanilla JS: the idle-session warning and keeping typed input
   across a timeout. Loaded with `defer`; no inline script anywhere (CSP forbids it). */
(function () {
  "use strict";
  var DRAFT_PREFIX = "tandem:draft:";
  var body = document.body;

  function draftKey() { return DRAFT_PREFIX + window.location.pathname; }

  function keepableFields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      if (!el.name || el.disabled) return false;
      if (el.name === "csrfmiddlewaretoken") return false;
      var type = (el.type || "").toLowerCase();
      return ["password", "hidden", "file", "submit", "button"].indexOf(type) === -1;
    });
  }

  function saveDrafts() {
    var forms = document.querySelectorAll("main form");
    var saved = [];
    forms.forEach(function (form, index) {
      var values = {};
      keepableFields(form).forEach(function (el) {
        var type = (el.type || "").toLowerCase();
        if (type === "checkbox" || type === "radio") {
          if (el.checked) { (values[el.name] = values[el.name] || []).push(el.value); }
        } else if (el.value) {
          values[el.name] = [el.value];
        }
      });
      if (Object.keys(values).length) saved.push({ index: index, values: values });
    });
    if (saved.length) {
      // The draft remembers whose it was, so it is only ever offered back to the same person.
      var draft = { user: body.dataset.user || "", forms: saved };
      try { sessionStorage.setItem(draftKey(), JSON.stringify(draft)); } catch (e) { /* storage full or off */ }
    }
  }

  function restoreDrafts() {
    var raw;
    try { raw = sessionStorage.getItem(draftKey()); } catch (e) { return; }
    if (!raw) return;
    // Wait until someone is signed in on this page; then restore only for the draft's owner.
    if (!body.dataset.user) return;
    sessionStorage.removeItem(draftKey());
    var draft;
    try { draft = JSON.parse(raw); } catch (e) { return; }
    if (!draft || draft.user !== body.dataset.user || !Array.isArray(draft.forms)) return;
    var forms = document.querySelectorAll("main form");
    var restored = false;
    draft.forms.forEach(function (entry) {
      var form = forms[entry.index];
      if (!form) return;
      keepableFields(form).forEach(function (el) {
        var values = entry.values[el.name];
        if (!values) return;
        var type = (el.type || "").toLowerCase();
        if (type === "checkbox" || type === "radio") {
          el.checked = values.indexOf(el.value) !== -1;
        } else {
          el.value = values[0];
        }
        restored = true;
      });
    });
    if (restored) {
      var note = document.createElement("p");
      note.className = "message message-success";
      note.setAttribute("role", "status");
      note.textContent = "What you typed before you were signed out has been put back. Check it, then save.";
      var main = document.getElementById("main");
      if (main) main.insertBefore(note, main.firstChild);
    }
  }

  function csrfToken() {
    try { return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }

  function idleTimer() {
    var idle = parseInt(body.dataset.sessionIdle || "0", 10);
    var warning = parseInt(body.dataset.sessionWarning || "0", 10);
    if (!idle) return;
    var dialog = document.getElementById("session-warning");
    var countdown = dialog ? dialog.querySelector("[data-countdown]") : null;
    var lastActivity = Date.now();
    var tick = null;

    function reset() {
      lastActivity = Date.now();
      if (dialog && dialog.open) dialog.close();
    }

    function signedOut() {
      saveDrafts();
      var next = window.location.pathname + window.location.search;
      var login = body.dataset.loginUrl + "?next=" + encodeURIComponent(next) + "&timeout=1";
      // End the session on the server too: only visiting the sign-in page would renew it,
      // because every request extends an idle session that has not quite expired yet.
      var done = function () { window.location.assign(login); };
      if (!body.dataset.logoutUrl) { done(); return; }
      fetch(body.dataset.logoutUrl, {
        method: "POST", credentials: "same-origin", redirect: "manual",
        headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" }
      }).then(done, done);
    }

    function check() {
      var left = idle - Math.floor((Date.now() - lastActivity) / 1000);
      if (left <= 0) { clearInterval(tick); signedOut(); return; }
      if (left <= warning && dialog && !dialog.open) dialog.showModal();
      if (countdown && dialog && dialog.open) {
        var minutes = Math.floor(left / 60), seconds = left % 60;
        countdown.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      }
    }

    if (dialog) {
      dialog.querySelector("[data-stay-signed-in]").addEventListener("click", function () {
        fetch(body.dataset.keepaliveUrl, {
          method: "POST", credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" }
        }).then(function (response) {
          if (response.ok) { reset(); } else { signedOut(); }
        }, signedOut);
      });
    }
    // Every server round trip renews the server-side session, so it renews the timer too.
    document.addEventListener("htmx:afterRequest", reset);
    window.__tandemSessionCheck = check; /* exposed for the browser tests */
    tick = setInterval(check, 1000);
  }

  // Phones: the navigation folds into one row with a Menu button. Without JS it stays open.
  function navMenu() {
    var toggle = document.querySelector("[data-nav-toggle]");
    var nav = document.getElementById("main-nav");
    if (!toggle || !nav) return;
    document.documentElement.classList.add("js-nav");
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("is-open", open);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("is-open")) {
        nav.classList.remove("is-open");
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      }
    });
  }

  // Tables become cards on phones: each cell is labelled with its column's heading, which
  // the stylesheet shows above the value. Tables marked data-no-cards keep their grid.
  function tableCards(root) {
    root.querySelectorAll("main table:not([data-no-cards])").forEach(function (table) {
      var heads = table.querySelectorAll("thead th");
      if (!heads.length) return;
      var labels = [];
      heads.forEach(function (th) {
        var span = parseInt(th.getAttribute("colspan") || "1", 10);
        for (var i = 0; i < span; i++) labels.push(th.textContent.trim());
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.children, function (cell) {
          var label = labels[column];
          if (label && !cell.hasAttribute("data-label") && cell.getAttribute("colspan") === null) {
            cell.setAttribute("data-label", label);
          }
          column += parseInt(cell.getAttribute("colspan") || "1", 10);
        });
      });
      table.classList.add("cards-on-phone");
    });
  }

  // Pickers (tandem/core/pickers.py): show the search box once HTMX can run it, and put a
  // chosen result in the field — replacing a single value, appending to a comma list.
  function pickers() {
    document.querySelectorAll("[data-picker]").forEach(function (picker) {
      var search = picker.querySelector("[data-picker-search]");
      if (search && window.htmx) search.hidden = false;
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-pick]") : null;
      if (!button) return;
      var picker = button.closest("[data-picker]");
      var field = picker ? document.getElementById(picker.dataset.pickerFor) : null;
      if (!field) return;
      var value = button.dataset.pick;
      if (picker.hasAttribute("data-picker-multiple")) {
        var values = field.value.split(",").map(function (v) { return v.trim(); }).filter(Boolean);
        if (values.indexOf(value) === -1) values.push(value);
        field.value = values.join(", ");
      } else {
        field.value = value;
      }
      field.dispatchEvent(new Event("change", { bubbles: true }));
      var status = picker.querySelector(".picker-results");
      if (status) status.textContent = "Chosen: " + value + ".";
      field.focus();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    restoreDrafts();
    idleTimer();
    navMenu();
    pickers();
    tableCards(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) { tableCards(event.target.ownerDocument || document); });
})();
