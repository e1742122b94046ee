/** Build-time flag (esbuild `define`): debug builds log contained errors. */
declare const DEBUG: boolean;
/** Build-time constant: the hash of the tp-panel.js built with this tp.js (its URL's query). */
declare const PANEL: string;

interface Navigator {
  globalPrivacyControl?: boolean;
}

interface Window {
  tp?: any;
  dataLayer?: unknown[];
  gtag?: (...args: unknown[]) => void;
}
