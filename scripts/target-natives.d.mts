// Types for scripts/target-natives.mjs, used by the packaging tests.
import type { NativeTarget } from '../src/server/collection/native-targets.ts';

export function argon2PackageName(target: NativeTarget): string;
export function nativeFilesFor(target: NativeTarget): [unicase: string, sqlite: string, argon2: string];
export function nativeFilePatterns(platform: NativeTarget['platform']): string[];
export function ensureArgon2Package(target: NativeTarget): string;
export function ensureTargetNatives(target: NativeTarget): string[];
