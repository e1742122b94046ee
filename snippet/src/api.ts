import type { Props } from '../../shared/wire';
import type { ConsentState } from './consent';
import { load, W } from './util';

/** What the running snippet implements; before the site config arrives, calls are queued. */
export interface Core {
  track(name: string, props?: Props, opts?: { category?: string }): void;
  page(props?: Props): void;
  identify(userId: string, opts?: { traits?: Props; token?: string }): Promise<{ ok: boolean; reason?: string }>;
  reset(): void;
  get(): ConsentState | null;
  set(choice: Record<string, boolean>): ConsentState | null;
  all(v: boolean): ConsentState | null;
  open(): void;
  on(type: string, fn: (s: ConsentState | null) => void): void;
  flush(): Promise<void>;
}

type Call = [string, unknown[]];

/**
 * Builds `window.tp` (CONTRACT §2) and replays calls the page made through the stub
 * `window.tp = window.tp || function(){(tp.q=tp.q||[]).push(arguments)}`.
 * `tp('track', …)` and `tp('consent.set', …)` are the same as the method calls.
 */
export function installApi(): (core: Core) => void {
  let core: Core | null = null;
  const queue: Call[] = [];
  let readyResolve: () => void = () => {};
  const ready = new Promise<void>((r) => (readyResolve = r));

  const call = (name: string, args: unknown[]): unknown => {
    const c = core;
    if (!c) {
      queue.push([name, args]);
      return name === 'flush' ? ready.then(() => core!.flush()) : name === 'consent.get' ? stored() : undefined;
    }
    const a = args as any[];
    switch (name) {
      case 'track':
        return typeof a[0] == 'string' && c.track(a[0], a[1], a[2]);
      case 'page':
        return c.page(a[0]);
      case 'identify':
        return c.identify(String(a[0] ?? ''), a[1]);
      case 'reset':
        return c.reset();
      case 'on':
        return c.on(a[0], a[1]);
      case 'flush':
        return c.flush();
      case 'consent.get':
        return c.get();
      case 'consent.set':
        return c.set(a[0] ?? {});
      case 'consent.acceptAll':
        return c.all(true);
      case 'consent.rejectAll':
        return c.all(false);
      case 'consent.open':
        return c.open();
    }
  };
  const stored = (): ConsentState | null => {
    const d = load<{ g: Record<string, boolean> }>('tp_consent');
    return d ? ({ ...d.g, necessary: true } as ConsentState) : null;
  };
  const m = (name: string) => (...args: unknown[]) => {
    try {
      return call(name, args);
    } catch {
      return undefined;
    }
  };

  const prior = (W.tp?.q ?? []) as ArrayLike<unknown>[];
  const tp: any = (name: string, ...args: unknown[]) => m(String(name))(...args);
  for (const k of ['track', 'page', 'identify', 'reset', 'on', 'flush']) tp[k] = m(k);
  tp.consent = {};
  for (const k of ['get', 'set', 'acceptAll', 'rejectAll', 'open']) tp.consent[k] = m(`consent.${k}`);
  for (const args of Array.from(prior)) {
    const [name, ...rest] = Array.from(args);
    queue.push([String(name), rest]);
  }
  W.tp = tp;

  return (c: Core) => {
    core = c;
    for (const [name, args] of queue.splice(0)) m(name)(...args);
    readyResolve();
  };
}
