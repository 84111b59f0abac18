// Customer gateway form: presets fill the IKE/ESP fields in place, Copy puts a generated key on
// the clipboard. Without this script both buttons still work: they submit the form, and the
// server answers with the same form filled in (vpn/views.py).
(function () {
  "use strict";

  function say(region, text) {
    if (!region) { return; }
    region.textContent = "";
    // A new text node after a tick, so screen readers announce the same words twice in a row.
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function applyPreset(button) {
    const form = button.form;
    const values = JSON.parse(button.dataset.presetValues);
    let changed = null;
    Object.keys(values).forEach(function (name) {
      const field = form.elements.namedItem(name);
      if (!field) { return; }
      if (field.type === "checkbox") {
        field.checked = Boolean(values[name]);
      } else {
        field.value = String(values[name]);
      }
      changed = changed || field;
    });
    // One change event: the proposal preview (htmx) and its warnings follow the new values.
    if (changed) { changed.dispatchEvent(new Event("change", { bubbles: true })); }
    say(document.getElementById("preset-status"), button.dataset.applied);
  }

  function copyKey(button) {
    const field = document.getElementById(button.dataset.copyTarget);
    const status = button.closest(".field").querySelector("[data-copy-status]");
    navigator.clipboard.writeText(field.value).then(
      function () { say(status, button.dataset.copied); },
      function () {
        field.select();
        say(status, "Copying was refused: the key is selected, copy it with your keyboard.");
      }
    );
  }

  function revealCopyButtons(root) {
    if (!navigator.clipboard) { return; } // the key stays selectable in its field
    root.querySelectorAll("button[data-copy-target][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }

  document.addEventListener("click", function (event) {
    const preset = event.target.closest("button[data-preset-values]");
    if (preset) {
      event.preventDefault();
      applyPreset(preset);
      return;
    }
    const copy = event.target.closest("button[data-copy-target]");
    if (copy) {
      event.preventDefault();
      copyKey(copy);
    }
  });

  document.addEventListener("htmx:afterSwap", function () { revealCopyButtons(document); });
  revealCopyButtons(document);
})();
