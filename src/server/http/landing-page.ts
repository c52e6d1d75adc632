/**
 * What a person sees when they open the server's address in a browser: proof that the PC is
 * reachable and the address to paste into Anki. It names no account and shows no data.
 * (The phone setup page of the app builds on this.)
 */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function landingPage(syncUrl: string): string {
  const url = escapeHtml(syncUrl);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hearth sync server</title>
<style>
  body { font: 17px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem; color: #222; background: #fff; }
  code { font-size: 1.1em; background: #f2f2f2; padding: .2em .4em; border-radius: 4px; word-break: break-all; }
  @media (prefers-color-scheme: dark) { body { color: #eee; background: #1b1b1b; } code { background: #333; } }
</style>
</head>
<body>
<h1>Hearth is running</h1>
<p>This device can reach the Anki sync server. In Anki, use this address as the sync server:</p>
<p><code id="sync-url">${url}</code></p>
<p>Then log in with your Hearth username and password. Where Anki asks for an email address, type your Hearth username.</p>
</body>
</html>
`;
}
