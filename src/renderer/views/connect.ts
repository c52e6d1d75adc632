/**
 * "Connect a device": the sync address (best first, exactly as Anki needs it) with a Copy button
 * and its QR code, first, where the eye lands; then, folded away, the steps for each Anki app
 * (the same words as the phone setup page, from src/shared/client-setup.ts) with the older apps'
 * steps (the addresses made from the one the parent picks), and what to check when Anki says it
 * cannot connect. Also the last step of the first-run guide.
 *
 * Before the steps, folded too: what a family coming from AnkiWeb does first (FROM_ANKIWEB, as
 * on the phone page); next to the address, that an app still logged in to AnkiWeb never asks
 * for the Hearth username. With nobody added yet, the panel says to add a person first.
 *
 * A QR code is shown only for an address a phone can reach: in "this PC only" mode (or with no
 * network) the address is 127.0.0.1, which on a phone is the phone itself. There the panel says
 * plainly that phones cannot reach this PC, with a button that allows the home network.
 */
import type { AppStatus, SyncAddress } from '../../shared/api.ts';
import {
  CLIENT_SETUPS,
  FROM_ANKIWEB,
  OLDER_CLIENT_SETUPS,
  OLDER_SETUPS_INTRO,
  OLDER_SETUPS_TITLE,
  SETUP_TIPS,
  TOO_OLD_SETUP,
} from '../../shared/client-setup.ts';
import { problemSentence } from '../api-client.ts';
import { button, copyButton, copyText } from '../components.ts';
import type { Ctx, Model, View } from '../context.ts';
import { h, replaceContent, uid } from '../dom.ts';
import { serverStateWords } from '../format.ts';
import { qrCode, qrPayload } from '../qr.ts';

/** Which network an address is on, as one sentence. */
function kindNote(a: SyncAddress): string {
  switch (a.kind) {
    case 'lan':
      return `This PC on your home network (${a.interfaceName}).`;
    case 'this-pc':
      return 'Works only for Anki on this PC.';
    case 'virtual':
      return `${a.interfaceName}: a VPN or virtual network, rarely the right one.`;
    case 'other':
      return `Another network of this PC (${a.interfaceName}).`;
  }
}

/** Whether a phone can reach the address: 127.0.0.1 on a phone is the phone itself. */
function reachableByPhones(a: SyncAddress): boolean {
  return a.kind !== 'this-pc';
}

/** One of the other addresses, listed under the best one, its QR code folded away. */
function addressRow(ctx: Ctx, a: SyncAddress, index: number, hint: string = kindNote(a)): HTMLElement {
  const url = h('code', { class: 'sync-url', 'data-sync-url': a.url }, a.url);
  const copy = copyButton(a.url, `the address ${a.url}`, ctx.notify, { 'data-focus-key': `copy-${a.url}` });
  return h(
    'li',
    { class: 'address', 'data-address-index': index },
    h('div', { class: 'url-row' }, url, copy),
    h('p', { class: 'hint' }, hint),
    reachableByPhones(a)
      ? h(
          'details',
          {},
          h('summary', { 'data-focus-key': `qr-${a.url}` }, 'Show QR code'),
          h('figure', { class: 'qr-figure small' }, qrCode(qrPayload(a), `QR code for ${a.url}`)),
        )
      : null,
  );
}

/**
 * The button that lets phones and computers at home sync: the same settings change as the
 * Settings screen's "Phones and computers on the home network" choice (src/shared/settings.ts
 * `listen`). The server restarts on the home network once nobody is syncing.
 */
export function allowHomeNetworkButton(ctx: Ctx, focusKey: string, style: 'primary' | 'secondary' = 'primary'): HTMLButtonElement {
  const b = button(
    'Allow the home network',
    () => {
      b.disabled = true;
      void ctx.api
        .updateSettings({ listen: 'lan' })
        .then(async (result) => {
          if (!result.ok) ctx.notify(result.problems.map((p) => p.message).join(' '), 'problem');
          else ctx.notify('Phones and computers at home can now sync. The sync server restarts on the home network.', 'ok');
          await ctx.refresh({ settings: true });
        })
        .catch((error: unknown) => ctx.notify(problemSentence(error), 'problem'))
        .finally(() => (b.disabled = false));
    },
    { class: `${style} small`, 'data-focus-key': focusKey },
  );
  return b;
}

