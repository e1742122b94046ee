import { Hono } from 'hono';
import type { AppEnv } from '../../env';
import { assetsRoute } from './assets';
import { sessionRoute } from './session';

/**
 * The marketer dashboard's own entrance (STYLE: each client of the Worker enters through its own routes): the page and its
 * files, and sign-in / sign-out. Its data comes from the public API (`/api/v1/*`), authorized by the session cookie.
 */
export const dashboardRoute = new Hono<AppEnv>().route('/', sessionRoute).route('/', assetsRoute);
