/**
 * The phone setup page, served at `/` and `/setup`. Opening it on a phone proves the phone
 * reaches this computer; it shows the exact address to paste (the one the phone just used,
 * with its trailing slash), a copy button, and the steps for the phone's Anki app first.
 * It names no account and shows no data.
 */
import { CLIENT_SETUPS, SETUP_TIPS, likelyApp } from '../../shared/client-setup.ts';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The copy button: the Clipboard API needs a secure context, which a LAN address over http is
 * not, so fall back to selecting the text and execCommand('copy'), then to "select and copy".
 */
export const COPY_SCRIPT = `
document.getElementById('copy').addEventListener('click', function () {
  var box = document.getElementById('sync-url');
  var done = function (ok) { document.getElementById('copied').textContent = ok ? 'Copied.' : 'Select the address and copy it.'; };
  box.focus(); box.select();
  if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(box.value).then(function () { done(true); }, function () { done(false); }); return; }
  try { done(document.execCommand('copy')); } catch (e) { done(false); }
});`;

export function landingPage(syncUrl: string, userAgent = ''): string {
  const url = escapeHtml(syncUrl);
  const first = likelyApp(userAgent);
  const ordered = [...CLIENT_SETUPS].sort((a, b) => Number(b.app === first) - Number(a.app === first));
  const sections = ordered
    .map(
      (c) => `<section id="steps-${c.app}"${c.app === first ? ' class="first"' : ''}>
<h2>${escapeHtml(c.name)} <small>${escapeHtml(c.device)}</small></h2>
<ol>${c.steps.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ol>
</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hearth — set up Anki</title>
<style>
  :root { color-scheme: light dark; }
  body { font: 17px/1.5 system-ui, sans-serif; max-width: 38rem; margin: 1.5rem auto; padding: 0 1rem; color: #222; background: #fff; }
  .ok { background: #e6f4ea; border-radius: 8px; padding: .6rem .9rem; }
  .url { display: flex; gap: .5rem; margin: .5rem 0 .2rem; }
  input { flex: 1; font: 600 1.05rem ui-monospace, monospace; padding: .55rem; border: 2px solid #888; border-radius: 6px; min-width: 0; color: inherit; background: transparent; }
  button { font: inherit; font-weight: 600; padding: .55rem 1rem; border-radius: 6px; border: 0; background: #b3541e; color: #fff; cursor: pointer; }
  button:focus-visible, input:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
  section { border-top: 1px solid #ccc; margin-top: 1rem; }
  section.first { border-top: 3px solid #b3541e; }
  h2 small { font-weight: normal; font-size: .8em; color: #666; }
  #copied { min-height: 1.5em; margin: 0; color: #1e7b34; }
  @media (prefers-color-scheme: dark) {
    body { color: #eee; background: #1b1b1b; } .ok { background: #1f3324; } h2 small { color: #aaa; } #copied { color: #8fd19e; }
  }
</style>
</head>
<body>
<h1>Hearth is running</h1>
<p class="ok">This device can reach the Anki sync server on your computer.</p>
<label for="sync-url">Address to paste into Anki:</label>
<div class="url"><input id="sync-url" readonly value="${url}"><button id="copy" type="button">Copy</button></div>
<p id="copied" role="status"></p>
<ul>${SETUP_TIPS.map((t) => `<li>${escapeHtml(t)}</li>`).join('')}</ul>
${sections}
<script>${COPY_SCRIPT}</script>
</body>
</html>
`;
}