function appTabs(): HTMLElement {
  const tablist = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Anki app' });
  const panels: HTMLElement[] = [];
  const tabs: HTMLButtonElement[] = [];
  const select = (i: number, focus: boolean): void => {
    tabs.forEach((t, j) => {
      t.setAttribute('aria-selected', String(i === j));
      t.tabIndex = i === j ? 0 : -1;
      panels[j]!.hidden = i !== j;
    });
    if (focus) tabs[i]!.focus();
  };
  CLIENT_SETUPS.forEach((c, i) => {
    const tabId = uid('tab');
    const panelId = uid('panel');
    const tab = h(
      'button',
      { type: 'button', role: 'tab', id: tabId, 'aria-controls': panelId, class: 'tab', onclick: () => select(i, false) },
      h('span', { class: 'tab-name' }, c.name),
      h('span', { class: 'tab-device' }, c.device),
    );
    tab.addEventListener('keydown', (e: KeyboardEvent) => {
      const last = CLIENT_SETUPS.length - 1;
      const to =
        e.key === 'ArrowRight'
          ? i === last
            ? 0
            : i + 1
          : e.key === 'ArrowLeft'
            ? i === 0
              ? last
              : i - 1
            : e.key === 'Home'
              ? 0
              : e.key === 'End'
                ? last
                : -1;
      if (to >= 0) {
        e.preventDefault();
        select(to, true);
      }
    });
    tabs.push(tab);
    tablist.append(tab);
    panels.push(
      h(
        'div',
        { role: 'tabpanel', id: panelId, 'aria-labelledby': tabId, class: 'tabpanel', 'data-app': c.app },
        h('ol', { class: 'steps' }, ...c.steps.map((s) => h('li', {}, s))),
      ),
    );
  });
  select(0, false);
  return h('div', { class: 'app-tabs' }, tablist, ...panels);
}

/** Every address shown above, best first, each once: the ones the older apps' steps can use. */
function addressChoices(status: AppStatus): string[] {
  const [best, ...others] = status.addresses;
  const urls = [best?.url, status.localUrl ?? undefined, ...others.map((a) => a.url)].filter((u): u is string => Boolean(u));
  return [...new Set(urls)];
}

/** A Copy button for a command or an address of the older apps' steps (pasted into a terminal, not only into Anki). */
function copyValueButton(ctx: Ctx, value: string, what: string): HTMLButtonElement {
  const b = button(
    'Copy',
    () => {
      void copyText(value).then((ok) => {
        if (ok) {
          b.textContent = 'Copied';
          window.setTimeout(() => (b.textContent = 'Copy'), 2500);
          ctx.notify(`Copied ${what}.`, 'ok');
        } else {
          ctx.notify(`Could not copy. Select ${what} and copy it with the keyboard (Ctrl+C, or ⌘C on a Mac).`, 'problem');
        }
      });
    },
    { class: 'secondary small', 'aria-label': `Copy ${what}`, 'data-focus-key': `copy-older-${value}` },
  );
  return b;
}

/**
 * The older apps (AnkiDroid 2.15 or older, Anki 2.1.50–2.1.56): a disclosure under today's steps,
 * closed at first, with the steps for the address picked in it (the best one unless the parent
 * picks another). It stays in the page while the addresses change, so it keeps its open state.
 */
