/**
 * People: who can sync (with their last sync, app, space used and what they studied), each
 * person's devices (one signed out, or all of them), adding someone, changing a password
 * (choosing which devices stay signed in), and removing someone with an explicit choice about
 * their data. People from the headless server's SYNC_USERn variables cannot be changed or
 * removed here, but their devices can be signed out. The add form is also the first step of the
 * first-run guide.
 */
import type { ActionResult, DeviceSummary, PersonSummary, ThrottledLogin } from '../../shared/api.ts';
import { passwordProblem, sameFolderName, usernameProblem, USERNAME_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../shared/usernames.ts';
import { button, field, formMessage, openDialog, refusedLoginItem } from '../components.ts';
import type { Ctx, Model, View } from '../context.ts';
import { h, replaceContent, uid } from '../dom.ts';
import { deviceDetail, deviceLine, deviceWhen, formatBytes, lastSyncLine, mediaCount, personBytes, studyLine } from '../format.ts';
import { problemSentence } from '../api-client.ts';
import { backupsDialog } from './backups-dialog.ts';

const MISMATCH = 'The two passwords are not the same. Type the same password twice.';

function taken(name: string): string {
  return `“${name}” is already taken. Choose another username.`;
}

function passwordPair(firstLabel: string): {
  readonly password: ReturnType<typeof field>;
  readonly confirm: ReturnType<typeof field>;
  readonly show: HTMLElement;
} {
  const password = field(
    firstLabel,
    { type: 'password', autocomplete: 'new-password', maxlength: 256, required: true, 'data-field': 'password' },
    `At least ${PASSWORD_MIN_LENGTH} characters.`,
  );
  const confirm = field('Type the password again', {
    type: 'password',
    autocomplete: 'new-password',
    maxlength: 256,
    required: true,
    'data-field': 'confirm',
  });
  const box = h('input', { type: 'checkbox', id: uid('show') }) as HTMLInputElement;
  box.addEventListener('change', () => {
    password.input.type = box.checked ? 'text' : 'password';
    confirm.input.type = box.checked ? 'text' : 'password';
  });
  const show = h('div', { class: 'checkbox' }, box, h('label', { for: box.id }, 'Show the password'));
  return { password, confirm, show };
}

/** Checks both passwords; sets the problems on the fields and returns whether they are fine. */
function checkPasswords(pair: ReturnType<typeof passwordPair>): boolean {
  const p = pair.password.input.value;
  const problem = passwordProblem(p);
  pair.password.setProblem(problem);
  const mismatch = problem === undefined && p !== pair.confirm.input.value ? MISMATCH : undefined;
  pair.confirm.setProblem(mismatch);
  if (problem) pair.password.input.focus();
  else if (mismatch) pair.confirm.input.focus();
  return problem === undefined && mismatch === undefined;
}

export interface PersonForm {
  readonly el: HTMLFormElement;
  focus(): void;
}

/** The add-a-person form; `onAdded` runs after Hearth accepted the person. */
export function personForm(ctx: Ctx, options: { readonly submitLabel: string; readonly onAdded: (username: string) => void }): PersonForm {
  const username = field(
    'Username',
    {
      type: 'text',
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
      maxlength: USERNAME_MAX_LENGTH,
      required: true,
      'data-field': 'username',
    },
    'A first name is fine, like “anna”. Anki asks for an “Email”: this is what to type there.',
  );
  const pair = passwordPair('Password');
  const message = formMessage();
  const submit = h('button', { type: 'submit', class: 'primary' }, options.submitLabel);
  const form = h(
    'form',
    { class: 'person-form', novalidate: true, 'aria-label': 'Add a person' },
    username.wrap,
    pair.password.wrap,
    pair.confirm.wrap,
    pair.show,
    h('div', { class: 'actions' }, submit),
    message.el,
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    message.show(undefined);
    const name = username.input.value;
    const existing = ctx.model().people ?? [];
    const nameProblem = usernameProblem(name) ?? (existing.some((p) => sameFolderName(p.username, name)) ? taken(name) : undefined);
    username.setProblem(nameProblem);
    if (nameProblem) {
      username.input.focus();
      return;
    }
    if (!checkPasswords(pair)) return;
    submit.disabled = true;
    void ctx.api
      .addPerson(name, pair.password.input.value)
      .then(async (result) => {
        if (!result.ok) {
          message.show(result.problem);
          return;
        }
        form.reset();
        pair.password.input.type = 'password';
        pair.confirm.input.type = 'password';
        message.show(`${name} can sync now.`, 'ok');
        await ctx.refresh({ people: true });
        options.onAdded(name);
      })
      .catch((error: unknown) => message.show(problemSentence(error)))
      .finally(() => (submit.disabled = false));
  });
  return { el: form, focus: () => username.input.focus() };
}

