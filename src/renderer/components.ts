/**
 * Small building blocks every screen uses: labelled fields with their problem message, buttons,
 * the copy button, the on/off switch, dialogs, and the line for a device refused after wrong
 * passwords (Home and People). Each is accessible on its own: a label for every control,
 * problems tied to their field (aria-describedby, aria-invalid) and announced.
 */
import type { ThrottledLogin } from '../shared/api.ts';
import { problemSentence } from './api-client.ts';
import type { Ctx } from './context.ts';
import { h, uid } from './dom.ts';
import type { Props } from './dom.ts';
import { refusedLoginSentence } from './format.ts';

export interface Field<T extends HTMLInputElement | HTMLSelectElement = HTMLInputElement> {
  readonly wrap: HTMLElement;
  readonly input: T;
  /** Shows (or clears, with undefined) the problem under the field. */
  setProblem(problem: string | undefined): void;
}

export function field(label: string, inputProps: Props, hint?: string): Field {
  const id = uid('field');
  const hintId = hint ? `${id}-hint` : undefined;
  const problemId = `${id}-problem`;
  const input = h('input', { id, ...inputProps, 'aria-describedby': [hintId, problemId].filter(Boolean).join(' ') });
  const problem = h('p', { class: 'field-problem', id: problemId, 'aria-live': 'polite' });
  const wrap = h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    input,
    problem,
  );
  return {
    wrap,
    input,
    setProblem(text) {
      problem.textContent = text ?? '';
      if (text) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    },
  };
}

export function button(label: string, onclick: (event: MouseEvent) => void, props: Props = {}): HTMLButtonElement {
  return h('button', { type: 'button', ...props, onclick }, label);
}

/** A sentence under a form: what went wrong, or what just worked. Announced when it changes. */
export function formMessage(): { readonly el: HTMLElement; show(text: string | undefined, tone?: 'ok' | 'problem'): void } {
  const el = h('p', { class: 'form-message', role: 'status', 'aria-live': 'polite' });
  return {
    el,
    show(text, tone = 'problem') {
      el.textContent = text ?? '';
      el.dataset.tone = tone;
    },
  };
}

/**
 * Copies text. The Clipboard API works in the app and on 127.0.0.1 (secure contexts); elsewhere,
 * fall back to selecting a temporary text box and execCommand('copy').
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the old way
  }
  const box = h('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true' });
  box.value = text;
  document.body.appendChild(box);
  box.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  box.remove();
  return ok;
}

export function copyButton(
  text: string,
  what: string,
  notify: (message: string, tone?: 'ok' | 'problem') => void,
  props: Props = {},
): HTMLButtonElement {
  const b = button(
    'Copy',
    () => {
      void copyText(text).then((ok) => {
        if (ok) {
          b.textContent = 'Copied';
          window.setTimeout(() => (b.textContent = 'Copy'), 2500);
          notify(`Copied ${what}. Now paste it into Anki.`, 'ok');
        } else {
          notify(`Could not copy. Select ${what} and copy it with the keyboard (Ctrl+C, or ⌘C on a Mac).`, 'problem');
        }
      });
    },
    { class: 'secondary', 'aria-label': `Copy ${what}`, ...props },
  );
  return b;
}

/** An on/off switch: a button with role="switch", so Space and Enter toggle it and readers say "on"/"off". */
export function toggleSwitch(
  label: string,
  onchange: (on: boolean) => void,
): { readonly el: HTMLButtonElement; set(on: boolean, busy?: boolean): void } {
  const knob = h('span', { class: 'switch-knob', 'aria-hidden': 'true' });
  const text = h('span', { class: 'switch-text', 'aria-hidden': 'true' });
  const el = h(
    'button',
    {
      type: 'button',
      role: 'switch',
      class: 'switch',
      'aria-checked': 'false',
      'aria-label': label,
      onclick: () => onchange(el.getAttribute('aria-checked') !== 'true'),
    },
    h('span', { class: 'switch-track', 'aria-hidden': 'true' }, knob),
    text,
  );
  return {
    el,
    set(on, busy = false) {
      el.setAttribute('aria-checked', String(on));
      text.textContent = on ? 'On' : 'Off';
      el.disabled = busy;
    },
  };
}

/**
 * A modal dialog (the native <dialog>: focus moves in and stays in, Escape closes it, focus
 * returns to the control that opened it). Removed from the page when closed.
 */
export function openDialog(
  build: (close: () => void) => { readonly title: string; readonly body: Node; readonly labelledBy?: string },
): HTMLDialogElement {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const titleId = uid('dialog-title');
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId });
  const close = (): void => dialog.close();
  const { title, body } = build(close);
  dialog.append(h('h2', { id: titleId }, title), body);
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener?.isConnected) opener.focus();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  return dialog;
}

/** A card section with a heading; `headingLevel` keeps the outline right where it is nested. */
export function section(title: string, props: Props = {}, ...children: (Node | string | null | false)[]): HTMLElement {
  const id = uid('section');
  return h('section', { class: 'card', 'aria-labelledby': id, ...props }, h('h2', { id }, title), ...children);
}

/**
 * A device refused for a while after too many wrong passwords, in words, and "Let it try again
 * now" (ThrottledLogin, AppStatus.throttledLogins). `prefix` names the person where the list
 * mixes people (Home).
 */
export function refusedLoginItem(ctx: Ctx, t: ThrottledLogin, now: number, props: Props = {}, prefix = ''): HTMLElement {
  return h(
    'li',
    { class: 'refused-login' },
    h('span', {}, `${prefix}${refusedLoginSentence(t, now)} `),
    button(
      'Let it try again now',
      () =>
        void ctx.api
          .allowLoginAgain(t.address, t.username)
          .then((r) => (r.ok ? ctx.notify(`The device at ${t.address} may try again now.`, 'ok') : ctx.notify(r.problem, 'problem')))
          .catch((error: unknown) => ctx.notify(problemSentence(error), 'problem'))
          .finally(() => void ctx.refresh()),
      { class: 'secondary', ...props },
    ),
  );
}