function olderVersions(ctx: Ctx, headingLevel: 2 | 3): { readonly el: HTMLElement; show(urls: readonly string[]): void } {
  const H = headingLevel === 2 ? 'h3' : 'h4';
  const body = h('div', { class: 'older-body' });
  const el = h(
    'details',
    { class: 'older' },
    h('summary', { 'data-focus-key': 'older-versions' }, OLDER_SETUPS_TITLE),
    h('p', {}, OLDER_SETUPS_INTRO),
    body,
    h('p', { class: 'callout too-old' }, TOO_OLD_SETUP),
  );
  let urls: readonly string[] = [];
  let chosen: string | undefined;
  const draw = (): void => {
    const address = chosen !== undefined && urls.includes(chosen) ? chosen : urls[0];
    if (address === undefined) {
      replaceContent(body, h('p', { class: 'hint' }, 'The addresses for these steps appear here once the sync server is running.'));
      return;
    }
    const name = uid('older-address');
    const picker =
      urls.length > 1
        ? h(
            'fieldset',
            { class: 'older-addresses' },
            h('legend', {}, 'Steps for the address'),
            ...urls.map((url) => {
              const id = uid('older-address');
              return h(
                'div',
                { class: 'choice' },
                h('input', {
                  type: 'radio',
                  name,
                  id,
                  value: url,
                  checked: url === address,
                  'data-focus-key': `older-address-${url}`,
                  onchange: () => {
                    chosen = url;
                    draw();
                  },
                }),
                h('label', { for: id }, h('code', {}, url)),
              );
            }),
          )
        : null;
    replaceContent(
      body,
      picker,
      ...OLDER_CLIENT_SETUPS.map((c) =>
        h(
          'section',
          { class: 'older-app', 'data-app': c.id },
          h(H, {}, c.name, ' ', h('span', { class: 'older-device' }, c.device)),
          h('p', {}, c.advice),
          h(
            'ol',
            { class: 'steps' },
            ...c
              .steps(address)
              .map((step) =>
                h(
                  'li',
                  {},
                  step.text,
                  step.paste
                    ? h(
                        'div',
                        { class: 'paste-row' },
                        h('code', { class: 'paste-value' }, step.paste.value),
                        copyValueButton(ctx, step.paste.value, step.paste.what),
                      )
                    : null,
                ),
              ),
          ),
        ),
      ),
    );
  };
  return {
    el,
    show(next) {
      urls = next;
      draw();
    },
  };
}

export interface ConnectOptions {
  /** 2 on its own screen, 3 inside the first-run guide (under the step's heading). */
  readonly headingLevel: 2 | 3;
  /** Show the per-app steps open (the Connect screen) or folded (the guide: the address and QR code first). */
  readonly stepsOpen: boolean;
  /** Where "Add a person" leads when nobody can sync yet (the People screen, or the guide's step 1). */
  readonly addPerson: () => void;
}

/** A card that folds away: its heading is the summary, so it is still in the outline when closed. */
function disclosure(H: 'h2' | 'h3', title: string, focusKey: string, open: boolean, ...content: HTMLElement[]): HTMLDetailsElement {
  return h(
    'details',
    { class: 'card disclosure', open },
    h('summary', { 'data-focus-key': focusKey }, h(H, { class: 'summary-heading' }, title)),
    ...content,
  );
}

