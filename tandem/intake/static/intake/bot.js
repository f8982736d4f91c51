/* The appointment bot: after HTMX swaps in the next question, move focus to it so keyboard
   and screen reader users continue from the new question rather than from a removed button. */
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function (event) {
    var source = event.detail && event.detail.elt;
    if (!source || !source.getAttribute || source.getAttribute("hx-target") !== "#thread") { return; }
    var question = document.getElementById("current-question");
    if (question) { question.focus(); }
  });
})();
