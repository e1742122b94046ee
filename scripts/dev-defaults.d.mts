// Types for dev-defaults.mjs (imported by vitest.config.ts).
export declare const DEV_VARS: Readonly<Record<'TP_ADMIN_KEY' | 'TP_CONSENT_KEY' | 'TP_DEMO_IDENTITY_SECRET' | 'TP_DEMO_WRITE_KEY', string>>;
export declare const DEV_DEFINE: Readonly<{ __TP_DEV__: 'true' }>;
export declare const DEV_ASSETS: string;