export function connectPanel(ctx: Ctx, options: ConnectOptions): View {
  const H = options.headingLevel === 2 ? 'h2' : 'h3';
  // The best address and its QR code, side by side at the top of the card; the other addresses under them.
  const best = h('div', { class: 'addresses' });
  const qrSlot = h('div', { class: 'qr-slot' });
  const others = h('div', {});
  const addressCard = h(
    'section',
    { class: 'card address-card', 'aria-label': 'Sync address' },
    h(
      'div',
      { class: 'address address-best', 'data-address-index': 0 },
      h(
        'div',
        { class: 'address-text' },
        h(H, {}, 'The address for Anki'),
        best,
        h(
          'p',
          { class: 'callout email-note' },
          h('strong', {}, 'Email = Hearth username. '),
          'Where Anki asks for your AnkiWeb “Email”, type the username you made in Hearth (not an email address), then that person’s Hearth password. An app still logged in to AnkiWeb never asks: log out of AnkiWeb in it first.',
        ),
      ),
      qrSlot,
    ),
    others,
  );

  const serverLine = h('li', {});
  const troubleshooting = disclosure(
    H,
    'If Anki says it cannot connect to AnkiWeb',
    'connect-troubleshooting',
    false,
    h('p', {}, 'Anki still says “AnkiWeb” when it means Hearth. It means the phone cannot reach this PC. Check these:'),
    h(
      'ul',
      { class: 'checklist' },
      h(
        'li',
        {},
        h('strong', {}, 'Same Wi-Fi. '),
        'The phone must be on the same Wi-Fi as this PC: not on mobile data, and not on a guest network.',
      ),
      h(
        'li',
        {},
        h('strong', {}, 'Firewall. '),
        'When Windows asks whether to allow Hearth, allow it on private networks. Later: Windows Security → Firewall & network protection → Allow an app through firewall → tick Hearth for Private. On a Mac: System Settings → Network → Firewall → Options.',
      ),
      h(
        'li',
        {},
        h('strong', {}, 'Awake. '),
        'A PC that is asleep cannot answer. Wake it up, or set it to stay awake while it is plugged in.',
      ),
      serverLine,
      h(
        'li',
        {},
        h('strong', {}, 'Test in the browser. '),
        'Open the address in the phone’s web browser. If it shows “Hearth is running”, the phone reaches this PC and the address in Anki is mistyped: paste it again.',
      ),
    ),
  );

  const older = olderVersions(ctx, options.headingLevel);
  const steps = disclosure(
    H,
    'Set up Anki: the steps for each app',
    'connect-steps',
    options.stepsOpen,
    h('p', {}, 'Choose the Anki app, then follow its steps. The page the QR code opens on the phone has them too.'),
    appTabs(),
    h(
      'div',
      { class: 'callout' },
      h('p', { class: 'callout-title' }, 'Good to know'),
      h('ul', {}, ...SETUP_TIPS.map((t) => h('li', {}, t))),
    ),
    older.el,
  );

  const fromAnkiWeb = disclosure(
    H,
    FROM_ANKIWEB.title,
    'connect-from-ankiweb',
    false,
    h('p', {}, FROM_ANKIWEB.intro),
    h('ol', { class: 'steps' }, ...FROM_ANKIWEB.steps.map((s) => h('li', {}, s))),
  );

  // Anki logs in with a person's username and password: without anyone, an address is of no use yet.
  const nobody = h('div', { 'aria-live': 'polite' });
  let nobodyShown: boolean | undefined;

  const el = h('div', { class: 'connect' }, nobody, addressCard, fromAnkiWeb, steps, troubleshooting);
  let shown = '';

  const update = (model: Model): void => {
    const noPeople = model.people !== null && model.people.length === 0;
    if (noPeople !== nobodyShown) {
      nobodyShown = noPeople;
      replaceContent(
        nobody,
        noPeople
          ? h(
              'div',
              { class: 'notice notice-warn nobody-yet' },
              h('p', { class: 'notice-title' }, 'Add a person first'),
              h('p', {}, 'Nobody can sync yet: Anki logs in with a person’s Hearth username and password, made on the People page.'),
              button('Add a person', () => options.addPerson(), { class: 'primary small', 'data-focus-key': 'connect-add-person' }),
            )
          : null,
      );
    }
    const status = model.status;
    if (!status) return;
    const key = JSON.stringify([status.addresses, status.localUrl, status.listen, status.server.kind, status.serverEnabled]);
    const words = serverStateWords(status.server, status.serverEnabled, model.now);
    replaceContent(
      serverLine,
      h('strong', {}, 'Hearth is on. '),
      status.server.kind === 'running'
        ? 'The sync server is running now, so this one is fine.'
        : h('span', {}, `Right now: ${words.headline}. ${words.detail}`, ' ', offButton(ctx, status)),
    );
    if (key === shown) return;
    shown = key;
    const parts = addressParts(ctx, status);
    replaceContent(best, ...parts.best);
    replaceContent(qrSlot, parts.qr);
    replaceContent(others, parts.others);
    el.dataset.phones = parts.qr ? 'yes' : 'no';
    older.show(addressChoices(status));
  };
  return { el, update };
}

