import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.ts';
import { ChannelSpec, parseChannelSpec } from './channel.model.ts';

const issuesOf = (input: unknown, prefix?: string) => {
  try {
    parseChannelSpec(input, prefix);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as InputError).issues.map((i) => i.path);
  }
  throw new Error('expected the config to be refused');
};

describe('channel configs', () => {
  it('reads each type of channel', () => {
    expect(
      parseChannelSpec({ type: 'webhook', url: 'https://hooks.example.com/vigil', secret: 'whsec_0123456789abcdef' }),
    ).toEqual({
      type: 'webhook',
      url: 'https://hooks.example.com/vigil',
      secret: 'whsec_0123456789abcdef',
    });
    expect(parseChannelSpec({ type: 'slack', url: 'https://hooks.slack.com/services/T0/B0/X' }).type).toBe('slack');
    expect(parseChannelSpec({ type: 'teams', url: 'https://prod.westeurope.logic.azure.com/workflows/1' }).type).toBe('teams');
    expect(
      parseChannelSpec({
        type: 'email',
        to: ['oncall@example.com'],
        smtp: { host: 'smtp.example.com', port: 587, user: 'vigil', password: 'pw', from: 'Vigil <alerts@example.com>' },
      }),
    ).toMatchObject({ type: 'email', smtp: { port: 587, from: 'Vigil <alerts@example.com>' } });
    expect(parseChannelSpec({ type: 'email', to: ['oncall@example.com'] })).toEqual({
      type: 'email',
      to: ['oncall@example.com'],
    });
  });

  it('names the offending field', () => {
    expect(issuesOf({ type: 'slack', url: 'ftp://example.com/x' })).toEqual(['url']);
    expect(issuesOf({ type: 'slack', url: '/relative' })).toEqual(['url']);
    expect(issuesOf({ type: 'webhook', url: 'https://example.com', secret: 'short' })).toEqual(['secret']);
    expect(
      issuesOf({ type: 'email', to: ['a@example.com'], smtp: { host: 'smtp', port: 70_000, from: 'a@example.com' } }),
    ).toEqual(['smtp.port']);
    expect(issuesOf({ type: 'email', to: ['a@example.com'], smtp: { host: 'smtp', port: 25, from: 'not an address' } })).toEqual([
      'smtp.from',
    ]);
    expect(
      issuesOf({ type: 'email', to: ['a@example.com'], smtp: { host: 'smtp', port: 25, from: 'a@example.com', password: 'x' } }),
    ).toEqual(['smtp.password']);
    expect(issuesOf({ type: 'email', to: ['a@example.com', 'nope'] })).toEqual(['to[1]']);
    expect(issuesOf({ type: 'email', to: ['a@example.com', 'A@example.com'] })).toEqual(['to[1]']);
    expect(issuesOf({ type: 'email', to: [] })).toEqual(['to']);
    expect(issuesOf({ type: 'email', to: Array.from({ length: 51 }, (_, i) => `u${i}@example.com`) })).toEqual(['to']);
    expect(issuesOf({ type: 'pager', url: 'https://example.com' })).toEqual(['type']);
    expect(issuesOf({ type: 'slack', url: 'https://example.com', channel: '#ops' })).toEqual(['channel']);
    expect(
      issuesOf({ type: 'email', to: ['a@example.com'], smtp: { host: 'smtp', port: 25, from: 'a@example.com', tls: true } }),
    ).toEqual(['smtp.tls']);
    expect(issuesOf({ type: 'slack', url: 'nope' }, 'spec.channels[2].')).toEqual(['spec.channels[2].url']);
  });

  it('keeps the webhook headers Vigil sets out of reach', () => {
    const webhook = (headers: Record<string, string>) => ({
      type: 'webhook',
      url: 'https://example.com',
      secret: 'x'.repeat(16),
      headers,
    });
    expect(ChannelSpec.safeParse(webhook({ Authorization: 'Bearer t' })).success).toBe(true);
    expect(issuesOf(webhook({ 'X-Vigil-Signature': 'v1=forged' }))).toEqual(['headers.X-Vigil-Signature']);
    expect(issuesOf(webhook({ 'idempotency-key': 'k' }))).toEqual(['headers.idempotency-key']);
    expect(issuesOf(webhook({ 'x-vigil-anything': 'k' }))).toEqual(['headers.x-vigil-anything']);
    expect(issuesOf(webhook({ 'bad header': 'k' }))).toEqual(['headers.bad header']);
    expect(issuesOf(webhook({ 'x-token': 'a\r\nx-injected: 1' }))).toEqual(['headers.x-token']);
  });
});
