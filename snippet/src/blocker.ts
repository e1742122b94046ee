import { D } from './util';

/**
 * Third-party tags held back until consent: `<script type="text/plain" data-consent="marketing">`,
 * with `src` or inline. A granted category swaps each for a real script, keeping its nonce (so a
 * strict CSP still allows it) and its other attributes. Runs once per element.
 */
export function runBlocked(granted: (c: string) => boolean): void {
  D.querySelectorAll<HTMLScriptElement>('script[type="text/plain"][data-consent]').forEach((old) => {
    if (!granted(old.dataset.consent!)) return;
    const s = D.createElement('script');
    for (const a of Array.from(old.attributes)) s.setAttribute(a.name, a.value);
    // data-type names the real type (e.g. module); without it, classic JavaScript.
    s.type = old.dataset.type ?? '';
    if (old.nonce) s.nonce = old.nonce;
    if (!old.src) s.text = old.text;
    old.replaceWith(s);
  });
}
