import { isbot } from 'isbot';
import UAParser from 'ua-parser-js';

export interface Agent {
  browser: string | null;
  os: string | null;
  /** desktop | mobile | tablet | other */
  device: string;
  bot: boolean;
}

const HEADLESS = /headless|phantomjs|electron|puppeteer|playwright|selenium|webdriver|lighthouse/i;
const cache = new Map<string, Agent>();
const CACHE_SIZE = 512;

/**
 * Browser, OS and device class from the User-Agent (ua-parser-js), bots and headless agents
 * by isbot's maintained pattern list plus automation markers. Memoised per isolate: the same
 * few hundred agent strings make up nearly all traffic.
 */
export function parseAgent(ua: string | null | undefined): Agent {
  const key = ua ?? '';
  const hit = cache.get(key);
  if (hit) return hit;
  const agent = parse(key);
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(key, agent);
  return agent;
}

function parse(ua: string): Agent {
  if (!ua) return { browser: null, os: null, device: 'other', bot: true };
  const r = new UAParser(ua).getResult();
  const type = r.device.type;
  const device = type === 'mobile' || type === 'wearable' ? 'mobile' : type === 'tablet' ? 'tablet' : type ? 'other' : 'desktop';
  return {
    browser: r.browser.name ?? null,
    os: r.os.name ?? null,
    device,
    bot: isbot(ua) || HEADLESS.test(ua),
  };
}
