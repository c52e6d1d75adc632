/**
 * The preload script: exposes `window.hearth` (HearthApi) to the sandboxed window and nothing
 * else. Bundled into one CommonJS file by scripts/build.mjs, because a sandboxed preload can
 * require only `electron` (not the shared contract's file).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { RENDERER_API_GLOBAL } from '../shared/api.ts';
import { buildBridge } from './bridge.ts';

contextBridge.exposeInMainWorld(
  RENDERER_API_GLOBAL,
  buildBridge((channel, ...args) => ipcRenderer.invoke(channel, ...args)),
);
