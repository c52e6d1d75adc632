/**
 * The phone setup page, served at `/` and `/setup`. Opening it on a phone proves the phone
 * reaches this computer; it shows the exact address to paste (the one the phone just used,
 * with its trailing slash), a copy button, what a family coming from AnkiWeb must do first,
 * the steps for the phone's Anki app first, then the general tips. The older apps' steps, with
 * the addresses made from that one, are folded away in a <details> below (plain HTML: it opens
 * without a script, with the keyboard too). It names no account and shows no data.
 */
import type { OlderClientSetup } from '../../shared/client-setup.ts';
import {
  CLIENT_SETUPS,
  FROM_ANKIWEB,
  OLDER_CLIENT_SETUPS,
  OLDER_SETUPS_INTRO,
  OLDER_SETUPS_TITLE,
  SETUP_TIPS,
  TOO_OLD_SETUP,
  likelyApp,
} from '../../shared/client-setup.ts';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The copy buttons (`data-copy`: the id of the box to copy, `data-status`: where to say how it
 * went): the Clipboard API needs a secure context, which a LAN address over http is not, so
 * fall back to selecting the text and execCommand('copy'), then to "select and copy".
 * Its hash is the page's only script-src (request-handler.ts), so it stays one fixed text.
 */
export const COPY_SCRIPT = `
document.querySelectorAll('button[data-copy]').forEach(function (button) {
  button.addEventListener('click', function () {
    var box = document.getElementById(button.getAttribute('data-copy'));
    var status = document.getElementById(button.getAttribute('data-status'));
    var done = function (ok) { status.textContent = ok ? 'Copied.' : 'Select the text and copy it.'; };
    box.focus(); box.select();
    if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(box.value).then(function () { done(true); }, function () { done(false); }); return; }
    try { done(document.execCommand('copy')); } catch (e) { done(false); }
  });
});`;

/** One older app's steps for `syncUrl`: what to paste is in a box of its own, with a copy button. */
function olderSection(c: OlderClientSetup, syncUrl: string): string {
  const steps = c.steps(syncUrl).map((step, i) => {
    if (!step.paste) return `<li>${escapeHtml(step.text)}</li>`;
    const id = `${c.id}-${i + 1}`;
    return `<li>${escapeHtml(step.text)}
<div class="paste"><textarea id="${id}" readonly rows="${Math.min(6, Math.ceil(step.paste.value.length / 28))}" spellcheck="false" aria-label="${escapeHtml(step.paste.what)}">${escapeHtml(step.paste.value)}</textarea><button type="button" data-copy="${id}" data-status="${id}-status" aria-label="Copy ${escapeHtml(step.paste.what)}">Copy</button></div>
<p class="copied" id="${id}-status" role="status"></p></li>`;
  });
  return `<section id="${c.id}">
<h3>${escapeHtml(c.name)} <small>${escapeHtml(c.device)}</small></h3>
<p>${escapeHtml(c.advice)}</p>
<ol>${steps.join('\n')}</ol>
</section>`;
}

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
  const older = [...OLDER_CLIENT_SETUPS]
    .sort((a, b) => Number(b.app === first) - Number(a.app === first))
    .map((c) => olderSection(c, syncUrl))
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
  input, textarea { flex: 1; font: 600 1.05rem ui-monospace, monospace; padding: .55rem; border: 2px solid #888; border-radius: 6px; min-width: 0; color: inherit; background: transparent; }
  button { font: inherit; font-weight: 600; padding: .55rem 1rem; border-radius: 6px; border: 0; background: #b3541e; color: #fff; cursor: pointer; }
  textarea { font-size: .95rem; font-weight: normal; resize: none; overflow-wrap: anywhere; field-sizing: content; }
  .paste { display: flex; gap: .5rem; align-items: flex-start; margin: .3rem 0 0; }
  button:focus-visible, input:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
  section { border-top: 1px solid #ccc; margin-top: 1rem; }
  section.first { border-top: 3px solid #b3541e; }
  .from-ankiweb { background: #fff4e5; border-radius: 8px; padding: .2rem .9rem .4rem; margin-top: 1rem; }
  .from-ankiweb h2 { font-size: 1.15rem; margin: .6rem 0 .2rem; }
  h2 small, h3 small { font-weight: normal; font-size: .8em; color: #666; }
  #copied, .copied { min-height: 1.5em; margin: 0; color: #1e7b34; }
  details { border-top: 1px solid #ccc; margin-top: 1.5rem; padding-top: .75rem; }
  summary { cursor: pointer; font-weight: 600; color: #b3541e; }
  li { margin: .3rem 0; }
  @media (prefers-color-scheme: dark) {
    body { color: #eee; background: #1b1b1b; } .ok { background: #1f3324; } .from-ankiweb { background: #33261a; } h2 small, h3 small { color: #aaa; } #copied, .copied { color: #8fd19e; } summary { color: #f0a070; }
  }
</style>
</head>
<body>
<h1>Hearth is running</h1>
<p class="ok">This device can reach the Anki sync server on your computer.</p>
<label for="sync-url">Address to paste into Anki:</label>
<div class="url"><input id="sync-url" readonly value="${url}"><button id="copy" type="button" data-copy="sync-url" data-status="copied">Copy</button></div>
<p id="copied" role="status"></p>
<div class="from-ankiweb" id="from-ankiweb">
<h2>${escapeHtml(FROM_ANKIWEB.title)}</h2>
<p>${escapeHtml(FROM_ANKIWEB.intro)}</p>
<ol>${FROM_ANKIWEB.steps.map((t) => `<li>${escapeHtml(t)}</li>`).join('')}</ol>
</div>
${sections}
<section id="tips">
<h2>Good to know</h2>
<ul>${SETUP_TIPS.map((t) => `<li>${escapeHtml(t)}</li>`).join('')}</ul>
</section>
<details id="older-versions">
<summary>${escapeHtml(OLDER_SETUPS_TITLE)}</summary>
<p>${escapeHtml(OLDER_SETUPS_INTRO)}</p>
${older}
<p id="too-old">${escapeHtml(TOO_OLD_SETUP)}</p>
</details>
<script>${COPY_SCRIPT}</script>
</body>
</html>
`;
}
