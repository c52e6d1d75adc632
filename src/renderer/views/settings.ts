/**
 * Settings: where the sync data is kept (with a verified move and its progress), the port (checked
 * before it is applied), who may connect, and starting with the computer. Every refusal is shown
 * as the sentence Hearth gave, next to the control, and nothing is changed then.
 */
import type { AppStatus, StorageMove } from '../../shared/api.ts';
import { applySettingsPatch } from '../../shared/settings.ts';
import type { SettingsField, SettingsPatch } from '../../shared/settings.ts';
import { button, field, formMessage, openDialog } from '../components.ts';
import type { Ctx, Model, View } from '../context.ts';
import { h, replaceContent } from '../dom.ts';
import { formatBytes, personBytes } from '../format.ts';
import { problemSentence } from '../api-client.ts';

/** The sentence settings.ts gives for one field, or undefined when the change is valid. */
export function settingProblem(ctx: Ctx, patch: SettingsPatch, fieldName: SettingsField): string | undefined {
  const current = ctx.model().settings;
  if (!current) return undefined;
  const result = applySettingsPatch(current, patch);
  return result.ok ? undefined : (result.problems.find((p) => p.field === fieldName) ?? result.problems[0])?.message;
}

function moveActive(move: StorageMove): boolean {
  return move.state === 'copying' || move.state === 'verifying';
}

/** Asks, then starts the move. Returns the problem sentence when Hearth refused. */
function confirmMove(ctx: Ctx, to: string, message: ReturnType<typeof formMessage>, after: () => void): void {
  const people = ctx.model().people ?? [];
  const total = people.reduce((sum, p) => sum + personBytes(p), 0);
  openDialog((close) => {
    const go = button(
      'Move the data',
      () => {
        go.disabled = true;
        void ctx.api
          .moveStorage(to)
          .then(async (result) => {
            close();
            if (!result.ok) {
              message.show(result.problem);
              return;
            }
            message.show(undefined);
            after();
            await ctx.refresh({ settings: true });
          })
          .catch((error: unknown) => {
            close();
            message.show(problemSentence(error));
          });
      },
      { class: 'primary' },
    );
    const body = h(
      'div',
      {},
      h('p', {}, `Hearth will copy all sync data (${formatBytes(total)}) to:`),
      h('p', {}, h('code', { class: 'path' }, to)),
      h(
        'p',
        {},
        'It checks the copy before it switches, then empties the old folder. Syncing waits while the data moves; nothing is lost if the move fails.',
      ),
      h('div', { class: 'actions' }, button('Cancel', close, { class: 'secondary' }), go),
    );
    return { title: 'Move the sync data?', body };
  });
}

