/**
 * The sync engine: everything a sync runs, behind one import that the server makes on the first
 * sync request rather than at start (sync-server.ts). A server that nobody has synced with yet
 * holds only the HTTP server, the accounts and the device list: loading the engine at start cost
 * ~20 MB of resident memory, and decoding its protobuf descriptors at start had V8's optimising
 * compiler run (whose code is ~7 MB more of resident pages), on a PC where the server waits idle
 * for hours (docs/memory.md).
 */
export { METHOD_HANDLERS } from './http/method-handlers.ts';
export { createCollection } from './collection/create.ts';
export { restoreBackup } from './backups/restore.ts';
export { warmUpSyncCodecs } from './sync/warm-up.ts';
