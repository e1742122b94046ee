import type { Props, WireRevenue } from '../../../shared/wire';

/** Records an event (if consent allows; before the first decision it waits in memory); `r` overrides the referrer (page views); `x` marks custom events; `rv` is revenue. */
export type Emit = (name: string, props?: Props, category?: string, r?: string, x?: 1, rv?: WireRevenue) => void;
