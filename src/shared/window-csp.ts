/**
 * The window's Content Security Policy: only its own script and styles, nothing inline, no other
 * site, no frames. `connect-src 'self'` lets the page call the headless admin API on its own
 * origin (src/headless/admin-server.ts); in the app the page is a file and talks over IPC only. The same
 * string is in src/renderer/index.html's meta tag (a test keeps the two equal) and is sent as a
 * header by the admin server.
 */
export const WINDOW_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
