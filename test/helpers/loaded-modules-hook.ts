/**
 * Loaded with `node --import` into a server process by test/server/server-memory.test.ts: records
 * every module the process loads (ES modules through a load hook; Node's own built-in modules,
 * including those loaded behind the scenes such as undici, from process.moduleLoadList) and writes
 * them as JSON to HEARTH_LOADED_MODULES_FILE each time the process gets SIGUSR2.
 */
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const out = process.env['HEARTH_LOADED_MODULES_FILE'];
if (out === undefined) throw new Error('HEARTH_LOADED_MODULES_FILE is not set');
const urls: string[] = [];
registerHooks({
  load(url, context, nextLoad) {
    urls.push(url);
    return nextLoad(url, context);
  },
});
/** Node's list of its own modules loaded so far; not in @types/node. */
const builtins = (): string[] => (process as unknown as { moduleLoadList: string[] }).moduleLoadList;
process.on('SIGUSR2', () => {
  writeFileSync(out, JSON.stringify({ urls, builtins: builtins() }));
});
