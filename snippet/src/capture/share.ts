import { EVENT } from '../../../shared/wire';
import type { Emit } from './types';

/**
 * Shares done with the Web Share API: `navigator.share()` is wrapped so that a completed share (its promise
 * resolved; a cancelled one rejects, and is not a share) is a `share` event. The page gets the native promise's
 * outcome unchanged. (Share links and buttons, `data-tp-share`, are counted by the click capture.)
 */
export function captureShare(emit: Emit): void {
  const native = navigator.share;
  if (native) navigator.share = (d) => native.call(navigator, d).then(() => emit(EVENT.share));
}
