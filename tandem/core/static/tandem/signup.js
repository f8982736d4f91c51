/* Sign-up: show the licence fields only to therapists. Progressive enhancement: without
   JavaScript every field stays visible and the server ignores licence fields for clients. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-signup-form]");
    if (!form) return;
    var licence = form.querySelector("[data-licence-fields]");
    var radios = form.querySelectorAll('input[name="account_type"]');
    if (!licence || !radios.length) return;
    function update() {
      var checked = form.querySelector('input[name="account_type"]:checked');
      var therapist = !checked || checked.value === "therapist";
      licence.hidden = !therapist;
      licence.disabled = !therapist;
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  });
})();
