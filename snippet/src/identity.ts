import { drop, load, now, save, secret, uuid } from './util';

/**
 * The identity spectrum on this device. Unknown: nothing stored. Anonymous (analytics granted):
 * a random id plus the browser secret that authorizes self-service; a session id that ends after
 * 30 minutes without activity. Registered: the user id the site identified, until `reset()`.
 */
interface Anon {
  a: string;
  k: string;
}
interface Session {
  id: string;
  t: number;
}

const A = 'tp_anon';
const S = 'tp_session';
const U = 'tp_user';
const SESSION_MS = 30 * 60e3;

export function createIdentity() {
  let anon = load<Anon>(A);
  let user = load<string>(U);
  let session = load<Session>(S);

  return {
    anon: (): Anon | null => anon,
    user: (): string | null => user,
    /** Creates the anonymous id (on analytics consent). Idempotent. */
    ensure(): Anon {
      if (!anon) save(A, (anon = { a: uuid(), k: secret() }));
      return anon;
    },
    /** The current session id, renewed after 30 minutes without activity; touching extends it. */
    session(): string {
      const t = now();
      if (!session || t - session.t > SESSION_MS) session = { id: uuid(), t };
      session.t = t;
      save(S, session);
      return session.id;
    },
    setUser(id: string): void {
      save(U, (user = id));
    },
    /** Forgets everything identifying this device (analytics withdrawn, or erase). */
    forget(): void {
      anon = user = session = null;
      for (const k of [A, U, S]) drop(k);
    },
    /** Logout: user forgotten, fresh anonymous id and session. */
    rotate(): Anon {
      this.forget();
      return this.ensure();
    },
  };
}

export type Identity = ReturnType<typeof createIdentity>;
