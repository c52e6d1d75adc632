/**
 * The first-run guide, three short steps from a fresh install to a phone that syncs:
 *   1. the first person (username and password),
 *   2. the folder for the sync data (shown; "Change…" to pick another),
 *   3. the phone: the address and its QR code first, the steps for each Anki app folded away.
 * Finishing (or skipping) calls finishFirstRun, and the window opens normally from then on.
 *
 * Coming back to an unfinished guide resumes where the parent left, read from what Hearth
 * already has (no setting of its own, so nothing to migrate): someone added in Hearth means
 * step 1 is done; someone who synced means a phone is connected, so the guide opens at step 3.
 * People from the server's environment (SYNC_USERn) were not added in the guide and do not count.
 */
import { button } from '../components.ts';
import type { Ctx, Model, View } from '../context.ts';
import { h, replaceContent } from '../dom.ts';
import { problemSentence } from '../api-client.ts';
import { connectPanel } from './connect.ts';
import { personForm } from './people.ts';
import { storageSection } from './settings.ts';

const STEP_NAMES = ['Who will sync', 'Where to keep the cards', 'Connect a phone'] as const;

/** The step to open at, from what Hearth already has (see the header). */
export function resumeStep(model: Model): number {
  const people = model.people ?? [];
  if (people.some((p) => p.lastSyncAt !== null)) return 2;
  if (people.some((p) => p.source === 'hearth')) return 1;
  return 0;
}

export function firstRunView(ctx: Ctx, done: () => void): View {
  let step = 0;
  const stepList = h('ol', { class: 'stepper', 'aria-label': 'Steps' });
  const body = h('div', { class: 'step-body' });
  const skip = button('Skip the guide', () => void finish(), { class: 'link-button' });
  // The welcome sentence belongs to the first step; later steps need the room for what they show.
  const lead = h(
    'p',
    { class: 'lead' },
    'Hearth lets your family’s Anki apps sync with this PC instead of AnkiWeb. Three short steps, and your phone is syncing.',
  );
  const el = h(
    'div',
    { class: 'first-run view' },
    h('div', { class: 'first-run-top' }, h('h1', {}, 'Welcome to Hearth'), skip),
    lead,
    stepList,
    body,
  );

  const finish = async (): Promise<void> => {
    try {
      await ctx.api.finishFirstRun();
      done();
    } catch (error) {
      ctx.notify(problemSentence(error), 'problem');
    }
  };

  const form = personForm(ctx, { submitLabel: 'Add this person', onAdded: () => show(1) });
  const existing = h('div', {});
  const storage = storageSection(ctx);
  const connect = connectPanel(ctx, { headingLevel: 3, stepsOpen: false, addPerson: () => show(0) });

  const nav = (back: number | null, next: HTMLElement): HTMLElement =>
    h('div', { class: 'actions step-nav' }, back === null ? null : button('Back', () => show(back), { class: 'secondary' }), next);

  const pages: (() => HTMLElement)[] = [
    () =>
      h(
        'div',
        {},
        h('p', {}, 'Make a username and password for the first person who will sync. You can add everyone else later.'),
        existing,
        form.el,
      ),
    () =>
      h(
        'div',
        {},
        storage.el,
        nav(
          0,
          button('Next: use this folder', () => show(2), { class: 'primary' }),
        ),
      ),
    () =>
      h(
        'div',
        {},
        connect.el,
        nav(
          1,
          button('Done', () => void finish(), { class: 'primary' }),
        ),
      ),
  ];

  const show = (n: number): void => {
    step = n;
    lead.hidden = n !== 0;
    replaceContent(
      stepList,
      STEP_NAMES.map((name, i) =>
        h(
          'li',
          { class: i < step ? 'done' : i === step ? 'current' : '', 'aria-current': i === step ? 'step' : null },
          h('span', { class: 'step-number', 'aria-hidden': 'true' }, String(i + 1)),
          name,
        ),
      ),
    );
    const heading = h('h2', { class: 'step-title', tabindex: -1 }, `Step ${n + 1} of 3: ${STEP_NAMES[n]}`);
    replaceContent(body, heading, pages[n]!());
    update(ctx.model());
    // A new step starts at the top of the window, header included: the button just pressed may
    // have been far down the previous step, and focusing the heading must not scroll it away.
    window.scrollTo(0, 0);
    if (n === 0) form.focus();
    else heading.focus({ preventScroll: true });
  };

  const update = (model: Model): void => {
    if (step === 0) {
      const people = model.people ?? [];
      replaceContent(
        existing,
        people.length === 0
          ? null
          : h(
              'div',
              { class: 'notice notice-ok' },
              h('p', {}, `Already set up: ${people.map((p) => p.username).join(', ')}. Add another person below, or go on.`),
              button('Next: where to keep the cards', () => show(1), { class: 'primary small', 'data-focus-key': 'first-run-next' }),
            ),
      );
    }
    if (step === 1) storage.update(model);
    if (step === 2) connect.update(model);
  };

  return { el, update, shown: () => show(resumeStep(ctx.model())) };
}
