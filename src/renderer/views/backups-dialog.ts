/**
 * People → a person → Backups: the copies of their cards Hearth keeps (src/server/backups/), when
 * each was taken and why, what it holds, and a restore that asks once, in plain words, and says
 * what every device will ask next and which button to press.
 */
import type { BackupSummary, PersonSummary } from '../../shared/api.ts';
import { button, formMessage, openDialog } from '../components.ts';
import type { Ctx } from '../context.ts';
import { h, replaceContent } from '../dom.ts';
import { formatBytes, plural, timeAgo } from '../format.ts';
import { problemSentence } from '../api-client.ts';

const REASONS: Record<BackupSummary['reason'], string> = {
  daily: 'after that day’s first sync',
  'before-upload': 'the cards an “Upload to server” replaced',
  'before-restore': 'the cards a restore replaced',
};

/** "Monday 7 December, 14:05" in the window's language. */
function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' });
}

function holds(b: BackupSummary): string {
  if (!b.readable) return 'This copy cannot be read (it is damaged) and cannot be restored.';
  return `${plural(b.notes, 'note')}, ${plural(b.cards, 'card')}, ${plural(b.reviews, 'review')} · ${formatBytes(b.bytes)}`;
}

function restoreDialog(ctx: Ctx, person: PersonSummary, backup: BackupSummary, done: () => void): void {
  const name = person.username;
  openDialog((close) => {
    const message = formMessage();
    const restore = h('button', { type: 'submit', class: 'primary' }, 'Restore this copy');
    const form = h(
      'form',
      { novalidate: true },
      h('p', {}, `${name}’s cards on this PC become the copy from ${when(backup.takenAt)} (${holds(backup)}).`),
      h('p', {}, `The cards there now are kept as a backup first, so this can be undone the same way.`),
      h(
        'p',
        { class: 'next-steps' },
        `Then, on each of ${name}’s phones and computers, the next sync asks whether to upload or download: choose `,
        h('strong', {}, 'Download'),
        ' (in AnkiDroid: “Download”, in Anki on a computer: “Download from AnkiWeb”). Choosing Upload would replace this copy again.',
      ),
      h('p', { class: 'hint' }, 'Pictures and sounds are not part of backups: they stay as they are.'),
      message.el,
      h('div', { class: 'actions' }, button('Cancel', close, { class: 'secondary' }), restore),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      restore.disabled = true;
      void ctx.api
        .restoreBackup(name, backup.id)
        .then(async (result) => {
          if (!result.ok) {
            message.show(result.problem);
            return;
          }
          close();
          ctx.notify(
            `${name}’s cards are back as they were on ${when(backup.takenAt)}. On each of ${name}’s devices, choose Download at the next sync.`,
            'ok',
          );
          done();
          await ctx.refresh({ people: true });
        })
        .catch((error: unknown) => message.show(problemSentence(error)))
        .finally(() => (restore.disabled = false));
    });
    return { title: `Restore ${name}’s cards from ${when(backup.takenAt)}?`, body: form };
  });
}

export function backupsDialog(ctx: Ctx, person: PersonSummary): void {
  const name = person.username;
  openDialog((close) => {
    const list = h(
      'ul',
      { class: 'backups', 'aria-label': `Backups of ${name}’s cards` },
      h('li', { class: 'empty' }, 'Looking for backups…'),
    );
    const rule = h('p', { class: 'hint' });
    const load = (): void => {
      void ctx.api
        .listBackups(name)
        .then((result) => {
          if (!result.ok) {
            replaceContent(list, h('li', { class: 'empty' }, result.problem));
            return;
          }
          rule.textContent = result.rule;
          const now = ctx.model().now;
          replaceContent(
            list,
            result.backups.length === 0
              ? h('li', { class: 'empty' }, `No backup yet: Hearth makes the first after ${name}’s next sync.`)
              : result.backups.map((b) =>
                  h(
                    'li',
                    { class: 'backup', 'data-backup': b.id },
                    h(
                      'div',
                      { class: 'backup-main' },
                      h('p', { class: 'backup-when' }, `${when(b.takenAt)} (${timeAgo(b.takenAt, now)})`),
                      h('p', { class: 'hint' }, `${REASONS[b.reason]} · ${holds(b)}`),
                    ),
                    b.readable
                      ? button('Restore…', () => restoreDialog(ctx, person, b, close), {
                          class: 'secondary',
                          'aria-label': `Restore ${name}’s cards from ${when(b.takenAt)}`,
                        })
                      : null,
                  ),
                ),
          );
        })
        .catch((error: unknown) => replaceContent(list, h('li', { class: 'empty' }, problemSentence(error))));
    };
    load();
    const body = h('div', {}, list, rule, h('div', { class: 'actions' }, button('Close', close, { class: 'secondary' })));
    return { title: `Backups of ${name}’s cards`, body };
  });
}
