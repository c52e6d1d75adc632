/**
 * What every screen gets: the API, the latest data from Hearth, and a few actions. The window
 * keeps one Model; `refresh` fetches, then every screen's `update(model)` redraws what changed.
 */
import type { AppStatus, HearthApi, PersonSummary, RecentError } from '../shared/api.ts';
import type { Settings } from '../shared/settings.ts';

export interface Model {
  readonly status: AppStatus | null;
  readonly settings: Settings | null;
  readonly people: readonly PersonSummary[] | null;
  readonly errors: readonly RecentError[] | null;
  /** The time the data is shown at (relative times are computed against it). */
  readonly now: number;
}

export type ViewName = 'home' | 'people' | 'connect' | 'settings';

export interface RefreshWhat {
  readonly people?: boolean;
  readonly errors?: boolean;
  readonly settings?: boolean;
}

export interface Ctx {
  readonly api: HearthApi;
  readonly mode: 'app' | 'browser';
  model(): Model;
  /** Fetches the status (and what is asked for), then redraws. Errors are shown, not thrown. */
  refresh(what?: RefreshWhat): Promise<void>;
  /** A short message at the top of the window, read out by screen readers. */
  notify(message: string, tone?: 'ok' | 'problem'): void;
  go(view: ViewName, focusSelector?: string): void;
}

export interface View {
  readonly el: HTMLElement;
  update(model: Model): void;
  /** Called once the view is in the page (to move the focus into it). */
  shown?(): void;
}
