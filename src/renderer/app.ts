/**
 * The window's shell: the header with Hearth's state, the navigation, the message line, and the
 * current screen. Holds the one Model and polls Hearth every two seconds while the window is
 * visible (people and problems less often: they are read from disk).
 */
import type { HearthApi } from '../shared/api.ts';
import { problemSentence } from './api-client.ts';
import type { Ctx, Model, RefreshWhat, View, ViewName } from './context.ts';
import { h, svg } from './dom.ts';
import { serverStateWords } from './format.ts';
import { connectPanel } from './views/connect.ts';
import { firstRunView } from './views/first-run.ts';
import { homeView } from './views/home.ts';
import { peopleView } from './views/people.ts';
import { settingsView } from './views/settings.ts';

/** How often the status is fetched while the window is visible. */
export const POLL_INTERVAL_MS = 2_000;
/** People (sizes on disk) and recent problems: every this many status polls. */
const SLOW_POLL_EVERY = 3;
/** How long a success message stays; problems stay until the next message. */
const NOTICE_MS = 10_000;

const VIEWS: readonly { readonly name: ViewName; readonly label: string }[] = [
  { name: 'home', label: 'Home' },
  { name: 'people', label: 'People' },
  { name: 'connect', label: 'Connect a device' },
  { name: 'settings', label: 'Settings' },
];

function flame(): SVGSVGElement {
  return svg(
    'svg',
    { class: 'logo', viewBox: '0 0 32 32', 'aria-hidden': 'true', focusable: 'false' },
    svg('rect', { x: 1, y: 1, width: 30, height: 30, rx: 7, class: 'logo-tile' }),
    svg(
      'g',
      { transform: 'translate(4.8 4.2) scale(0.7)' },
      svg('path', {
        d: 'M16 2.5C17.2 8.2 24.5 11.2 24.5 19.2C24.5 25.2 20.7 29.5 16 29.5C11.3 29.5 7.5 25.6 7.5 20.2C7.5 15.6 10.1 13 11.8 10.4C12.3 13.4 13.4 15 15 15.6C14.3 10.8 14.8 6.4 16 2.5Z',
        fill: '#f97316',
      }),
      svg('path', {
        d: 'M16 16.5C17.3 19.6 20.3 21 20.3 24.4C20.3 27 18.4 28.6 16 28.6C13.6 28.6 11.7 26.9 11.7 24.6C11.7 22.1 13.8 20.6 16 16.5Z',
        fill: '#fde047',
      }),
    ),
  );
}

