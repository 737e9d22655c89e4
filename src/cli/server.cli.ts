import type { Command } from 'commander';
import { defaultExamplesDir, startVigil } from '../server.ts';

/** `vigil server`: the API, the web UI and the workers in one process. */
export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('run the Vigil server (API, web UI, background workers)')
    .option('--port <port>', 'port to listen on (env PORT)', process.env.PORT ?? '4600')
    .option('--host <host>', 'address to bind (env HOST)', process.env.HOST ?? '0.0.0.0')
    .option(
      '--db <url>',
      'sqlite:./data/vigil.db or postgres://… (env VIGIL_DB)',
      process.env.VIGIL_DB ?? 'sqlite:./data/vigil.db',
    )
    .option('--demo', 'load the example organization into an empty catalog', false)
    .option('--examples <dir>', 'manifests to load into an empty catalog (implies --demo)')
    .option('--insecure-cookies', 'send session cookies without the Secure attribute (plain HTTP on a non-localhost host)', false)
    .option('--log-level <level>', 'info, warn, error, debug', process.env.LOG_LEVEL ?? 'info')
    .action(
      async (opts: {
        port: string;
        host: string;
        db: string;
        demo: boolean;
        examples?: string;
        insecureCookies: boolean;
        logLevel: string;
      }) => {
        const examples = opts.examples ?? (opts.demo ? defaultExamplesDir() : null);
        const vigil = await startVigil({
          db: opts.db,
          port: Number(opts.port),
          host: opts.host,
          examples,
          adminToken: process.env.VIGIL_ADMIN_TOKEN,
          secureCookies: !opts.insecureCookies,
          logger: { level: opts.logLevel },
          simulateTraffic: opts.demo,
        });
        const url = `http://localhost:${new URL(vigil.url).port}`;
        const lines = [
          '',
          `  Vigil is running at ${url}`,
          `  database: ${opts.db.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@')}`,
          `  API reference: ${url}/api/docs`,
        ];
        if (vigil.examplesLoaded) lines.push(`  example organization loaded (${vigil.examplesLoaded.created} objects)`);
        if (opts.demo) lines.push('  demo mode: simulated traffic feeds the example SLIs');
        if (vigil.adminToken) {
          lines.push(
            '',
            '  One-time admin token (shown only now; sign in with it, then create your own):',
            `    ${vigil.adminToken}`,
          );
        }
        process.stdout.write(`${lines.join('\n')}\n\n`);
        const shutdown = async (signal: string): Promise<void> => {
          process.stdout.write(`\n${signal}: shutting down\n`);
          await vigil.close();
          process.exit(0);
        };
        process.once('SIGINT', () => void shutdown('SIGINT'));
        process.once('SIGTERM', () => void shutdown('SIGTERM'));
      },
    );
}
