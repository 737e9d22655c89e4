import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { CliError, EXIT } from '../cli/context.ts';
import { registerNinesCommand } from './nines.cli.ts';

/** Runs `vigil nines …` under a root program like `vigil`'s and returns what it printed. */
async function vigil(...args: string[]): Promise<string> {
  const program = new Command('vigil').option('--json', 'print JSON', false).exitOverride();
  registerNinesCommand(program);
  for (const c of program.commands) c.exitOverride();
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('vigil nines', () => {
  it('prints the table offline', async () => {
    const out = await vigil('nines', '99.9', '99.95', '99.99', '99.995', '99.999');
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TARGET\s+DAY\s+WEEK\s+MONTH\s+QUARTER\s+YEAR$/);
    expect(lines[1]).toMatch(/^99\.9%\s+1m 26s\s+10m 4s\s+43m 50s\s+2h 11m 29s\s+8h 45m 57s$/);
    expect(lines[5]).toMatch(/^99\.999%\s+864ms\s+6s\s+26s\s+1m 18s\s+5m 15s$/);
  });

  it('adds a window column', async () => {
    const out = await vigil('nines', '99.95%', '--window', '28d');
    expect(out.split('\n')[0]).toMatch(/PER 28D$/);
    expect(out.split('\n')[1]).toMatch(/20m 9s$/);
  });

  it('prints JSON with --json', async () => {
    const json = JSON.parse(await vigil('nines', '99.9', '--window', '30d', '--json'));
    expect(json).toMatchObject({
      window: '30d',
      windowMs: 2_592_000_000,
      rows: [{ targetPercent: 99.9, month: 2_630_016, window: 2_592_000 }],
    });
  });

  it('rejects invalid targets and windows with the invalid-input exit code', async () => {
    for (const args of [['100'], ['0'], ['abc'], ['99.9', '-5'], ['99.9', '--window', 'a month'], ['99.9', '--window', '0d']]) {
      const error = await vigil('nines', ...args).catch((e: unknown) => e);
      expect(error, args.join(' ')).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(EXIT.invalid);
    }
  });
});
