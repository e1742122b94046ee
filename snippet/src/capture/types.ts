import type { Props } from '../../../shared/wire';

/** Records an event (if consent allows); `r` overrides the referrer (page views). */
export type Emit = (name: string, props?: Props, category?: string, r?: string, custom?: 1) => void;
