// Our own few lines, not part of the altcha package. The files beside this one are copied
// unchanged from the npm package altcha 3.2.2 (MIT, LICENSE.txt): dist/external/altcha.min.js,
// dist/external/altcha.css, dist/workers/pbkdf2.js and dist/i18n/{es-es,fr-fr,ar}.js.
//
// Why the "external" build: the default one injects a <style> element and starts its workers
// from blob: URLs, both refused by our CSP (style-src 'self', and worker-src falls back to
// script-src 'self'). The external build takes its styles from altcha.css and has no workers
// of its own, so the one our challenges need (PBKDF2/SHA-256) is registered here, loaded from
// our own origin.
//
// Load only this file, as a module: <script type="module" src=".../altcha-setup.js"></script>
import "./altcha.min.js";
import "./i18n/es-es.js";
import "./i18n/fr-fr.js";
import "./i18n/ar.js";

const pbkdf2Worker = () => new Worker(new URL("./pbkdf2.js", import.meta.url));
globalThis.$altcha.algorithms.set("PBKDF2/SHA-256", pbkdf2Worker);
