import type { Props } from '../../../shared/wire';

/** Records an event (if consent allows); `r` overrides the referrer (page views); `x` marks custom events. */
export type Emit = (name: string, props?: Props, category?: string, r?: string, x?: 1) => void;
