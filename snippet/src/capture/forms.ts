import { EVENT, type Props } from '../../../shared/wire';
import { clip, D, now, on } from '../util';
import type { Emit } from './types';

type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/** Never captured, marked or not: secrets, hidden fields and payment card data. */
export const neverCapture = (f: Field): boolean => /^(password|hidden)$/.test(f.type) || /(^|\s)cc-/.test(f.getAttribute('autocomplete')!);

/** A form's name, id, or else its action without query and fragment (a GET form's action may carry tokens). */
const formName = (f: HTMLFormElement | null): string => clip(f?.getAttribute('name') || f?.id || f?.getAttribute('action')?.replace(/[?#].*/, '') || 'form', 64);
const fieldName = (f: Field): string => clip(f.name || f.id || f.type, 64);
const isField = (t: any): t is Field => !!t?.matches?.('input,select,textarea');

/**
 * Form micro-actions: start, per-field focus time, validation errors, submit, abandon.
 * Field values are never read — except on submit, for fields the site marks `data-tp-capture`
 * (value: the consent category required, default analytics) and only if that category is granted.
 */
const started = new Map<HTMLFormElement, string>();
let emit: Emit;

export function captureForms(e: Emit, granted: (c: string) => boolean): void {
  emit = e;
  let focusAt = 0;

  on(D, 'focusin', (e: FocusEvent) => {
    const f = e.target;
    if (!isField(f) || !f.form || f.type === 'hidden') return;
    if (!started.has(f.form)) emit(EVENT.formStart, { form: formName(f.form) });
    started.set(f.form, fieldName(f));
    focusAt = now();
  });
  on(D, 'focusout', (e: FocusEvent) => {
    const f = e.target;
    if (!isField(f) || !f.form || !focusAt) return;
    emit(EVENT.formField, { form: formName(f.form), field: fieldName(f), type: f.type, ms: now() - focusAt, filled: !!f.value });
    focusAt = 0;
  });
  on(D, 'invalid', (e: Event) => {
    const f = e.target;
    if (!isField(f)) return;
    const v = f.validity;
    let kind = 'invalid';
    for (const k in v) if (k !== 'valid' && v[k as keyof ValidityState]) kind = k;
    emit(EVENT.formError, { form: formName(f.form), field: fieldName(f), error: kind });
  });
  on(D, 'submit', (e: SubmitEvent) => {
    const form = e.target as HTMLFormElement;
    const p: Props = { form: formName(form) };
    for (const el of form.elements) {
      if (!isField(el) || !el.hasAttribute('data-tp-capture') || neverCapture(el)) continue;
      if (granted(el.dataset.tpCapture || 'analytics')) p['v_' + fieldName(el)] = clip(el.value, 200);
    }
    started.delete(form);
    emit(EVENT.formSubmit, p);
  });
}

/** Forms started and not submitted when the page view ends. */
export function abandonForms(): void {
  for (const [form, last] of started) emit(EVENT.formAbandon, { form: formName(form), last });
  started.clear();
}
