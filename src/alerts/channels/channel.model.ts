import { z } from 'zod';
import { type FieldIssue, InputError } from '../../core/errors.ts';

/**
 * Where notifications go: one config per channel, told apart by `type`. Secrets (the webhook's
 * signing secret, the SMTP password) live in the config, so whoever stores or shows configs must
 * redact them.
 */

const MAX_URL = 2048;

const HttpUrl = z
  .string()
  .max(MAX_URL)
  .refine((u) => {
    try {
      const parsed = new URL(u);
      return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an absolute http:// or https:// URL');

/** RFC 9110 token characters. */
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible characters, spaces and tabs: a value cannot smuggle in a second header. */
const HEADER_VALUE_RE = /^[\t\x20-\x7e\x80-\uffff]*$/;

/**
 * Headers the signed webhook sets itself. A config may not replace them: the signature and the
 * idempotency key are what receivers rely on, and the rest describe the body Vigil sends.
 */
export const RESERVED_WEBHOOK_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'host',
  'connection',
  'user-agent',
  'idempotency-key',
  'x-vigil-timestamp',
  'x-vigil-signature',
] as const;

export const WebhookChannelSpec = z
  .strictObject({
    type: z.literal('webhook'),
    url: HttpUrl,
    /** Key of the HMAC-SHA256 signature in `x-vigil-signature`. */
    secret: z.string().min(16, 'must be at least 16 characters').max(512),
    /** Extra request headers, e.g. a receiver's own token. */
    headers: z
      .record(
        z.string().min(1).max(256).regex(HEADER_NAME_RE, 'must be a header name'),
        z.string().max(4096).regex(HEADER_VALUE_RE, 'must not contain line breaks or control characters'),
      )
      .optional(),
  })
  .superRefine((spec, ctx) => {
    const names = Object.keys(spec.headers ?? {});
    if (names.length > 20) ctx.addIssue({ code: 'custom', path: ['headers'], message: 'at most 20 headers' });
    for (const name of names) {
      const lower = name.toLowerCase();
      if ((RESERVED_WEBHOOK_HEADERS as readonly string[]).includes(lower) || lower.startsWith('x-vigil-')) {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: 'is set by Vigil and cannot be configured' });
      }
    }
  });
export type WebhookChannelSpec = z.output<typeof WebhookChannelSpec>;

/** A Slack incoming webhook; Mattermost and Rocket.Chat accept the same messages. */
export const SlackChannelSpec = z.strictObject({
  type: z.literal('slack'),
  url: HttpUrl,
});
export type SlackChannelSpec = z.output<typeof SlackChannelSpec>;

/** A Microsoft Teams incoming webhook or Workflows ("When a Teams webhook request is received") URL. */
export const TeamsChannelSpec = z.strictObject({
  type: z.literal('teams'),
  url: HttpUrl,
});
export type TeamsChannelSpec = z.output<typeof TeamsChannelSpec>;

const Email = z.email('must be an email address').max(254);

/** `alerts@example.com` or `Vigil <alerts@example.com>`. */
const Mailbox = z
  .string()
  .max(320)
  .refine((value) => {
    const match = /^\s*(?:([^<>\r\n"]*|"[^"\r\n]*")\s*<([^<>\s]+)>|([^<>\s]+))\s*$/.exec(value);
    const address = match?.[2] ?? match?.[3];
    return address !== undefined && Email.safeParse(address).success;
  }, 'must be an email address, optionally with a name: Vigil <alerts@example.com>');

export const SmtpSettings = z
  .strictObject({
    host: z.string().min(1).max(253),
    port: z.number().int().min(1).max(65_535),
    /**
     * Implicit TLS from the first byte (SMTPS). Defaults to true on port 465 and false elsewhere,
     * where the connection is upgraded with STARTTLS whenever the server offers it.
     */
    secure: z.boolean().optional(),
    user: z.string().min(1).max(512).optional(),
    password: z.string().max(1024).optional(),
    from: Mailbox,
  })
  .superRefine((smtp, ctx) => {
    if (smtp.password !== undefined && smtp.user === undefined) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'needs a user' });
    }
  });
export type SmtpSettings = z.output<typeof SmtpSettings>;

export const MAX_EMAIL_RECIPIENTS = 50;

/**
 * Email through SMTP. `smtp` may be left out to use the server-wide SMTP settings (the
 * `smtpDefaults` option of `deliver`), so that most channels only name their recipients; a
 * channel without `smtp` fails, without retries, where no default is configured.
 */
export const EmailChannelSpec = z
  .strictObject({
    type: z.literal('email'),
    to: z.array(Email).min(1).max(MAX_EMAIL_RECIPIENTS),
    smtp: SmtpSettings.optional(),
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.to.forEach((address, i) => {
      const key = address.toLowerCase();
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['to', i], message: 'is listed twice' });
      seen.add(key);
    });
  });
export type EmailChannelSpec = z.output<typeof EmailChannelSpec>;

export const CHANNEL_TYPES = ['webhook', 'slack', 'teams', 'email'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export const ChannelSpec = z.discriminatedUnion('type', [
  WebhookChannelSpec,
  SlackChannelSpec,
  TeamsChannelSpec,
  EmailChannelSpec,
]);
export type ChannelSpec = z.output<typeof ChannelSpec>;
export type ChannelSpecInput = z.input<typeof ChannelSpec>;

/**
 * A channel config from the API or a manifest, or an {@link InputError} whose issues have paths
 * such as `url`, `smtp.port` or `to[1]`, after `prefix` (e.g. `spec.channels[0].`).
 */
export function parseChannelSpec(input: unknown, prefix = ''): ChannelSpec {
  const parsed = ChannelSpec.safeParse(input);
  if (parsed.success) return parsed.data;
  const pathOf = (path: PropertyKey[]) =>
    prefix + path.map((p, n) => (typeof p === 'number' ? `[${p}]` : n === 0 ? String(p) : `.${String(p)}`)).join('');
  const issues: FieldIssue[] = parsed.error.issues.flatMap((i) =>
    // A field the config may not have is named itself, not the object around it.
    i.code === 'unrecognized_keys'
      ? i.keys.map((key) => ({ path: pathOf([...i.path, key]), message: 'is not a known field' }))
      : [{ path: pathOf(i.path), message: i.message }],
  );
  throw new InputError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}
