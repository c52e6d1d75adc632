/**
 * People: who can sync (with their last sync, app and space used), adding someone, changing a
 * password, and removing someone with an explicit choice about their data. People from the
 * headless server's SYNC_USERn variables are shown read-only. The add form is also the first
 * step of the first-run guide.
 */
import type { PersonSummary } from '../../shared/api.ts';
import { passwordProblem, sameFolderName, usernameProblem, USERNAME_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../shared/usernames.ts';
import { button, field, formMessage, openDialog } from '../components.ts';
import type { Ctx, Model, View } from '../context.ts';
import { h, replaceContent, uid } from '../dom.ts';
import { formatBytes, lastSyncLine, mediaCount, personBytes } from '../format.ts';
import { problemSentence } from '../api-client.ts';

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

function changePasswordDialog(ctx: Ctx, person: PersonSummary): void {
  openDialog((close) => {
    const pair = passwordPair('New password');
    const message = formMessage();
    const save = h('button', { type: 'submit', class: 'primary' }, 'Change password');
    const form = h(
      'form',
      { novalidate: true },
      h('p', {}, `${person.username}’s phones and computers will have to log in again with the new password. Nobody else is affected.`),
      pair.password.wrap,
      pair.confirm.wrap,
      pair.show,
      message.el,
      h('div', { class: 'actions' }, button('Cancel', close, { class: 'secondary' }), save),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!checkPasswords(pair)) return;
      save.disabled = true;
      void ctx.api
        .changePassword(person.username, pair.password.input.value)
        .then(async (result) => {
          if (!result.ok) {
            message.show(result.problem);
            return;
          }
          close();
          ctx.notify(`${person.username}’s password is changed. Their devices must log in again with the new one.`, 'ok');
          await ctx.refresh({ people: true });
        })
        .catch((error: unknown) => message.show(problemSentence(error)))
        .finally(() => (save.disabled = false));
    });
    return { title: `New password for ${person.username}`, body: form };
  });
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

function personItem(ctx: Ctx, p: PersonSummary, now: number): HTMLElement {
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
    readOnly
      ? h('p', { class: 'hint' }, 'This person comes from a SYNC_USER setting of the server; change or remove them there.')
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
      const key = JSON.stringify([people, minute]);
      if (key === shown) return;
      shown = key;
      replaceContent(
        list,
        people.length === 0
          ? h('li', { class: 'empty' }, 'Nobody can sync yet. Add the first person below.')
          : people.map((p) => personItem(ctx, p, model.now)),
      );
    },
  };
}
