/* Stripe Elements for saving a card with a SetupIntent. Stripe.js itself must be loaded from
   js.stripe.com (PCI DSS: Stripe serves it; never self-host or bundle it); this file only mounts
   the card field and posts the SetupIntent id back. Tandem never sees card numbers. */
(function () {
  "use strict";
  function start() {
    var form = document.querySelector("[data-stripe-form]");
    if (!form || typeof window.Stripe !== "function") { return; }
    var stripe = window.Stripe(form.getAttribute("data-publishable-key"));
    var elements = stripe.elements();
    var card = elements.create("card");
    card.mount("#card-element");
    form.addEventListener("submit", function (event) {
      var token = form.querySelector("input[name=token]");
      if (token.value) { return; }
      event.preventDefault();
      stripe.confirmCardSetup(form.getAttribute("data-client-secret"), { payment_method: { card: card } })
        .then(function (result) {
          if (result.setupIntent) { token.value = result.setupIntent.id; }
          form.submit();
        });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
