/**
 * The app's "recent problems" (src/host/recent-errors.ts), fed by the supervisor: each time the
 * server fails to start or crashes, and each problem the running server reports (a failed sync,
 * a refused upload, a throttled login). Passed in: the supervisor's change feed and the clock.
 */
import type { ServerProblem } from '../shared/server-process.ts';
import type { ServerState } from '../shared/server-state.ts';
import { createRecentErrors, problemSentence, serverErrorSentence } from '../host/recent-errors.ts';
import type { RecentErrors } from '../host/recent-errors.ts';

export interface RecentErrorsFeed extends RecentErrors {
  /** For ServerHostDeps.onProblem. */
  onServerProblem(problem: ServerProblem): void;
  /** For ServerHost.onChange. */
  onServerState(state: ServerState): void;
}

export function setupRecentErrors(deps: { readonly now: () => number }): RecentErrorsFeed {
  const recent = createRecentErrors({ now: deps.now });
  let previous: ServerState['kind'] = 'stopped';
  return {
    ...recent,
    onServerProblem: (problem) => recent.add(problemSentence(problem), problem.at),
    onServerState(state) {
      const was = previous;
      previous = state.kind;
      if (state.kind !== 'crashed' || was === 'crashed') return;
      const prefix = was === 'starting' ? 'The sync server could not start.' : 'The sync server stopped.';
      recent.add(`${prefix} ${serverErrorSentence(state.error)}`);
    },
  };
}
