import { state } from './consent';
import { W } from './util';

/** What the running snippet implements, by call name (`consent.set` for `tp.consent.set`). */
export type Core = Record<string, (...args: any[]) => unknown>;

const NAMES = 'track page identify reset on flush anonymousId consent.get consent.set consent.acceptAll consent.rejectAll consent.open'.split(' ');

/**
 * Builds `window.tp` (CONTRACT §2) and replays the calls the page made through the stub
 * `window.tp = window.tp || function(){(tp.q=tp.q||[]).push(arguments)}`; until the site config
 * arrives, calls are queued. `tp('track', …)` and `tp('consent.set', …)` equal the method calls.
 * Every entry point is contained: a bad call returns undefined, never throws into the page.
 * @returns `ready(core)`, which replays the queue.
 */
export function installApi(): (core: Core) => void {
  let core: Core | undefined;
  let ready: () => void;
  const whenReady = new Promise<void>((r) => (ready = r));
  const queue: [string, unknown[]][] = Array.from((W.tp?.q ?? []) as ArrayLike<unknown>[], (a) => [String(a[0]), Array.from(a).slice(1)] as [string, unknown[]]);

  const call = (name: string, args: unknown[]): unknown => {
    try {
      if (core) return core[name]?.(...args);
      queue.push([name, args]);
      // Before the config: the promise and the stored decision are still honest answers.
      if (name == 'flush') return whenReady.then(() => core!.flush!());
      if (name == 'consent.get') return state();
    } catch {
      /* contained */
    }
  };
  const tp: any = (name: unknown, ...args: unknown[]) => call(String(name), args);
  tp.consent = {};
  for (const k of NAMES) {
    const [a, b] = k.split('.');
    (b ? tp.consent : tp)[b ?? a!] = (...args: unknown[]) => call(k, args);
  }
  W.tp = tp;

  return (c) => {
    core = c;
    for (const [name, args] of queue.splice(0)) call(name, args);
    ready();
  };
}
