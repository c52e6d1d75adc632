// Builds the window into dist/renderer/ (part of `npm run build`; the UI tests call it too):
// esbuild bundles src/renderer/main.ts (with src/shared and the `qrcode` package) into app.js,
// one classic script, since ES modules do not load from the file:// page the app shows; then
// index.html, app.css and the app icon (icon.svg) are copied beside it. The page must have no inline script, style or
// event handler, so its strict Content Security Policy holds: that is checked here.
// Run alone: node scripts/build-renderer.mjs
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildRenderer({ outDir = join(root, 'dist', 'renderer') } = {}) {
  const src = join(root, 'src', 'renderer');
  const html = readFileSync(join(src, 'index.html'), 'utf8');
  if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html) || /<style/i.test(html) || /\son[a-z]+=/i.test(html)) {
    throw new Error('src/renderer/index.html must have no inline script, style or event handler (the CSP forbids them).');
  }
  mkdirSync(outDir, { recursive: true });
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [join(src, 'main.ts')],
    outfile: join(outDir, 'app.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome130',
    minify: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  copyFileSync(join(src, 'index.html'), join(outDir, 'index.html'));
  copyFileSync(join(src, 'app.css'), join(outDir, 'app.css'));
  copyFileSync(join(root, 'assets', 'svg', 'app-icon.svg'), join(outDir, 'icon.svg'));
  return outDir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildRenderer();
  console.log('Built dist/renderer/.');
}
