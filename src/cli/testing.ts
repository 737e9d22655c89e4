import { Command } from 'commander';
import { vi } from 'vitest';

/**
 * Runs CLI commands in-process under a root program shaped like `vigil`'s (`--server`, `--token`,
 * `--json`), with commander's exits turned into throws, and returns what they printed. For tests.
 */
export async function runCli(register: (program: Command) => void, args: readonly string[]): Promise<string> {
  const program = new Command('vigil')
    .option('--server <url>')
    .option('--token <token>')
    .option('--json', 'print JSON', false)
    .exitOverride();
  register(program);
  for (const cmd of program.commands) {
    cmd.exitOverride();
    for (const sub of cmd.commands) sub.exitOverride();
  }
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync([...args], { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out;
}
