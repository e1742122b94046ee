import { drop, load, now, save, secret, uuid } from './util';

/*
 * The identity spectrum on this device. Unknown: nothing stored. Anonymous (analytics granted):
 * a random id plus the browser secret that authorizes self-service (/v1/me); a session id that
 * ends after 30 minutes without activity. Registered: the user id the site identified, until reset.
 */
export interface Anon {
  /** anonymous id */
  a: string;
  /** browser secret: sent only with consent receipts (hashed by the collector) and /v1/me */
  k: string;
}

const A = 'tp_anon';
const S = 'tp_session';
const U = 'tp_user';

let anon = load<Anon>(A);
let user = load<string>(U);
let session = load<{ id: string; t: number }>(S);

export const getAnon = (): Anon | null => anon;
export const getUser = (): string | null => user;

/** Creates the anonymous id (on analytics consent). Idempotent. */
export const ensureAnon = (): Anon => anon ?? (save(A, (anon = { a: uuid(), k: secret() })), anon);

/** The current session id, renewed after 30 minutes without activity; every use extends it. */
export function sessionId(): string {
  const t = now();
  if (!session || t - session.t > 18e5) session = { id: uuid(), t };
  session.t = t;
  save(S, session);
  return session.id;
}

export const setUser = (id: string): void => save(U, (user = id));

/** Forgets everything identifying this device (analytics withdrawn, erase). */
export function forget(): void {
  anon = user = session = null;
  [A, U, S].forEach(drop);
}

/** Logout or another user: user forgotten, fresh anonymous id and session. */
export const rotate = (): Anon => (forget(), ensureAnon());
