/**
 * The window's entry point (bundled to dist/renderer/app.js by scripts/build.mjs): finds the
 * HearthApi (the preload's `window.hearth`, or the loopback HTTP adapter) and starts the app.
 */
import { connectHearth } from './api-client.ts';
import { startApp } from './app.ts';
import { h } from './dom.ts';

const root = document.getElementById('app');
if (root) {
  const connection = connectHearth(window);
  if ('problem' in connection) {
    root.replaceChildren(h('main', { class: 'view fatal' }, h('h1', {}, 'Hearth'), h('p', { role: 'alert' }, connection.problem)));
  } else {
    startApp(root, connection.api, connection.mode);
  }
}
