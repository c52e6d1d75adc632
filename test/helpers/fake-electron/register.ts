/**
 * `node --import ./test/helpers/fake-electron/register.ts src/main/index.ts` runs the real main
 * process with stand-ins for `electron` (no binary needed) and `bonjour-service` (no multicast
 * leaves the machine). Everything else, electron-store included, is real.
 */
import { registerHooks } from 'node:module';

const fakes: Record<string, string> = {
  electron: new URL('./electron.ts', import.meta.url).href,
  'bonjour-service': new URL('./bonjour.ts', import.meta.url).href,
};

registerHooks({
  resolve(specifier, context, nextResolve) {
    const url = fakes[specifier];
    return url ? { url, shortCircuit: true } : nextResolve(specifier, context);
  },
});