/** "Last synced 2 hours ago · AnkiDroid 2.23 or 2.24 · from 192.168.1.40": tells two devices of the same kind apart. */
function deviceHint(d: DeviceSummary, now: number): string {
  const when = deviceWhen(d, now);
  return [`${when.charAt(0).toUpperCase()}${when.slice(1)}`, deviceDetail(d)].filter((x) => x !== '').join(' · ');
}

/** The person's devices as checkboxes, none ticked: the ones ticked stay signed in. */
function keepDevicesChoice(person: PersonSummary, now: number): { readonly el: HTMLElement; kept(): string[] } {
  const legendId = uid('legend');
  const boxes = person.devices.map((d) => {
    const id = uid('keep');
    const box = h('input', { type: 'checkbox', id, value: d.id, 'data-device': d.id, 'aria-describedby': `${id}-hint` });
    return {
      box,
      el: h(
        'div',
        { class: 'choice' },
        box,
        h('label', { for: id }, d.fromBefore ? 'Keep every device from before this update signed in' : `Keep ${d.name} signed in`),
        h('p', { class: 'hint', id: `${id}-hint` }, deviceHint(d, now)),
      ),
    };
  });
  const el = h(
    'fieldset',
    { 'aria-labelledby': legendId, class: 'keep-devices' },
    h('legend', { id: legendId }, `Which of ${person.username}’s devices stay signed in?`),
    boxes.map((b) => b.el),
  );
  return { el, kept: () => boxes.filter((b) => b.box.checked).map((b) => b.box.value) };
}

function changePasswordDialog(ctx: Ctx, person: PersonSummary): void {
  openDialog((close) => {
    const name = person.username;
    const pair = passwordPair('New password');
    const keep = person.devices.length > 0 ? keepDevicesChoice(person, ctx.model().now) : null;
    const message = formMessage();
    const save = h('button', { type: 'submit', class: 'primary' }, 'Change password');
    const form = h(
      'form',
      { novalidate: true },
      h(
        'p',
        {},
        keep
          ? `Every device of ${name}’s that you do not keep signed in below must log in again with the new password. Nobody else is affected.`
          : `${name}’s phones and computers will have to log in again with the new password. Nobody else is affected.`,
      ),
      pair.password.wrap,
      pair.confirm.wrap,
      pair.show,
      keep?.el ?? null,
      message.el,
      h('div', { class: 'actions' }, button('Cancel', close, { class: 'secondary' }), save),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!checkPasswords(pair)) return;
      const kept = keep?.kept() ?? [];
      save.disabled = true;
      void ctx.api
        .changePassword(name, pair.password.input.value, kept)
        .then(async (result) => {
          if (!result.ok) {
            message.show(result.problem);
            return;
          }
          close();
          ctx.notify(
            kept.length > 0
              ? `${name}’s password is changed. The devices you kept stay signed in; the others must log in again with the new one.`
              : `${name}’s password is changed. Their devices must log in again with the new one.`,
            'ok',
          );
          await ctx.refresh({ people: true });
        })
        .catch((error: unknown) => message.show(problemSentence(error)))
        .finally(() => (save.disabled = false));
    });
    return { title: `New password for ${name}`, body: form };
  });
}

/**
 * Asks once, in plain words, before signing devices out; `act` does it. A problem stays in the
 * dialog; after success the dialog closes, `done` is said, and the list is fetched again.
 */
function confirmSignOut(
  ctx: Ctx,
  options: {
    readonly title: string;
    readonly sentences: readonly string[];
    readonly confirmLabel: string;
    readonly act: () => Promise<ActionResult>;
    readonly done: string;
    /** Where the keyboard focus goes once the button that opened the dialog is gone. */
    readonly focusKey: string;
  },
): void {
  openDialog((close) => {
    const message = formMessage();
    const confirm = h('button', { type: 'submit', class: 'primary' }, options.confirmLabel);
    const form = h(
      'form',
      { novalidate: true },
      options.sentences.map((text) => h('p', {}, text)),
      message.el,
      h('div', { class: 'actions' }, button('Cancel', close, { class: 'secondary' }), confirm),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      confirm.disabled = true;
      void options
        .act()
        .then(async (result) => {
          if (!result.ok) {
            message.show(result.problem);
            return;
          }
          close();
          ctx.notify(options.done, 'ok');
          await ctx.refresh({ people: true });
          focusIfLost(options.focusKey);
        })
        .catch((error: unknown) => message.show(problemSentence(error)))
        .finally(() => (confirm.disabled = false));
    });
    return { title: options.title, body: form };
  });
}

