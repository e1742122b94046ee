// A tiny element builder: the dashboard is a dozen panels of lists and figures, so plain DOM calls beat a framework
// (no runtime to ship, nothing to hydrate). Attributes go through setAttribute, never innerHTML: every string from the
// API (page paths, UTM values) stays text.

export type Child = Node | string | number | null | undefined | false;
type Attr = string | number | boolean | null | undefined | ((e: Event) => void);

/**
 * @example h('button', { type: 'button', onclick: () => go() }, 'Sign out')
 * `class` sets the class name; `on*` adds a listener; `true` sets an empty attribute; `false`, null and undefined skip it.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, Attr> | null, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === false || v === null || v === undefined) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element | DocumentFragment, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces an element's content in one step (no flash of an empty panel between loading and answer). */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  const f = document.createDocumentFragment();
  append(f, children);
  el.replaceChildren(f);
}

/** Text for screen readers only (the visible figure says the same with an arrow, a colour or a bar). */
export const vh = (...children: Child[]) => h('span', { class: 'vh' }, ...children);

let ids = 0;
/** A unique id for aria-labelledby / label[for]. */
export const uid = (prefix: string) => `${prefix}-${++ids}`;

/**
 * A panel's message in place of its data: `empty` (nothing recorded — the likely reason said), `unavailable` (this collector
 * doesn't answer that question yet: said honestly, never zeros), `error` (with a retry).
 */
export function message(kind: 'empty' | 'unavailable' | 'error' | 'info', text: string, retry?: () => void): HTMLElement {
  return h(
    'div',
    { class: `msg msg-${kind}`, role: kind === 'error' ? 'alert' : null },
    h('p', null, text),
    retry && h('button', { type: 'button', onclick: retry }, 'Retry'),
  );
}

export const NO_DATA = 'No data in this range yet — is the script tag on your site?';
export const NO_MATCH = 'Nothing in this range matches the filters.';
