// The sign form without leaving the page. Without JavaScript the same form posts and the server
// answers with a full page; with it, the server's answer (the same fragment) replaces the form.
//
// The proof of work. A form whose statement asks for it (set by an editor, or by a surge) carries
// an <altcha-widget>; others carry none and need no script at all. The widget's files (about
// 35 kB compressed) are fetched only once the signer reaches the form: a click or a tab into it,
// or the form scrolling into view. They are the npm package altcha 3.2.2 (MIT, LICENSE.txt beside
// them), copied unchanged: dist/external/altcha.min.js, dist/external/altcha.css and
// dist/workers/pbkdf2.js. The "external" build because the default one injects a <style> element
// and starts its workers from blob: URLs, both refused by our CSP (style-src 'self'; worker-src
// falls back to script-src 'self'): it takes its styles from altcha.css and has no worker of its
// own, so the one our challenges need (PBKDF2/SHA-256) is registered here, from our own origin.
// The form gives the files' addresses (hashed by collectstatic, so cached for a year) and the
// widget's texts, translated by our own catalogue into the interface language, in data-*
// attributes: no language file of the package is loaded.
const FRAGMENT_HEADER = { "X-Requested-With": "fetch" };
const PROOF_WAIT_MS = 15000;
const ALGORITHM = "PBKDF2/SHA-256";

let widgetLoading = null;

function loadWidget(widget) {
  // Once per page: a form that comes back from the server finds the element already defined.
  if (!widgetLoading) {
    if (!document.querySelector("link[data-widget-stylesheet]")) {
      const stylesheet = document.createElement("link");
      stylesheet.rel = "stylesheet";
      stylesheet.href = widget.dataset.stylesheet;
      stylesheet.dataset.widgetStylesheet = "";
      document.head.append(stylesheet);
    }
    const worker = widget.dataset.worker;
    widgetLoading = import(widget.dataset.script).then(
      () => {
        globalThis.$altcha.algorithms.set(ALGORITHM, () => new Worker(worker));
      },
      (error) => {
        // The network failed: the next focus in the form or send asks again.
        widgetLoading = null;
        throw error;
      },
    );
  }
  return widgetLoading.then(() => {
    // The texts under the widget's language attribute, the interface language; the package's
    // English for the few it would show only for challenges our server never sends.
    const strings = JSON.parse(widget.dataset.strings || "{}");
    const i18n = globalThis.$altcha.i18n;
    i18n.set(widget.getAttribute("language"), { ...i18n.get("en"), ...strings });
    return customElements.whenDefined("altcha-widget");
  });
}

function prepare(form) {
  const widget = form.querySelector("altcha-widget");
  if (!widget || form.dataset.widgetWatched) return;
  form.dataset.widgetWatched = "1";
  let observer = null;
  let started = false;
  let focused = false;
  const start = () => {
    if (started) return;
    started = true;
    if (observer) observer.disconnect();
    loadWidget(widget).then(
      () => {
        form.removeEventListener("focusin", onFocus);
        // A focus that came while the widget loaded came before it could listen (auto="onfocus").
        if (focused && typeof widget.verify === "function") widget.verify();
      },
      () => {
        started = false;
      },
    );
  };
  const onFocus = () => {
    focused = true;
    start();
  };
  form.addEventListener("focusin", onFocus);
  if ("IntersectionObserver" in window) {
    observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) start();
    });
    observer.observe(form);
  }
}

async function proofSettled(form) {
  // The proof of work runs while the signer fills the form; wait for it only if it is still busy.
  const widget = form.querySelector("altcha-widget");
  if (!widget) return;
  await Promise.race([loadWidget(widget), new Promise((resolve) => setTimeout(resolve, PROOF_WAIT_MS))]);
  const field = form.querySelector('input[name="altcha"]');
  if (field && field.value) return;
  await new Promise((resolve) => {
    const done = () => resolve();
    widget.addEventListener("verified", done, { once: true });
    widget.addEventListener("error", done, { once: true });
    setTimeout(done, PROOF_WAIT_MS);
    // Not started yet (the signer went straight to the button): start it now.
    if (typeof widget.verify === "function") widget.verify();
  });
}

document.querySelectorAll("form[data-sign-form]").forEach(prepare);

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
      // A form sent back may ask for the proof of work where the page did not (a surge began).
      replaced.querySelectorAll("form[data-sign-form]").forEach(prepare);
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
