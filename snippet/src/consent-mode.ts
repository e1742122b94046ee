import { W } from './util';

/*
 * Google Consent Mode v2 bridge. `default` (everything but functionality/security denied, with
 * wait_for_update) is pushed before any blocked tag can run; `update` only after a decision is stored.
 */
let active = false;

function gtag(...args: unknown[]): void {
  if (typeof W.gtag == 'function') W.gtag(...args);
  // gtag.js reads Arguments objects from the dataLayer, as its own stub pushes them.
  // eslint-disable-next-line prefer-rest-params
  else (W.dataLayer ??= []).push((function (..._a: unknown[]) { return arguments; })(...args));
}

const signals = (g: (c: string) => boolean) => {
  const v = (c: string) => (g(c) ? 'granted' : 'denied');
  const m = v('marketing');
  return {
    ad_storage: m,
    ad_user_data: m,
    ad_personalization: m,
    analytics_storage: v('analytics'),
    personalization_storage: v('personalization'),
    functionality_storage: 'granted',
    security_storage: 'granted',
  };
};

/** On when the site enables it or the page already has gtag/dataLayer. */
export function consentDefault(enabled?: boolean): void {
  active = enabled || typeof W.gtag == 'function' || Array.isArray(W.dataLayer);
  if (active) gtag('consent', 'default', { ...signals(() => false), wait_for_update: 500 });
}

export const consentUpdate = (g: (c: string) => boolean): void => void (active && gtag('consent', 'update', signals(g)));