export function storageSection(ctx: Ctx): { readonly el: HTMLElement; update(model: Model): void } {
  const current = h('p', { class: 'folder' });
  const sizes = h('div', {});
  const progress = h('progress', { class: 'move-progress', max: 1, value: 0, 'aria-label': 'Moving the sync data' }) as HTMLProgressElement;
  const progressText = h('p', { class: 'move-text', 'aria-live': 'polite' });
  const progressBox = h('div', { class: 'move', hidden: true }, progress, progressText);
  const message = formMessage();
  const pathField = field(
    'New folder',
    { type: 'text', autocomplete: 'off', spellcheck: 'false', 'data-field': 'folder' },
    'The full path of a folder, such as /home/anna/Hearth or C:\\Users\\Anna\\Hearth. An empty folder, or one that does not exist yet.',
  );
  const checkButton = h('button', { type: 'submit', class: 'primary' }, 'Check and move') as HTMLButtonElement;
  const pathForm = h(
    'form',
    { class: 'folder-form', novalidate: true, hidden: true },
    pathField.wrap,
    h(
      'div',
      { class: 'actions' },
      checkButton,
      button('Cancel', () => hideForm(), { class: 'secondary' }),
    ),
  );
  const change = button('Change…', () => void startChange(), { class: 'secondary', 'data-focus-key': 'storage-change' });

  const hideForm = (): void => {
    pathForm.hidden = true;
    pathField.setProblem(undefined);
    change.focus();
  };

  const check = async (path: string): Promise<boolean> => {
    const status = ctx.model().status;
    const problem =
      path.trim() === '' ? 'Please type the full path of a folder.' : settingProblem(ctx, { storageFolder: path }, 'storageFolder');
    if (problem) {
      pathField.setProblem(problem);
      pathField.input.focus();
      return false;
    }
    if (status && path === status.storageFolder) {
      pathField.setProblem('That is already the folder Hearth uses.');
      return false;
    }
    // A slow drive can take seconds (at most ten, then the server says it did not answer).
    message.show('Checking the folder…', 'ok');
    checkButton.disabled = true;
    change.disabled = true;
    let result;
    try {
      result = await ctx.api.checkStorageFolder(path);
    } finally {
      message.show(undefined);
      checkButton.disabled = false;
      change.disabled = false;
    }
    if (!result.ok) {
      // The problem shows under the typed path; with the folder picker there is no field.
      if (pathForm.hidden) message.show(result.problem);
      else pathField.setProblem(result.problem);
      return false;
    }
    pathField.setProblem(undefined);
    return true;
  };

  const startChange = async (): Promise<void> => {
    message.show(undefined);
    const status = ctx.model().status;
    if (!status) return;
    if (!status.canPickFolder) {
      pathForm.hidden = false;
      pathField.input.value = '';
      pathField.input.focus();
      return;
    }
    try {
      const chosen = await ctx.api.chooseStorageFolder();
      // null (or nothing over HTTP) when the person cancelled.
      if (!chosen) return;
      if (await check(chosen)) confirmMove(ctx, chosen, message, () => undefined);
    } catch (error) {
      message.show(problemSentence(error));
    }
  };

  pathForm.addEventListener('submit', (event) => {
    event.preventDefault();
    message.show(undefined);
    const path = pathField.input.value.trim();
    void check(path)
      .then((ok) => {
        if (ok) confirmMove(ctx, path, message, () => (pathForm.hidden = true));
      })
      .catch((error: unknown) => message.show(problemSentence(error)));
  });

  const el = h(
    'section',
    { class: 'card', 'aria-labelledby': 'storage-title' },
    h('h2', { id: 'storage-title' }, 'Where the sync data is kept'),
    h('p', {}, 'Each person’s cards, pictures and sounds are kept in a folder on this PC. Back it up with your other files.'),
    current,
    sizes,
    h('div', { class: 'actions' }, change),
    pathForm,
    progressBox,
    message.el,
  );

  let shownSizes = '';
  let lastMove: StorageMove['state'] = 'idle';
  return {
    el,
    update(model: Model) {
      const s: AppStatus | null = model.status;
      if (!s) return;
      replaceContent(current, 'Folder: ', h('code', { class: 'path', 'data-storage-folder': s.storageFolder }, s.storageFolder));
      const people = model.people ?? [];
      const key = JSON.stringify(people.map((p) => [p.username, personBytes(p)]));
      if (key !== shownSizes) {
        shownSizes = key;
        const total = people.reduce((sum, p) => sum + personBytes(p), 0);
        replaceContent(
          sizes,
          people.length === 0
            ? null
            : h(
                'table',
                { class: 'table sizes' },
                h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Person'), h('th', { scope: 'col' }, 'Space used'))),
                h(
                  'tbody',
                  {},
                  people.map((p) => h('tr', {}, h('th', { scope: 'row' }, p.username), h('td', {}, formatBytes(personBytes(p))))),
                ),
                h('tfoot', {}, h('tr', {}, h('th', { scope: 'row' }, 'Everyone'), h('td', {}, formatBytes(total)))),
              ),
        );
      }
      const move = s.storageMove;
      change.disabled = moveActive(move);
      progressBox.hidden = move.state === 'idle';
      progress.max = Math.max(1, move.totalBytes);
      progress.value = move.state === 'done' ? progress.max : move.copiedBytes;
      progressBox.dataset.state = move.state;
      switch (move.state) {
        case 'copying':
          progressText.textContent = `Copying… ${formatBytes(move.copiedBytes)} of ${formatBytes(move.totalBytes)}. Syncing waits until the move is done.`;
          break;
        case 'verifying':
          progressText.textContent = 'Checking the copy…';
          break;
        case 'done':
          progressText.textContent = `Done. The sync data is now in ${move.to ?? s.storageFolder}.`;
          break;
        case 'failed':
          progressText.textContent = `${move.problem ?? 'The move did not work.'} Your data is still complete in ${move.from ?? 'the old folder'}.`;
          break;
        case 'idle':
          progressText.textContent = '';
      }
      if (lastMove !== move.state && (move.state === 'done' || move.state === 'failed')) void ctx.refresh({ people: true, settings: true });
      lastMove = move.state;
    },
  };
}

