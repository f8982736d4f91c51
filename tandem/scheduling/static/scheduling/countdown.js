/* The hold countdown: the server renders "held until 10:42"; this updates a line beside it each
   second ("14 minutes 32 seconds left"), counting down the seconds the server said were left
   when it made the page, on the browser's monotonic clock: a device whose clock is wrong still
   shows the right time left. No inline script. */
(function () {
  "use strict";
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function start() {
    var clock = document.querySelector("[data-hold-until]");
    var out = document.querySelector("[data-countdown-text]");
    if (!clock || !out) { return; }
    var seconds = parseInt(clock.getAttribute("data-hold-seconds"), 10);
    if (isNaN(seconds)) { return; }
    var until = performance.now() + seconds * 1000;
    function tick() {
      var left = Math.max(0, Math.round((until - performance.now()) / 1000));
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
