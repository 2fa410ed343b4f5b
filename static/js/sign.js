// The sign form without leaving the page. Without JavaScript the same form posts and the server
// answers with a full page; with it, the server's answer (the same fragment) replaces the form.
const FRAGMENT_HEADER = { "X-Requested-With": "fetch" };
const PROOF_WAIT_MS = 15000;

function proofSettled(form) {
  // The proof of work runs while the signer fills the form; wait for it only if it is still busy.
  const widget = form.querySelector("altcha-widget");
  const field = form.querySelector('input[name="altcha"]');
  if (!widget || (field && field.value)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => resolve();
    widget.addEventListener("verified", done, { once: true });
    widget.addEventListener("error", done, { once: true });
    setTimeout(done, PROOF_WAIT_MS);
    // Not started yet (the signer went straight to the button): start it now.
    if (typeof widget.verify === "function") widget.verify();
  });
}

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-sign-form]");
  if (!form || form.dataset.sending) return;
  event.preventDefault();
  form.dataset.sending = "1";
  const button = form.querySelector('button[type="submit"]');
  if (button) button.disabled = true;
  try {
    await proofSettled(form);
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: FRAGMENT_HEADER,
      credentials: "same-origin",
    });
    const box = form.closest(".sign-box");
    box.outerHTML = await response.text();
    const replaced = document.getElementById("sign");
    if (replaced) {
      // Where the eye and the screen reader go next: the list of what to correct if the form
      // came back (as the GOV.UK error summary does), else the answer itself.
      const target = replaced.querySelector(".form-errors") || replaced;
      target.setAttribute("tabindex", "-1");
      target.scrollIntoView({ block: "start" });
      target.focus();
    }
  } catch (error) {
    // The network failed mid-way: let the browser send the form the ordinary way.
    delete form.dataset.sending;
    form.submit();
  }
});
