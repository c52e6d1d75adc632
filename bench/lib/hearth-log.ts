/**
 * Hearth logs every request it answers with the time it took ("ok method=\"POST /msync/begin\"
 * … ms=3"). This reads those lines back from a server's captured output for one operation, so a
 * benchmark can say how many requests of each method the real client made and where Hearth's
 * time went, without a proxy in the measured path. The official server logs no such lines.
 */
import type { RunningServer } from '../../test/interop/servers.ts';

/** How long after an operation the benchmark waits for the server's last log lines to arrive. */
export const LOG_SETTLE_MS = 150;

const LINE = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) \S+\s+\[server:http\] ok method="POST \/(?:sync|msync)\/(\w+)".*? ms=(\d+)/gm;

/** Per method, the server-logged durations (ms) of requests that finished within [fromMs, toMs] (epoch ms). */
export function loggedRequests(server: RunningServer, fromMs: number, toMs: number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (server.kind !== 'hearth') return out;
  for (const m of server.output().matchAll(LINE)) {
    const at = Date.parse(m[1]!);
    if (at < fromMs || at > toMs) continue;
    const list = out.get(m[2]!) ?? [];
    list.push(Number(m[3]));
    out.set(m[2]!, list);
  }
  return out;
}
