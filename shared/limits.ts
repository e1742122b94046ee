/**
 * Ingest limits, shared by the snippet (which never builds a payload past them)
 * and the worker (which enforces them with a 4xx naming the field).
 */
/** Largest request body accepted on any ingest endpoint, in bytes. */
export const BODY_BYTES = 65536;

export const LIMITS = {
  bodyBytes: BODY_BYTES,
  /** Events per batch. */
  eventsPerBatch: 100,
  /** Property keys per event. */
  propsPerEvent: 32,
  propKeyLength: 64,
  propValueLength: 512,
  nameLength: 64,
  urlLength: 2048,
  idLength: 64,
  userIdLength: 128,
  /** Events may be up to 7 days old (offline retry from IndexedDB) … */
  maxAgeMs: 7 * 24 * 3600 * 1000,
  /** … and up to 5 minutes in the future (clock skew). */
  maxSkewMs: 5 * 60 * 1000,
} as const;
