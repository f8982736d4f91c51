/* The hold countdown: the server renders "held until 10:42"; this updates a line beside it each
   second ("14 minutes 32 seconds left") from the server-computed expiry. No inline script. */
(function () {
  "use strict";
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function start() {
    var clock = document.querySelector("[data-hold-until]");
    var out = document.querySelector("[data-countdown-text]");
    if (!clock || !out) { return; }
    var until = Date.parse(clock.getAttribute("data-hold-until"));
    if (isNaN(until)) { return; }
    function tick() {
      var left = Math.max(0, Math.round((until - Date.now()) / 1000));
      if (left === 0) {
        out.textContent = " — the hold has run out. Choose a time again; your answers are kept.";
        return;
      }
      out.textContent = " (" + plural(Math.floor(left / 60), "minute") + " " + plural(left % 60, "second") + " left)";
      window.setTimeout(tick, 1000);
    }
    tick();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
