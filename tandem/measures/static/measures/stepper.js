// One question per screen on a narrow screen (progressive enhancement).
// Without this script, or on a wide screen, the whole form shows at once and works the same.
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 40rem)");

  function setUp(form) {
    var steps = Array.prototype.slice.call(form.querySelectorAll("fieldset.question"));
    if (steps.length < 2) { return; }
    var submit = form.querySelector(".actions");
    var nav = document.createElement("div");
    nav.className = "stepper-nav";
    var back = document.createElement("button");
    back.type = "button"; back.className = "button button-secondary"; back.textContent = "Back";
    var next = document.createElement("button");
    next.type = "button"; next.className = "button"; next.textContent = "Next";
    nav.appendChild(back); nav.appendChild(next);
    var progress = document.createElement("p");
    progress.className = "stepper-progress"; progress.setAttribute("aria-live", "polite");
    form.insertBefore(progress, steps[0]);
    steps[steps.length - 1].parentNode.insertBefore(nav, steps[steps.length - 1].nextSibling);
    // Start at the first question with an error, else the first one.
    var current = 0;
    steps.forEach(function (s, i) { if (current === 0 && s.classList.contains("has-error")) { current = i; } });

    function show(index, focus) {
      var on = narrow.matches;
      current = Math.max(0, Math.min(index, steps.length - 1));
      steps.forEach(function (s, i) { s.hidden = on && i !== current; });
      nav.hidden = !on;
      progress.hidden = !on;
      back.disabled = current === 0;
      next.hidden = current === steps.length - 1;
      if (submit) { submit.hidden = on && current !== steps.length - 1; }
      progress.textContent = on ? "Question " + (current + 1) + " of " + steps.length : "";
      if (on && focus) {
        var first = steps[current].querySelector("input:checked") || steps[current].querySelector("input");
        if (first) { first.focus(); }
      }
    }
    back.addEventListener("click", function () { show(current - 1, true); });
    next.addEventListener("click", function () { show(current + 1, true); });
    // No auto-advance on change: arrow keys in a radio group fire change, and keyboard
    // users must be able to move between the options without leaving the question.
    narrow.addEventListener("change", function () { show(current, false); });
    show(current, false);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-stepper]"), setUp);
  });
})();
