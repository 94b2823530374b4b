// Fulfilment pages. No inline handlers: the Content-Security-Policy allows only scripts of our own.
"use strict";

// Printable pick lists: a button that prints.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
});

// The pack station (templates/orders/fulfilment/pack_shipment.html) works without this; it makes fast
// scanning safe. A scanner types a code and Enter, and the next one may come while the station is still
// checking the previous one and about to be drawn again: such scans wait here, in order, and are sent
// one after the other; characters typed meanwhile survive the redraw; after a refused scan the waiting
// ones are not sent (the packer looks at the refusal first) but named, to scan again.
(() => {
  const waiting = [];
  const station = () => document.getElementById("station");
  // Checking a scan, or drawn again but not yet wired up by htmx (it settles a moment later).
  const busy = (form) => form.classList.contains("htmx-request") || form.classList.contains("htmx-settling");
  let carried = "";

  // Enter in the scan field while a check is under way: keep the code for later.
  document.addEventListener(
    "keydown",
    (event) => {
      const input = event.target;
      const form = station();
      if (event.key !== "Enter" || !form || input.id !== "scan" || !busy(form)) return;
      event.preventDefault();
      if (input.value.trim()) waiting.push(input.value.trim());
      input.value = "";
    },
    true,
  );

  // The code is in the request: empty the field at once for the next one (or give back what was
  // being typed when a waiting code was sent).
  let restore = null;
  document.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.elt !== station()) return;
    const input = event.detail.elt.querySelector("#scan");
    if (input) input.value = restore ?? "";
    restore = null;
  });

  // What was typed while the answer travelled goes into the new field.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const form = station();
    if (!form || event.detail.target !== form) return;
    const input = form.querySelector("#scan");
    carried = input ? input.value : "";
  });

  // At once, in the same turn as the redraw, before another keystroke can land.
  document.addEventListener("htmx:afterSwap", () => {
    const input = station()?.querySelector("#scan");
    if (!carried || !input) return;
    input.value = carried + input.value;
    carried = "";
  });

  document.addEventListener("htmx:afterSettle", () => {
    const form = station();
    if (!form || busy(form) || !waiting.length) return;
    const input = form.querySelector("#scan");
    if (!input) return;
    if (form.classList.contains("refused")) {
      const skipped = waiting.splice(0);
      const note = document.createElement("p");
      note.className = "scan-message bad";
      note.textContent = `Not checked, scan again: ${skipped.join(", ")}.`;
      document.getElementById("scan-status")?.append(note);
      return;
    }
    // Sent at once (the submit and its request happen in this same turn, before any keystroke).
    restore = input.value;
    input.value = waiting.shift();
    form.requestSubmit(form.querySelector('button[name="op"][value="scan"]'));
  });
})();
