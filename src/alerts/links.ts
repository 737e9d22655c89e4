import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../db/database.ts';

/**
 * Signed one-click links: `acknowledge` and `resolve` URLs in notifications that work without
 * signing in. The signature is the credential: HMAC-SHA256 under a server secret of
 * `<alert id>.<action>.<expires>`, so a link is good for one alert, one action and a week.
 */

export const LINK_ACTIONS = ['acknowledge', 'resolve'] as const;
export type LinkAction = (typeof LINK_ACTIONS)[number];
export const LINK_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const SECRET_SETTING = 'link_signing_secret';

export class LinkSigner {
  readonly #db: Db;
  readonly #clock: Clock;
  #secret: Promise<Buffer> | null = null;

  constructor(deps: { db: Db; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  /** The query string of a link for `action` on the alert, valid for {@link LINK_TTL_MS}. */
  async query(alertId: string, action: LinkAction): Promise<string> {
    const expires = this.#clock.now() + LINK_TTL_MS;
    const sig = await this.sign(alertId, action, expires);
    return `action=${action}&expires=${expires}&sig=${sig}`;
  }

  async sign(alertId: string, action: LinkAction, expires: number): Promise<string> {
    return createHmac('sha256', await this.#key())
      .update(`${alertId}.${action}.${expires}`)
      .digest('hex');
  }

  /** True when the signature is this server's for these values and the link has not expired. */
  async verify(alertId: string, action: string, expires: number, sig: string): Promise<boolean> {
    if (!(LINK_ACTIONS as readonly string[]).includes(action)) return false;
    if (!Number.isSafeInteger(expires) || expires < this.#clock.now()) return false;
    if (!/^[0-9a-f]{64}$/i.test(sig)) return false;
    const expected = Buffer.from(await this.sign(alertId, action as LinkAction, expires), 'hex');
    return timingSafeEqual(expected, Buffer.from(sig, 'hex'));
  }

  /** The secret, generated on first use; replicas racing to create it all end up with the winner's. */
  #key(): Promise<Buffer> {
    this.#secret ??= (async () => {
      const kysely = this.#db.kysely;
      await kysely
        .insertInto('settings')
        .values({ name: SECRET_SETTING, value: randomBytes(32).toString('base64url') })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const row = await kysely
        .selectFrom('settings')
        .select('value')
        .where('name', '=', SECRET_SETTING)
        .executeTakeFirstOrThrow();
      return Buffer.from(row.value, 'base64url');
    })().catch((error: unknown) => {
      this.#secret = null;
      throw error;
    });
    return this.#secret;
  }
}
