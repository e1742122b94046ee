/** What the main script hands the lazily loaded preferences panel (tp-panel.js). */
export interface PanelHost {
  /** the open shadow root the banner lives in */
  root: ShadowRoot;
  /** URL of the dialog's texts (GET /v1/config?…&p=1) */
  config: string;
  /** optional categories, in display order */
  cats: string[];
  granted(c: string): boolean;
  /** the browser sends Global Privacy Control */
  gpc: boolean;
  /** records the panel's choice (method "preferences") and closes banner and panel */
  save(choice: Record<string, boolean>): void;
  /** URL of this site's /v1/me (GET export, DELETE erase) */
  me: string;
  /** the anonymous id and browser secret; null when nothing identifies this browser */
  anon(): { a: string; k: string } | null;
  /** resolves when queued events were delivered (so an export is complete) */
  settle(): Promise<void>;
  /** after an erase: forget what is queued, rotate (or drop) the ids */
  erased(): Promise<void>;
}

export interface Panel {
  /** opens the dialog; focus returns to `opener` on close */
  open(opener: Element | null): void;
  close(): void;
}

export type MountPanel = (host: PanelHost) => Promise<Panel>;
