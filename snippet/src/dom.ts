import { D } from './util';

type Child = Node | string | null | undefined | false;

/** Tiny element builder: attributes and text only, never HTML strings. */
export function h(tag: string, attrs: Record<string, string | boolean> = {}, ...kids: Child[]): HTMLElement {
  const el = D.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== false) el.setAttribute(k, v === true ? '' : v);
  for (const k of kids) if (k) el.append(k);
  return el;
}

/** Focusable descendants, for the dialog's focus trap. */
export const focusables = (root: ParentNode): HTMLElement[] =>
  Array.from(root.querySelectorAll<HTMLElement>('button,input:not([disabled]),[href],[tabindex]:not([tabindex="-1"])'));