function offButton(ctx: Ctx, status: AppStatus): HTMLElement | null {
  if (status.serverEnabled) return null;
  return button(
    'Switch the sync server on',
    () => {
      void ctx.api
        .setServerEnabled(true)
        .then(() => ctx.refresh())
        .catch(() => ctx.notify('Could not switch the sync server on.', 'problem'));
    },
    { class: 'secondary small', 'data-focus-key': 'connect-switch-on' },
  );
}

/** What the address card shows for this status: the best address (or why there is none), its QR code, the others. */
function addressParts(ctx: Ctx, status: AppStatus): { best: HTMLElement[]; qr: HTMLElement | null; others: HTMLElement | null } {
  const [best, ...rest] = status.addresses;
  if (!best) {
    return {
      best: [
        h(
          'div',
          { class: 'notice notice-off' },
          h(
            'p',
            {},
            status.serverEnabled
              ? 'The address appears here once the sync server is running.'
              : 'The sync server is off, so there is no address to use yet.',
          ),
          offButton(ctx, status),
        ),
      ],
      qr: null,
      others: null,
    };
  }
  const url = h('code', { class: 'sync-url', 'data-sync-url': best.url }, best.url);
  const copy = copyButton(best.url, `the address ${best.url}`, ctx.notify, { 'data-focus-key': `copy-${best.url}` });
  const urlRow = h('div', { class: 'url-row' }, url, copy);

  if (!reachableByPhones(best)) {
    // 127.0.0.1: Anki on this PC can use it; on a phone it would be the phone itself, so no QR code.
    const why =
      status.listen === 'this-pc'
        ? h(
            'div',
            { class: 'notice notice-warn phones-blocked' },
            h('p', { class: 'notice-title' }, 'Phones cannot reach this PC right now'),
            h(
              'p',
              {},
              'Hearth is set to “Only Anki on this PC”, so phones, tablets and other computers cannot sync with it. Allow the home network to connect them.',
            ),
            allowHomeNetworkButton(ctx, 'connect-allow-lan'),
          )
        : h(
            'div',
            { class: 'notice notice-warn phones-blocked' },
            h('p', { class: 'notice-title' }, 'This PC is not on a network right now'),
            h('p', {}, 'Connect it to the home Wi-Fi or network; then the address for phones appears here, with its QR code.'),
          );
    return {
      best: [why, h('p', { class: 'address-label' }, 'The address for Anki on this PC'), urlRow, h('p', { class: 'hint' }, kindNote(best))],
      qr: null,
      others: null,
    };
  }

  const extra: HTMLElement[] = rest.map((a, i) => addressRow(ctx, a, i + 1));
  if (status.localUrl) {
    const byName: SyncAddress = { address: status.localUrl, interfaceName: 'name', kind: 'other', url: status.localUrl };
    extra.unshift(
      addressRow(ctx, byName, -1, 'This PC’s name: works on most phones and keeps working if the PC’s number address changes.'),
    );
  }
  return {
    best: [
      h(
        'p',
        { class: 'address-intro' },
        'Type it into Anki’s sync settings exactly, with the “/” at the end. Or scan the QR code with the phone’s camera: it opens a page on the phone with this address and the steps.',
      ),
      h('p', { class: 'address-label' }, 'Sync address'),
      urlRow,
      h('p', { class: 'hint' }, kindNote(best)),
    ],
    qr: h(
      'figure',
      { class: 'qr-figure' },
      qrCode(qrPayload(best), `QR code for ${best.url}`),
      h('figcaption', {}, 'Scan with the phone’s camera to open the setup page on the phone.'),
    ),
    others:
      extra.length > 0
        ? h(
            'div',
            { class: 'other-addresses' },
            h('p', {}, 'If the address above does not work, try these (this PC has more than one way to reach it):'),
            h('ul', { class: 'address-list' }, ...extra),
          )
        : null,
  };
}
