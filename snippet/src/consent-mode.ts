import { W } from './util';

type Granted = (c: string) => boolean;

/**
 * Google Consent Mode v2 bridge. `default` (everything but functionality/security denied, with
 * wait_for_update) is pushed before any blocked tag can run; `update` only after a decision is stored.
 */
export function createConsentMode(enabled: boolean) {
  const active = enabled || typeof W.gtag === 'function' || Array.isArray(W.dataLayer);
  const gtag = (...args: unknown[]) => {
    if (typeof W.gtag === 'function') W.gtag(...args);
    // gtag.js reads Arguments objects from the dataLayer, as its own stub pushes them.
    // eslint-disable-next-line prefer-rest-params
    else (W.dataLayer ??= []).push((function (..._a: unknown[]) { return arguments; })(...args));
  };
  const signals = (g: Granted) => {
    const v = (c: string) => (g(c) ? 'granted' : 'denied');
    return {
      ad_storage: v('marketing'),
      ad_user_data: v('marketing'),
      ad_personalization: v('marketing'),
      analytics_storage: v('analytics'),
      personalization_storage: v('personalization'),
      functionality_storage: 'granted',
      security_storage: 'granted',
    };
  };
  return {
    active,
    init(): void {
      if (active) gtag('consent', 'default', { ...signals(() => false), wait_for_update: 500 });
    },
    update(g: Granted): void {
      if (active) gtag('consent', 'update', signals(g));
    },
  };
}
