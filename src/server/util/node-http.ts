/**
 * node:http's values, taken with process.getBuiltinModule instead of `import { … } from 'node:http'`.
 * Why: to build an ES module's namespace of a built-in, Node reads every export, and node:http's
 * include WebSocket, CloseEvent and MessageEvent, getters that load Node's fetch implementation
 * (undici) on first read. Measured on a started server: ~10 MB more resident memory, for code it
 * never runs (docs/memory.md). Type-only imports of node:http are erased and cost nothing.
 * eslint.config.js refuses value imports of node:http elsewhere in the processes that serve.
 */
export const { createServer, STATUS_CODES } = process.getBuiltinModule('node:http');
