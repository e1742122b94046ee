import type { Settings } from '../settings';

/** What the main script hands the lazily loaded preferences panel (tp-panel.js): the script tag's settings (collector, config query) and these. */
export interface PanelHost extends Settings {
  /** the open shadow root the banner lives in */
  root: ShadowRoot;
  /** optional categories, in display order */
  cats: string[];
  granted(c: string): boolean;
  /** the browser sends Global Privacy Control */
  gpc: boolean;
  /** records the panel's choice (method "preferences") and closes banner and panel */
  save(choice: Record<string, boolean>): void;
  /** the anonymous id and browser secret; null when nothing identifies this browser */
  anon(): { a: string; k: string } | null;
  /** resolves when queued events were delivered (so an export is complete) */
  settle(): Promise<void>;
  /** after an erase: forget what is queued, rotate (or drop) the ids */
  erased(): Promise<void>;
  /**
   * What a tp.js built before the panel was versioned passes instead of `api` and `qs` (the dialog's
   * config URL and /v1/me): it loads the current tp-panel.js for as long as caches keep it (a day).
   * Remove a few days after the deploy that introduced `tp-panel.js?<hash>`.
   */
  config?: string;
  me?: string;
}

export interface Panel {
  /** opens the dialog; focus returns to `opener` on close */
  open(opener: Element | null): void;
  close(): void;
}

export type MountPanel = (host: PanelHost) => Promise<Panel>;