export function startApp(root: HTMLElement, api: HearthApi, mode: 'app' | 'browser'): void {
  let model: Model = { status: null, settings: null, people: null, errors: null, now: Date.now() };
  let current: ViewName = 'home';
  let firstRun = false;
  const views = new Map<ViewName, View>();
  let active: View | null = null;
  let polls = 0;
  let inFlight: Promise<void> | null = null;
  let lostContact = false;
  let opened = false;

  const pill = h(
    'span',
    { class: 'state-pill', 'data-tone': 'off' },
    h('span', { class: 'dot', 'aria-hidden': 'true' }),
    h('span', { class: 'pill-text' }, 'Connecting…'),
  );
  const navButtons = new Map<ViewName, HTMLButtonElement>();
  const nav = h(
    'nav',
    { class: 'nav', 'aria-label': 'Hearth' },
    h(
      'ul',
      {},
      VIEWS.map((v) => {
        const b = h('button', { type: 'button', class: 'nav-item', 'data-view': v.name, onclick: () => go(v.name) }, v.label);
        navButtons.set(v.name, b);
        return h('li', {}, b);
      }),
    ),
  );
  const noticeText = h('p', { class: 'notice-text' });
  const noticeClose = h(
    'button',
    { type: 'button', class: 'notice-close', 'aria-label': 'Dismiss the message', onclick: () => clearNotice() },
    '×',
  );
  const notice = h('div', { class: 'toast', hidden: true }, noticeText, noticeClose);
  const live = h('div', { class: 'offscreen', role: 'status', 'aria-live': 'polite', id: 'announcer' });
  const alertLive = h('div', { class: 'offscreen', role: 'alert', id: 'alerter' });
  const connection = h('div', { class: 'connection-lost', role: 'alert', hidden: true });
  const main = h('main', { id: 'main', tabindex: -1 });
  const header = h(
    'header',
    { class: 'topbar' },
    h('div', { class: 'brand' }, flame(), h('span', { class: 'brand-name' }, 'Hearth')),
    pill,
  );
  root.replaceChildren(
    h('a', { class: 'skip-link', href: '#main' }, 'Skip to the content'),
    header,
    nav,
    connection,
    notice,
    main,
    live,
    alertLive,
  );

  let noticeTimer: number | undefined;
  const clearNotice = (): void => {
    notice.hidden = true;
    noticeText.textContent = '';
  };
  const notify = (message: string, tone: 'ok' | 'problem' = 'ok'): void => {
    window.clearTimeout(noticeTimer);
    noticeText.textContent = message;
    notice.dataset.tone = tone;
    notice.hidden = false;
    // Read out through a live region that is always in the page (a region that just appeared is not always read).
    const region = tone === 'problem' ? alertLive : live;
    region.textContent = '';
    window.setTimeout(() => (region.textContent = message), 50);
    if (tone === 'ok') noticeTimer = window.setTimeout(clearNotice, NOTICE_MS);
  };

  const viewFor = (name: ViewName): View => {
    let v = views.get(name);
    if (!v) {
      v = name === 'home' ? homeView(ctx) : name === 'people' ? peopleView(ctx) : name === 'connect' ? wrapConnect(ctx) : settingsView(ctx);
      views.set(name, v);
    }
    return v;
  };

  const mount = (v: View, title: string): void => {
    active = v;
    main.replaceChildren(v.el);
    document.title = `${title} — Hearth`;
    v.update(model);
    v.shown?.();
  };

  const go = (name: ViewName, focusSelector?: string): void => {
    if (firstRun) return;
    current = name;
    for (const [n, b] of navButtons) {
      if (n === name) b.setAttribute('aria-current', 'page');
      else b.removeAttribute('aria-current');
    }
    mount(viewFor(name), VIEWS.find((v) => v.name === name)?.label ?? 'Hearth');
    // A new screen opens at the top, header included: the page may have been scrolled far down the
    // previous one (the first-run guide's Done button), and the browser would otherwise only scroll
    // as far as the focused heading, cutting the header off.
    window.scrollTo(0, 0);
    // Moving the focus to the new screen's heading tells a screen reader the screen changed; not
    // when the window opens, where reading starts at the top anyway. A control asked for by
    // focusSelector may be further down: that one is scrolled to.
    if (opened) {
      const target = focusSelector ? main.querySelector<HTMLElement>(focusSelector) : main.querySelector<HTMLElement>('h1');
      if (target && !target.matches('a, button, input, select, textarea, summary')) target.setAttribute('tabindex', '-1');
      target?.focus({ preventScroll: !focusSelector });
    }
    opened = true;
    void refresh({ people: true, errors: name === 'home', settings: name === 'settings' });
  };

  const showFirstRun = (): void => {
    firstRun = true;
    opened = true;
    nav.hidden = true;
    mount(
      firstRunView(ctx, () => {
        firstRun = false;
        nav.hidden = false;
        go('home');
        notify('Hearth is ready. Add more people on the People page, and connect more devices any time.', 'ok');
      }),
      'Welcome',
    );
  };

  const refresh = async (what: RefreshWhat = {}): Promise<void> => {
    const run = async (): Promise<void> => {
      try {
        const [status, people, errors, settings] = await Promise.all([
          api.getStatus(),
          what.people ? api.listPeople() : Promise.resolve(model.people),
          what.errors ? api.getRecentErrors() : Promise.resolve(model.errors),
          what.settings ? api.getSettings() : Promise.resolve(model.settings),
        ]);
        model = { status, people, errors, settings, now: Date.now() };
        if (lostContact) {
          lostContact = false;
          connection.hidden = true;
        }
      } catch (error) {
        lostContact = true;
        connection.textContent = problemSentence(error);
        connection.hidden = false;
        return;
      }
      const words = model.status ? serverStateWords(model.status.server, model.status.serverEnabled, model.now) : null;
      if (words) {
        pill.dataset.tone = words.tone;
        pill.querySelector('.pill-text')!.textContent = words.short;
        pill.title = words.headline;
      }
      active?.update(model);
    };
    // One request round at a time; a refresh asked for meanwhile runs after it.
    const previous = inFlight ?? Promise.resolve();
    const next = previous.then(run);
    inFlight = next;
    await next;
    if (inFlight === next) inFlight = null;
  };

  const ctx: Ctx = { api, mode, model: () => model, refresh, notify, go };

  const tick = (): void => {
    if (document.visibilityState !== 'visible' || inFlight) return;
    polls += 1;
    const slow = polls % SLOW_POLL_EVERY === 0;
    void refresh({ people: slow && current !== 'connect', errors: slow && current === 'home' && !firstRun });
  };
  window.setInterval(tick, POLL_INTERVAL_MS);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') tick();
  });

  root.dataset.mode = mode;
  void refresh({ people: true, errors: true, settings: true }).then(() => {
    root.dataset.ready = 'true';
    if (model.status?.firstRun) showFirstRun();
    else if (model.status) go('home');
  });
}

function wrapConnect(ctx: Ctx): View {
  const panel = connectPanel(ctx, {
    headingLevel: 2,
    stepsOpen: true,
    addPerson: () => ctx.go('people', 'form.person-form [data-field="username"]'),
  });
  const el = h(
    'div',
    { class: 'view' },
    h('h1', {}, 'Connect a device'),
    h('p', { class: 'lead' }, 'Set up Anki on a phone, tablet or computer to sync with this PC. It takes about a minute.'),
    panel.el,
  );
  return { el, update: panel.update };
}
