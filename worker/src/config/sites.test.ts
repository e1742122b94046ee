import { describe, expect, it } from 'vitest';
import raw from '../../../config/sites.json';
import { parseConfig } from './sites';

describe('site configuration', () => {
  it('the shipped config is valid', () => {
    expect(parseConfig(raw).ok).toBe(true);
  });

  it('an invalid config names every bad key', () => {
    const demo = (raw as { sites: Record<string, Record<string, unknown>> }).sites.demo!;
    const result = parseConfig({
      sites: {
        demo: { ...demo, origins: ['https://ok.example', 'not a url'], timezone: 'Mars/Olympus', categories: [{ id: 'necessary' }] },
        'Bad Id': demo,
      },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sites\.demo\.origins\.1: must be an origin/),
        expect.stringMatching(/^sites\.demo\.timezone: must be an IANA time zone/),
        expect.stringMatching(/^sites\.demo\.categories\.0\.id: "necessary" is built in/),
        expect.stringMatching(/^sites\.Bad Id/),
      ]),
    );
  });
});
