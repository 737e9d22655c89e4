import type { Command } from 'commander';
import { ApiClient, globalOptions, printJson, printTable } from './context.ts';

interface TokenInfo {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  userName: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 16).replace('T', ' '));

/** `vigil token …` and `vigil users …`. */
export function registerAuthCommands(program: Command): void {
  const token = program.command('token').description('API tokens');
  token
    .command('create <name>')
    .description('create an API token (printed once)')
    .option('--scopes <list>', 'comma-separated: read,write,admin,ingest', 'read')
    .option('--user <name>', 'for another user (admins only)')
    .option('--expires-in-days <n>', 'expire after this many days')
    .action(async (name: string, opts: { scopes: string; user?: string; expiresInDays?: string }, cmd: Command) => {
      const g = globalOptions(cmd);
      const created = await new ApiClient(g).post<{ token: string; info: TokenInfo }>('/api/v1/tokens', {
        name,
        scopes: opts.scopes
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        user: opts.user,
        expiresInDays: opts.expiresInDays ? Number(opts.expiresInDays) : undefined,
      });
      if (g.json) return printJson(created);
      process.stdout.write(`${created.token}\n`);
      process.stderr.write(
        `token "${name}" for ${created.info.userName} with scopes ${created.info.scopes.join(',')}; it is not shown again\n`,
      );
    });
  token
    .command('list')
    .description('list API tokens')
    .action(async (_opts: unknown, cmd: Command) => {
      const g = globalOptions(cmd);
      const { items } = await new ApiClient(g).get<{ items: TokenInfo[] }>('/api/v1/tokens');
      if (g.json) return printJson(items);
      printTable(
        items.map((t) => ({ ...t, created: iso(t.createdAt), used: iso(t.lastUsedAt), revoked: iso(t.revokedAt) })),
        ['id', 'name', 'userName', 'prefix', 'scopes', 'created', 'used', 'revoked'],
      );
    });
  token
    .command('revoke <id>')
    .description('revoke an API token')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      await new ApiClient(globalOptions(cmd)).delete(`/api/v1/tokens/${encodeURIComponent(id)}`);
      process.stdout.write(`revoked ${id}\n`);
    });

  const users = program.command('users').description('users');
  users
    .command('list')
    .description('list users')
    .action(async (_opts: unknown, cmd: Command) => {
      const g = globalOptions(cmd);
      const { items } = await new ApiClient(g).get<{ items: Array<Record<string, unknown>> }>('/api/v1/users');
      if (g.json) return printJson(items);
      printTable(items, ['name', 'displayName', 'role', 'teams']);
    });
  users
    .command('create <name>')
    .description('create a user (admins only)')
    .option('--role <role>', 'admin or member', 'member')
    .option('--display-name <text>')
    .option('--email <address>')
    .option('--password <password>', 'lets the user sign in to the web UI with a password')
    .action(
      async (name: string, opts: { role: string; displayName?: string; email?: string; password?: string }, cmd: Command) => {
        const g = globalOptions(cmd);
        const user = await new ApiClient(g).post('/api/v1/users', { name, ...opts });
        if (g.json) return printJson(user);
        process.stdout.write(`created user ${name}\n`);
      },
    );
}