/** The control the keyboard was on was removed (a device signed out): go on from a nearby one. */
function focusIfLost(key: string): void {
  const active = document.activeElement;
  if (active instanceof HTMLElement && active !== document.body && active.isConnected) return;
  document.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(key)}"]`)?.focus();
}

function signOutDevice(ctx: Ctx, person: PersonSummary, d: DeviceSummary): void {
  const name = person.username;
  confirmSignOut(ctx, {
    title: d.fromBefore ? `Sign out ${name}’s devices from before this update?` : `Sign out ${d.name}?`,
    sentences: d.fromBefore
      ? [
          `This signs out every device that logged in as ${name} before this update of Hearth, however many there are.`,
          `The next sync on each of them asks for ${name}’s password again. Nothing on them is lost: once logged in, they sync as before.`,
        ]
      : [
          `${name}’s ${d.name} (${deviceWhen(d, ctx.model().now)}) will be signed out.`,
          `Its next sync asks for ${name}’s password again. Nothing on it is lost: once logged in, it syncs as before.`,
        ],
    confirmLabel: 'Sign out',
    act: () => ctx.api.signOutDevice(name, d.id),
    done: d.fromBefore
      ? `${name}’s devices from before this update are signed out. They must log in again to sync.`
      : `${name}’s ${d.name} is signed out. It must log in again to sync.`,
    focusKey: `devices-${name}`,
  });
}

function signOutAll(ctx: Ctx, person: PersonSummary): void {
  const name = person.username;
  confirmSignOut(ctx, {
    title: `Sign out all of ${name}’s devices?`,
    sentences: [
      `Every phone and computer that logged in as ${name} is signed out.`,
      `The next sync on each of them asks for ${name}’s password again. Nothing on them is lost: once logged in, they sync as before.`,
    ],
    confirmLabel: 'Sign out all devices',
    act: () => ctx.api.signOutAllDevices(name),
    done: `All of ${name}’s devices are signed out. Each must log in again to sync.`,
    focusKey: `devices-${name}`,
  });
}

function deviceItem(ctx: Ctx, p: PersonSummary, d: DeviceSummary, now: number): HTMLElement {
  const detail = deviceDetail(d);
  return h(
    'li',
    { class: 'device', 'data-device': d.id },
    h(
      'div',
      { class: 'device-text' },
      h('p', { class: 'device-line' }, deviceLine(d, now)),
      detail === '' ? null : h('p', { class: 'hint device-detail' }, detail),
      d.fromBefore
        ? h(
            'p',
            { class: 'hint device-before' },
            'Stands for every device that logged in before this update; signing it out signs all of them out.',
          )
        : null,
    ),
    button('Sign out', () => signOutDevice(ctx, p, d), {
      class: 'secondary small',
      'data-focus-key': `device-${p.username}-${d.id}`,
      'aria-label': `Sign out ${d.name} of ${p.username}`,
    }),
  );
}

/** The person's devices, the devices refused after wrong passwords for them, and "Sign out all devices". */
function devicesPart(ctx: Ctx, p: PersonSummary, refused: readonly ThrottledLogin[], now: number): HTMLElement {
  return h(
    'section',
    { class: 'devices', 'aria-label': `${p.username}’s devices` },
    h('h4', { class: 'devices-title', tabindex: -1, 'data-focus-key': `devices-${p.username}` }, 'Devices'),
    refused.length > 0
      ? h(
          'ul',
          { class: 'refused-logins' },
          refused.map((t) =>
            refusedLoginItem(ctx, t, now, { class: 'secondary small', 'data-focus-key': `retry-${p.username}-${t.address}` }),
          ),
        )
      : null,
    p.devices.length === 0
      ? h('p', { class: 'empty' }, 'No device has synced yet.')
      : h(
          'ul',
          { class: 'device-list', 'aria-label': `${p.username}’s devices` },
          p.devices.map((d) => deviceItem(ctx, p, d, now)),
        ),
    p.devices.length > 0
      ? h(
          'div',
          { class: 'actions' },
          button('Sign out all devices', () => signOutAll(ctx, p), {
            class: 'secondary small',
            'data-focus-key': `devices-all-${p.username}`,
            'aria-label': `Sign out all of ${p.username}’s devices`,
          }),
        )
      : null,
  );
}

