// S2S VPN portal: dialogs loaded by htmx become native modal <dialog>s (focus trap, Esc, labels).
(function () {
  "use strict";
  let opener = null;

  function openDialogs(root) {
    root.querySelectorAll("dialog.modal:not([open])").forEach(function (dialog) {
      dialog.addEventListener("close", function () {
        dialog.remove();
        if (opener && document.body.contains(opener)) { opener.focus(); }
      });
      dialog.showModal();
      const first = dialog.querySelector("[autofocus], select, input:not([type=hidden]), button.btn-primary");
      if (first) { first.focus(); }
    });
  }

  document.addEventListener("click", function (event) {
    const trigger = event.target.closest("[hx-get][hx-target='#modal-host']");
    if (trigger) { opener = trigger; }
    const closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      const dialog = closer.closest("dialog");
      if (dialog) { event.preventDefault(); dialog.close(); }
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    openDialogs(event.detail.target);
  });

  // A dialog whose work is shown on the page it was opened from (portal/dialogs.py, "events"):
  // the answer names it done, and closing it returns focus to its opener.
  document.addEventListener("dialog-done", function (event) {
    const dialog = event.target.closest && event.target.closest("dialog");
    if (dialog && dialog.open) { dialog.close(); }
  });

  // A modal form that failed validation is re-rendered into the same dialog.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
