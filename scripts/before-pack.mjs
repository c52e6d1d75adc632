// electron-builder's beforePack hook (electron-builder.js): before the app's files are copied for
// a target (system + CPU), build or fetch that target's native libraries
// (scripts/target-natives.mjs). So every way of running electron-builder packs a loadable
// unicase and argon2 for the target it makes, or stops with the reason.
import { Arch } from 'electron-builder';
import { parseTargetName } from '../src/server/collection/native-targets.ts';
import { ensureTargetNatives } from './target-natives.mjs';

export default async function beforePack(context) {
  const name = `${context.electronPlatformName}-${Arch[context.arch]}`;
  const target = parseTargetName(name);
  if (!target) throw new Error(`Hearth is not made for ${name}; its targets are Windows, macOS and Linux on x64 and arm64`);
  ensureTargetNatives(target);
}