/** People whose copy is being made now: the list may be redrawn meanwhile, and their button stays busy. */
const copying = new Set<string>();

/** The "Download a copy" button's words and name, idle or busy. */
function copyButtonState(button: HTMLButtonElement, name: string, busy: boolean): void {
  button.disabled = busy;
  button.textContent = busy ? 'Making the copy…' : 'Download a copy (.colpkg)';
  button.setAttribute('aria-label', busy ? `Making a copy of ${name}’s collection` : `Download a copy of ${name}’s collection (.colpkg)`);
}

/**
 * "Download a copy": the person's collection with its media as one .colpkg file. The app asks
 * where to save it; the admin page in a browser downloads it from the address Hearth gives.
 */
function downloadCopyPart(ctx: Ctx, p: PersonSummary): HTMLElement {
  const name = p.username;
  const hintId = uid('copy-hint');
  const focusKey = `copy-${name}`;
  /** The button now (the list is redrawn every so often: not necessarily the one clicked). */
  const setBusy = (busy: boolean): void => {
    const current = document.querySelector<HTMLButtonElement>(`[data-focus-key="${CSS.escape(focusKey)}"]`);
    if (current) copyButtonState(current, name, busy);
  };
  const start = (): void => {
    copying.add(name);
    setBusy(true);
    void ctx.api
      .downloadCollection(name)
      .then((result) => {
        if (result.kind === 'saved') {
          ctx.notify(`${name}’s copy is saved (${formatBytes(result.bytes)}, ${mediaCount(result.mediaFiles)}): ${result.path}`, 'ok');
        } else if (result.kind === 'download') {
          // The browser saves what it fetches from a link marked `download`, as a file of that name.
          const link = h('a', { href: result.url, download: result.fileName, class: 'offscreen' });
          document.body.append(link);
          link.click();
          link.remove();
          ctx.notify(`${name}’s copy is downloading as “${result.fileName}”.`, 'ok');
        } else if (result.kind === 'problem') {
          ctx.notify(result.problem, 'problem');
        }
      })
      .catch((error: unknown) => ctx.notify(problemSentence(error), 'problem'))
      .finally(() => {
        copying.delete(name);
        setBusy(false);
      });
  };
  const copyButton = button('', start, { class: 'secondary', 'data-focus-key': focusKey, 'aria-describedby': hintId });
  copyButtonState(copyButton, name, copying.has(name));
  return h(
    'div',
    { class: 'person-copy' },
    h(
      'p',
      { class: 'hint', id: hintId },
      `One file with all of ${name}’s cards, review history and media, to keep somewhere safe or to move them to another computer. ` +
        'Anki opens it with File → Import, which replaces the cards on that computer with this copy.',
    ),
    h('div', { class: 'actions' }, copyButton),
  );
}

function removeDialog(ctx: Ctx, person: PersonSummary): void {
  openDialog((close) => {
    const name = person.username;
    const folder = `${ctx.model().status?.storageFolder ?? 'the data folder'}`;
    const size = formatBytes(personBytes(person));
    const legendId = uid('legend');
    const option = (value: 'keep' | 'delete', label: string, hint: string): HTMLElement => {
      const id = uid('choice');
      return h(
        'div',
        { class: 'choice' },
        h('input', { type: 'radio', name: 'data', value, id, 'aria-describedby': `${id}-hint` }),
        h('label', { for: id }, label),
        h('p', { class: 'hint', id: `${id}-hint` }, hint),
      );
    };
    const message = formMessage();
    const remove = h('button', { type: 'submit', class: 'danger' }, `Remove ${name}`);
    const form = h(
      'form',
      { novalidate: true },
      h('p', {}, `${name} will no longer be able to sync with Hearth. The cards on ${name}’s own phones and computers stay there.`),
      h(
        'fieldset',
        { 'aria-labelledby': legendId },
        h('legend', { id: legendId }, `What should happen to ${name}’s cards and media on this PC (${size})?`),
        option(
          'keep',
          'Keep them',
          `They stay in the data folder (${folder}), in a folder named “${name}”. Add ${name} again later and nothing is lost.`,
        ),
        option('delete', 'Delete them from this PC', 'This cannot be undone. Only the copies on their own devices are left.'),
      ),
      message.el,
      h('div', { class: 'actions' }, button('Cancel', close, { class: 'secondary' }), remove),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const choice = form.querySelector<HTMLInputElement>('input[name="data"]:checked')?.value;
      if (choice !== 'keep' && choice !== 'delete') {
        message.show(`Choose whether to keep or delete ${name}’s cards and media.`);
        form.querySelector<HTMLInputElement>('input[name="data"]')?.focus();
        return;
      }
      remove.disabled = true;
      void ctx.api
        .removePerson(name, choice === 'delete')
        .then(async (result) => {
          if (!result.ok) {
            message.show(result.problem);
            return;
          }
          close();
          ctx.notify(
            choice === 'delete'
              ? `${name} was removed, and their data deleted.`
              : `${name} was removed. Their data is kept in the data folder.`,
            'ok',
          );
          await ctx.refresh({ people: true });
        })
        .catch((error: unknown) => message.show(problemSentence(error)))
        .finally(() => (remove.disabled = false));
    });
    return { title: `Remove ${name}?`, body: form };
  });
}

