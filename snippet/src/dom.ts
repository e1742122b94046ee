import { D, on } from './util';

type Child = Node | string | null | undefined | false;

/** Tiny element builder: attributes and text only, never HTML strings. */
export function h(tag: string, attrs: Record<string, string | boolean> = {}, ...kids: Child[]): HTMLElement {
  const el = D.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== false) el.setAttribute(k, v === true ? '' : v);
  for (const k of kids) if (k) el.append(k);
  return el;
}

/** A button that runs `fn` (contained) on click. */
export function button(label: string, cls: string, fn: () => void): HTMLElement {
  const b = h('button', { type: 'button', class: cls }, label);
  on(b, 'click', fn);
  return b;
}

/** Adds a constructed stylesheet (applies under a CSP without 'unsafe-inline'); a <style> where unsupported. */
export function adopt(root: ShadowRoot, css: string): void {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } catch {
    root.append(h('style', {}, css));
  }
}
