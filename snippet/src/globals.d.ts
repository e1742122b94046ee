/** Build-time flag (esbuild `define`): debug builds log contained errors. */
declare const DEBUG: boolean;

interface Navigator {
  globalPrivacyControl?: boolean;
}

interface Window {
  tp?: any;
  dataLayer?: unknown[];
  gtag?: (...args: unknown[]) => void;
}