function personItem(ctx: Ctx, p: PersonSummary, refused: readonly ThrottledLogin[], now: number): HTMLElement {
  const readOnly = p.source === 'environment';
  return h(
    'li',
    { class: 'person', 'data-person': p.username },
    h(
      'div',
      { class: 'person-main' },
      h('h3', { class: 'person-name' }, p.username),
      readOnly ? h('span', { class: 'badge' }, 'read-only') : null,
    ),
    h('p', { class: 'person-sync' }, lastSyncLine(p, now)),
    h('p', { class: 'person-size' }, `Uses ${formatBytes(personBytes(p))} · ${mediaCount(p.mediaFiles)}`),
    h('p', { class: 'person-study' }, studyLine(p.study) ?? 'What they studied shows here once they study and sync.'),
    readOnly
      ? h('p', { class: 'hint' }, 'This person comes from a SYNC_USER setting of the server; change their password or remove them there.')
      : h(
          'div',
          { class: 'actions person-actions' },
          button('Change password', () => changePasswordDialog(ctx, p), {
            class: 'secondary',
            'data-focus-key': `pw-${p.username}`,
            'aria-label': `Change ${p.username}’s password`,
          }),
          button('Remove…', () => removeDialog(ctx, p), {
            class: 'secondary danger-text',
            'data-focus-key': `rm-${p.username}`,
            'aria-label': `Remove ${p.username}`,
          }),
        ),
    h(
      'div',
      { class: 'actions person-backups' },
      button('Backups…', () => backupsDialog(ctx, p), {
        class: 'secondary',
        'data-focus-key': `bk-${p.username}`,
        'aria-label': `Backups of ${p.username}’s cards`,
      }),
    ),
    devicesPart(ctx, p, refused, now),
    downloadCopyPart(ctx, p),
  );
}

export function peopleView(ctx: Ctx): View {
  const list = h('ul', { class: 'people', 'aria-label': 'People who can sync' });
  const form = personForm(ctx, {
    submitLabel: 'Add person',
    onAdded: (name) => ctx.notify(`${name} can sync now. Next, connect their phone: see “Connect a device”.`, 'ok'),
  });
  const el = h(
    'div',
    { class: 'view' },
    h('h1', {}, 'People'),
    h('p', { class: 'lead' }, 'Everyone who syncs gets their own username and password, and their own cards.'),
    h('section', { class: 'card', 'aria-label': 'People who can sync' }, list),
    h('section', { class: 'card' }, h('h2', {}, 'Add a person'), form.el),
  );
  let shown = '';
  return {
    el,
    update(model: Model) {
      const people = model.people;
      if (!people) return;
      const minute = Math.floor(model.now / 60_000);
      // Refused logins of a person, while they last (an address refused whatever name it tries is Home's to show).
      const refused = (model.status?.throttledLogins ?? []).filter((t) => t.username !== null && Date.parse(t.until) > model.now);
      const key = JSON.stringify([people, refused, minute]);
      if (key === shown) return;
      shown = key;
      replaceContent(
        list,
        people.length === 0
          ? h('li', { class: 'empty' }, 'Nobody can sync yet. Add the first person below.')
          : people.map((p) =>
              personItem(
                ctx,
                p,
                refused.filter((t) => t.username === p.username),
                model.now,
              ),
            ),
      );
    },
  };
}