function portSection(ctx: Ctx): { readonly el: HTMLElement; update(model: Model): void } {
  const portField = field(
    'Port',
    { type: 'text', inputmode: 'numeric', autocomplete: 'off', maxlength: 5, 'data-field': 'port' },
    'A whole number from 1024 to 65535. Hearth normally uses 8080.',
  );
  const message = formMessage();
  const apply = h('button', { type: 'submit', class: 'primary' }, 'Change port');
  const form = h('form', { class: 'port-form', novalidate: true }, portField.wrap, h('div', { class: 'actions' }, apply), message.el);
  let editing = false;
  portField.input.addEventListener('input', () => (editing = true));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    message.show(undefined);
    const raw = portField.input.value.trim();
    const port = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
    const problem = settingProblem(ctx, { port }, 'port');
    portField.setProblem(problem);
    if (problem) {
      portField.input.focus();
      return;
    }
    if (port === ctx.model().status?.port) {
      message.show(`Hearth already uses port ${port}.`, 'ok');
      return;
    }
    apply.disabled = true;
    void (async () => {
      const check = await ctx.api.checkPort(port);
      if (!check.ok) {
        portField.setProblem(check.problem);
        return;
      }
      const result = await ctx.api.updateSettings({ port });
      if (!result.ok) {
        portField.setProblem(result.problems.map((p) => p.message).join(' '));
        return;
      }
      editing = false;
      message.show(`Hearth now uses port ${port}. Phones and computers set up before need the new address (see “Connect a device”).`, 'ok');
      await ctx.refresh({ settings: true });
    })()
      .catch((error: unknown) => message.show(problemSentence(error)))
      .finally(() => (apply.disabled = false));
  });

  const el = h(
    'section',
    { class: 'card', 'aria-labelledby': 'port-title' },
    h('h2', { id: 'port-title' }, 'Port'),
    h(
      'p',
      {},
      'The port is the number after the last colon of the sync address (8080 in http://192.168.1.20:8080/). It tells this PC which program a device wants: Hearth. Change it only if another program already uses it.',
    ),
    form,
  );
  return {
    el,
    update(model: Model) {
      const port = model.settings?.port ?? model.status?.port;
      if (!editing && port !== undefined && document.activeElement !== portField.input) portField.input.value = String(port);
    },
  };
}

function networkSection(ctx: Ctx): { readonly el: HTMLElement; update(model: Model): void } {
  const message = formMessage();
  const radio = (value: 'lan' | 'this-pc', label: string, hint: string): HTMLInputElement => {
    const input = h('input', {
      type: 'radio',
      name: 'listen',
      value,
      id: `listen-${value}`,
      'aria-describedby': `listen-${value}-hint`,
    }) as HTMLInputElement;
    input.addEventListener('change', () => {
      if (!input.checked) return;
      void ctx.api
        .updateSettings({ listen: value })
        .then(async (result) => {
          if (!result.ok) message.show(result.problems.map((p) => p.message).join(' '));
          else message.show(value === 'lan' ? 'Phones and computers at home can now sync.' : 'Only Anki on this PC can sync now.', 'ok');
          await ctx.refresh({ settings: true });
        })
        .catch((error: unknown) => message.show(problemSentence(error)));
    });
    choices.append(
      h(
        'div',
        { class: 'choice' },
        input,
        h('label', { for: input.id }, label),
        h('p', { class: 'hint', id: `listen-${value}-hint` }, hint),
      ),
    );
    return input;
  };
  const choices = h('fieldset', {}, h('legend', {}, 'Who can sync with this PC?'));
  const lan = radio('lan', 'Phones and computers on the home network', 'The usual choice.');
  const thisPc = radio('this-pc', 'Only Anki on this PC', 'For trying Hearth out; phones cannot connect.');

  const loginBox = h('input', { type: 'checkbox', id: 'start-at-login' }) as HTMLInputElement;
  loginBox.addEventListener('change', () => {
    void ctx.api
      .setOpenAtLogin(loginBox.checked)
      .then(() => ctx.refresh({ settings: true }))
      .catch((error: unknown) => message.show(problemSentence(error)));
  });
  const el = h(
    'section',
    { class: 'card', 'aria-labelledby': 'network-title' },
    h('h2', { id: 'network-title' }, 'Network and start-up'),
    h(
      'p',
      { class: 'hint' },
      'Hearth’s sync server is the part of Hearth that Anki talks to when it syncs, in place of AnkiWeb (Anki’s own sync service on the internet).',
    ),
    choices,
    h('div', { class: 'checkbox' }, loginBox, h('label', { for: loginBox.id }, 'Start Hearth when I log in to this PC')),
    message.el,
  );
  return {
    el,
    update(model: Model) {
      const settings = model.settings;
      if (!settings) return;
      lan.checked = settings.listen === 'lan';
      thisPc.checked = settings.listen === 'this-pc';
      loginBox.checked = settings.startAtLogin;
    },
  };
}

export function settingsView(ctx: Ctx): View {
  const parts = [storageSection(ctx), portSection(ctx), networkSection(ctx)];
  const el = h('div', { class: 'view' }, h('h1', {}, 'Settings'), ...parts.map((p) => p.el));
  return { el, update: (model) => parts.forEach((p) => p.update(model)) };
}
