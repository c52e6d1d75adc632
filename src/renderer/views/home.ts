/**
 * The home screen: is Hearth on (with the switch), what it is doing in words, each person's last
 * sync and what they studied, recent problems in plain language, and a warning when another
 * Hearth is on the network. In "this PC only" mode it says that phones cannot reach this PC,
 * with the button that allows the home network (the same as on "Connect a device").
 */
import { refusedLoginItem, toggleSwitch } from '../components.ts';
import type { Ctx, Model, View } from '../context.ts';
import { h, replaceContent } from '../dom.ts';
import { formatBytes, serverStateWords, studyLine, timeAgo } from '../format.ts';
import { problemSentence } from '../api-client.ts';
import { allowHomeNetworkButton } from './connect.ts';

export function homeView(ctx: Ctx): View {
  let busy = false;
  const toggle = toggleSwitch('Sync server', (on) => {
    busy = true;
    toggle.set(on, true);
    void ctx.api
      .setServerEnabled(on)
      .then(() =>
        ctx.notify(on ? 'The sync server is switching on.' : 'The sync server is switching off. A sync in progress finishes first.', 'ok'),
      )
      .catch((error: unknown) => ctx.notify(problemSentence(error), 'problem'))
      .finally(() => {
        busy = false;
        void ctx.refresh();
      });
  });
  const headline = h('p', { class: 'state-headline' });
  const detail = h('p', { class: 'state-detail' });
  const address = h('p', { class: 'state-address' });
  // Only in "this PC only" mode: the way to let phones in.
  const scope = h('div', { class: 'state-scope' });
  const stateCard = h(
    'section',
    { class: 'card state-card', 'aria-labelledby': 'state-title' },
    h('div', { class: 'state-top' }, h('h2', { id: 'state-title' }, 'Sync server'), toggle.el),
    h('div', { class: 'state-words', 'aria-live': 'polite' }, headline, detail),
    address,
    scope,
  );
  const others = h('div', { class: 'other-hearths' });
  const peopleBody = h('div', {});
  // Logins refused for a while after wrong passwords: shown only while there are some.
  const refusedBody = h('div', { 'aria-live': 'polite' });
  const refusedCard = h(
    'section',
    { class: 'card', 'aria-labelledby': 'home-refused', hidden: true },
    h('h2', { id: 'home-refused' }, 'Devices waiting after wrong passwords'),
    h(
      'p',
      { class: 'hint' },
      'After many wrong passwords Hearth makes a device wait before it may try again; other devices are not affected. Anki shows this as “A network error occurred”. If it is one of your own devices, let it try again now.',
    ),
    refusedBody,
  );
  const errorsBody = h('div', { 'aria-live': 'polite' });
  const logLine = h('p', { class: 'hint log-line' });
  const el = h(
    'div',
    { class: 'view' },
    h('h1', {}, 'Home'),
    others,
    stateCard,
    refusedCard,
    h('section', { class: 'card', 'aria-labelledby': 'home-people' }, h('h2', { id: 'home-people' }, 'Who synced'), peopleBody),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'home-errors' },
      h('h2', { id: 'home-errors' }, 'Recent problems'),
      errorsBody,
      logLine,
    ),
  );

  let shownPeople = '';
  let shownRefused = '';
  let shownErrors = '';
  let shownOthers = '';
  let shownScope = '';
  return {
    el,
    update(model: Model) {
      const s = model.status;
      if (s) {
        const words = serverStateWords(s.server, s.serverEnabled, model.now);
        if (!busy) toggle.set(s.serverEnabled, s.server.kind === 'stopping');
        stateCard.dataset.tone = words.tone;
        headline.textContent = words.headline;
        const best = s.addresses[0];
        // "Anki on your phones and computers can sync" is true only when they can reach this PC.
        const onlyThisPc = s.listen === 'this-pc' || best?.kind === 'this-pc';
        detail.textContent =
          s.server.kind === 'running' && !s.server.activity.syncing && onlyThisPc
            ? s.listen === 'this-pc'
              ? 'Only Anki on this PC can sync with it: Hearth is set to “Only Anki on this PC”, so phones and other computers cannot reach it.'
              : 'This PC is not on a network right now, so only Anki on this PC can sync with it.'
            : words.detail;
        const scopeKey = s.listen;
        if (scopeKey !== shownScope) {
          shownScope = scopeKey;
          replaceContent(scope, s.listen === 'this-pc' ? allowHomeNetworkButton(ctx, 'home-allow-lan', 'secondary') : null);
        }
        replaceContent(
          address,
          best
            ? [
                onlyThisPc ? 'Sync address for Anki on this PC: ' : 'Sync address: ',
                h('code', { class: 'sync-url' }, best.url),
                ' ',
                h(
                  'a',
                  {
                    href: '#',
                    class: 'link',
                    'data-focus-key': 'home-connect',
                    onclick: (e: Event) => (e.preventDefault(), ctx.go('connect')),
                  },
                  'Connect a device',
                ),
              ]
            : null,
        );
        const othersKey = JSON.stringify(s.otherHearths);
        if (othersKey !== shownOthers) {
          shownOthers = othersKey;
          replaceContent(
            others,
            s.otherHearths.length > 0
              ? h(
                  'div',
                  { class: 'notice notice-warn', role: 'alert' },
                  h('p', { class: 'notice-title' }, 'Another Hearth is running on this network'),
                  h('p', {}, `Found: ${s.otherHearths.map((o) => `${o.name} (${o.host}, port ${o.port})`).join(', ')}.`),
                  h(
                    'p',
                    {},
                    'A family usually needs only one. With two, some cards end up on one computer and some on the other: make sure every device uses the same address.',
                  ),
                )
              : null,
          );
        }
        logLine.textContent = `If you ask someone for help, they may want Hearth’s log: ${s.logFile}.`;
      }
      const people = model.people;
      if (people) {
        const key = JSON.stringify([people, Math.floor(model.now / 60_000)]);
        if (key !== shownPeople) {
          shownPeople = key;
          replaceContent(
            peopleBody,
            people.length === 0
              ? h(
                  'p',
                  {},
                  'Nobody can sync yet. ',
                  h('a', { href: '#', class: 'link', onclick: (e: Event) => (e.preventDefault(), ctx.go('people')) }, 'Add a person'),
                  '.',
                )
              : h(
                  'table',
                  { class: 'table' },
                  h(
                    'thead',
                    {},
                    h(
                      'tr',
                      {},
                      h('th', { scope: 'col' }, 'Person'),
                      h('th', { scope: 'col' }, 'Last sync'),
                      h('th', { scope: 'col' }, 'Anki app'),
                      h('th', { scope: 'col' }, 'Space used'),
                      h('th', { scope: 'col' }, 'Pictures and sounds'),
                    ),
                  ),
                  h(
                    'tbody',
                    {},
                    people.flatMap((p) => {
                      const study = studyLine(p.study);
                      return [
                        h(
                          'tr',
                          { class: study === null ? null : 'with-study', 'data-person': p.username },
                          h('th', { scope: 'row' }, p.username),
                          // data-label: the column's name, shown beside the value where a narrow window stacks each row (app.css).
                          h('td', { 'data-label': 'Last sync' }, timeAgo(p.lastSyncAt, model.now)),
                          h('td', { 'data-label': 'Anki app' }, p.lastClient ?? '—'),
                          h('td', { 'data-label': 'Space used' }, formatBytes(p.collectionBytes + p.mediaBytes)),
                          h('td', { 'data-label': 'Pictures and sounds' }, p.mediaFiles === 0 ? 'none' : p.mediaFiles.toLocaleString('en')),
                        ),
                        // What they studied: one line under their row, once a sync brought some.
                        study === null ? null : h('tr', { class: 'study-row' }, h('td', { class: 'person-study', colspan: 5 }, study)),
                      ];
                    }),
                  ),
                ),
          );
        }
      }
      const refused = (s?.throttledLogins ?? []).filter((t) => Date.parse(t.until) > model.now);
      const refusedKey = JSON.stringify([refused, Math.floor(model.now / 60_000)]);
      if (refusedKey !== shownRefused) {
        shownRefused = refusedKey;
        refusedCard.hidden = refused.length === 0;
        replaceContent(
          refusedBody,
          h(
            'ul',
            { class: 'refused-logins' },
            refused.map((t) => refusedLoginItem(ctx, t, model.now, {}, t.username === null ? '' : `${t.username}: `)),
          ),
        );
      }
      const errors = model.errors;
      if (errors) {
        const key = JSON.stringify([errors, Math.floor(model.now / 60_000)]);
        if (key !== shownErrors) {
          shownErrors = key;
          replaceContent(
            errorsBody,
            errors.length === 0
              ? h('p', { class: 'all-good' }, 'No problems lately.')
              : h(
                  'ul',
                  { class: 'errors' },
                  errors.map((e) =>
                    h('li', {}, h('span', { class: 'error-when' }, timeAgo(e.at, model.now)), ' ', h('span', {}, e.message)),
                  ),
                ),
          );
        }
      }
    },
  };
}
