/** `abort` (docs/protocol/collection-sync.md §5.10): cancels the active normal sync whatever its key; always `null`. */
import type { MethodContext } from '../user/context.ts';

export function abort(_body: Buffer, ctx: MethodContext): null {
  ctx.user.abortSession();
  return null;
}
