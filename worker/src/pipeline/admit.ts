import type { EventRow, EventsMessage } from '../storage/messages';
import { subjectHash } from '../privacy/tombstones';

/**
 * The consumer's half of consent enforcement, for one batch of queue messages in one D1 read:
 * - rows of an anonymous id that was erased or withdrew analytics are dropped (tombstones), however late;
 * - a batch received after its consent id's latest decision, carrying a token issued for an earlier one,
 *   keeps only the categories both grant: from the moment the collector answered a narrower receipt, no
 *   token issued before it can store what was withdrawn.
 */
export interface Admission {
  /** the rows of `m` that may be stored, and counts of the others by reason */
  admit(m: EventsMessage, rows: EventRow[]): { rows: EventRow[]; dropped: Record<string, number> };
}

interface Latest {
  receipt_id: string;
  granted: string[];
  decided_at: number;
}

export async function admission(db: D1Database, messages: EventsMessage[]): Promise<Admission> {
  const anons = new Map<string, { site: string; subject: string }>();
  const consents = new Map<string, { site: string; consent: string }>();
  for (const m of messages) {
    const a = m.ctx.anon_id;
    if (a && !anons.has(`${m.site}\t${a}`)) anons.set(`${m.site}\t${a}`, { site: m.site, subject: await subjectHash(a) });
    if (m.cs) consents.set(`${m.site}\t${m.cs.c}`, { site: m.site, consent: m.cs.c });
  }
  const [tombs, states] = await db.batch<{ site_id: string; subject?: string; consent_id?: string; receipt_id?: string; granted?: string; decided_at?: number }>([
    db
      .prepare(
        `SELECT t.site_id, t.subject FROM tombstones t JOIN json_each(?1) j
         ON t.site_id = json_extract(j.value, '$.site') AND t.subject = json_extract(j.value, '$.subject')`,
      )
      .bind(JSON.stringify([...anons.values()])),
    db
      .prepare(
        `SELECT s.site_id, s.consent_id, s.receipt_id, s.granted, s.decided_at FROM consent_state s JOIN json_each(?1) j
         ON s.site_id = json_extract(j.value, '$.site') AND s.consent_id = json_extract(j.value, '$.consent')`,
      )
      .bind(JSON.stringify([...consents.values()])),
  ]);
  const deadSubjects = new Set(tombs!.results.map((r) => `${r.site_id}\t${r.subject}`));
  const dead = new Set([...anons].filter(([, v]) => deadSubjects.has(`${v.site}\t${v.subject}`)).map(([k]) => k));
  const latest = new Map<string, Latest>(
    states!.results.map((r) => [`${r.site_id}\t${r.consent_id}`, { receipt_id: r.receipt_id!, granted: JSON.parse(r.granted!), decided_at: r.decided_at! }]),
  );

  return {
    admit(m, rows) {
      const dropped: Record<string, number> = {};
      const bump = (k: string) => (dropped[k] = (dropped[k] ?? 0) + 1);
      const l = m.cs && latest.get(`${m.site}\t${m.cs.c}`);
      const narrowed = l && l.receipt_id !== m.cs!.r && l.decided_at <= m.received_at ? new Set(l.granted) : null;
      const keep = rows.filter((r) => {
        if (r.anon_id && dead.has(`${r.site_id}\t${r.anon_id}`)) return bump('dropped_erased_or_withdrawn'), false;
        if (narrowed && r.category !== 'necessary' && !narrowed.has(r.category)) return bump(`dropped_withdrawn_${r.category}`), false;
        return true;
      });
      return { rows: keep, dropped };
    },
  };
}
