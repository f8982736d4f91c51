/* The referral draft editor: keep autosave from racing a button's full-page save.
   Pressing a button (Add code, Remove, Save and add another…) blurs the field being typed
   in, whose `change` would start an autosave of the form as it was *without* the button's
   effect; if that request reached the server second it could undo the button's change.
   The button's own POST carries the whole form, so the racing autosave is simply skipped. */
(function () {
  "use strict";
  var form = document.getElementById("draft-form");
  if (!form) return;
  var submitting = false;
  var timer = null;

  function armed() {
    submitting = true;
    window.clearTimeout(timer);
    // If the press ends up not submitting (dragged off the button), autosave resumes.
    timer = window.setTimeout(function () { submitting = false; }, 2000);
  }

  form.addEventListener("pointerdown", function (event) {
    if (event.target.closest && event.target.closest('button[type="submit"]')) armed();
  });
  form.addEventListener("submit", armed);
  form.addEventListener("htmx:beforeRequest", function (event) {
    if (submitting && event.detail && event.detail.elt === form) event.preventDefault();
  });
})();
