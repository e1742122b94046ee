import type { BannerTexts } from '../../../shared/wire';

export interface CategoryText {
  name: string;
  desc: string;
}

export interface LanguagePack {
  banner: BannerTexts;
  categories: Record<string, CategoryText>;
}

/** Shipped texts for the default categories. Sites override any key per language in their config. */
export const DEFAULT_TEXTS: Record<'en' | 'de', LanguagePack> = {
  en: {
    banner: {
      title: 'Your privacy',
      body: 'We use first-party analytics to improve this site. Nothing is stored on your device until you choose. You can change your mind at any time.',
      accept: 'Accept all',
      reject: 'Reject all',
      prefs: 'Preferences',
      save: 'Save',
      prefsTitle: 'Privacy preferences',
      gpc: 'Your browser sends a Global Privacy Control signal: marketing and personalization stay off unless you switch them on.',
      yourData: 'Your data',
      download: 'Download my data',
      erase: 'Erase my data',
      eraseAsk: 'Erase everything recorded about this browser? This cannot be undone.',
      eraseYes: 'Yes, erase',
      cancel: 'Cancel',
      downloaded: 'Your data was downloaded.',
      erased: 'Your data was erased. Analytics goes on with your current choices under a new random id; to stop it, switch off Analytics and save.',
      noData: 'Nothing is stored about this browser.',
      failed: 'That did not work. Please try again later.',
      close: 'Close',
    },
    categories: {
      necessary: { name: 'Necessary', desc: 'Remembers your privacy choice. Always on.' },
      analytics: { name: 'Analytics', desc: 'Counts visits and interactions with a random identifier so we can improve the site.' },
      marketing: { name: 'Marketing', desc: 'Measures campaigns and lets advertising partners show relevant offers.' },
      personalization: { name: 'Personalization', desc: 'Adapts content and recommendations to your interests.' },
    },
  },
  de: {
    banner: {
      title: 'Ihre Privatsphäre',
      body: 'Wir nutzen eigene Analysen, um diese Website zu verbessern. Bis zu Ihrer Entscheidung wird nichts auf Ihrem Gerät gespeichert. Sie können Ihre Wahl jederzeit ändern.',
      accept: 'Alle akzeptieren',
      reject: 'Alle ablehnen',
      prefs: 'Einstellungen',
      save: 'Speichern',
      prefsTitle: 'Datenschutz-Einstellungen',
      gpc: 'Ihr Browser sendet ein Global-Privacy-Control-Signal: Marketing und Personalisierung bleiben aus, solange Sie sie nicht einschalten.',
      yourData: 'Ihre Daten',
      download: 'Meine Daten herunterladen',
      erase: 'Meine Daten löschen',
      eraseAsk: 'Alles löschen, was über diesen Browser gespeichert ist? Das lässt sich nicht rückgängig machen.',
      eraseYes: 'Ja, löschen',
      cancel: 'Abbrechen',
      downloaded: 'Ihre Daten wurden heruntergeladen.',
      erased: 'Ihre Daten wurden gelöscht. Die Statistik läuft mit Ihrer bisherigen Auswahl unter einer neuen zufälligen Kennung weiter; um sie zu beenden, schalten Sie Statistik aus und speichern Sie.',
      noData: 'Über diesen Browser ist nichts gespeichert.',
      failed: 'Das hat nicht geklappt. Bitte versuchen Sie es später erneut.',
      close: 'Schließen',
    },
    categories: {
      necessary: { name: 'Notwendig', desc: 'Speichert Ihre Datenschutz-Entscheidung. Immer aktiv.' },
      analytics: { name: 'Statistik', desc: 'Zählt Besuche und Interaktionen mit einer zufälligen Kennung, damit wir die Website verbessern können.' },
      marketing: { name: 'Marketing', desc: 'Misst Kampagnen und ermöglicht Werbepartnern passende Angebote.' },
      personalization: { name: 'Personalisierung', desc: 'Passt Inhalte und Empfehlungen an Ihre Interessen an.' },
    },
  },
};
