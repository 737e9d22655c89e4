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
    .option('--no-probes', 'do not run probes on this replica (others sharing the database run them)')
    .option(
      '--probe-concurrency <n>',
      'probe checks in flight at once (env VIGIL_PROBE_CONCURRENCY)',
      process.env.VIGIL_PROBE_CONCURRENCY ?? '256',
    )
    .option(
      '--probe-per-host <n>',
      'probe checks in flight against one host (env VIGIL_PROBE_PER_HOST)',
      process.env.VIGIL_PROBE_PER_HOST ?? '4',
    )
    .option(
      '--job-concurrency <n>',
      'background jobs (notification deliveries first of all) run at once (env VIGIL_JOB_CONCURRENCY)',
      process.env.VIGIL_JOB_CONCURRENCY ?? '32',
    )
    .option('--public-url <url>', "Vigil's address as people reach it, for links in notifications (env VIGIL_PUBLIC_URL)")
    .action(
      async (opts: {
        port: string;
        host: string;
        db: string;
        demo: boolean;
        examples?: string;
        insecureCookies: boolean;
        logLevel: string;
        probes: boolean;
        probeConcurrency: string;
        probePerHost: string;
        jobConcurrency: string;
        publicUrl?: string;
      }) => {
        const positive = (text: string, flag: string): number => {
          const n = Number(text);
          if (!Number.isInteger(n) || n < 1) {
            process.stderr.write(`${flag}: must be a whole number of at least 1 (got "${text}")\n`);
            process.exit(3);
          }
          return n;
        };
        const probeConcurrency = {
          overall: positive(opts.probeConcurrency, '--probe-concurrency'),
          perHost: positive(opts.probePerHost, '--probe-per-host'),
        };
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
          probes: opts.probes,
          probeConcurrency,
          jobs: { concurrency: positive(opts.jobConcurrency, '--job-concurrency') },
          publicUrl: opts.publicUrl ?? process.env.VIGIL_PUBLIC_URL ?? `http://localhost:${opts.port}`,
        });
        const url = `http://localhost:${new URL(vigil.url).port}`;
        const lines = [
          '',
          `  Vigil is running at ${url}`,
          `  database: ${opts.db.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@')}`,
          `  API reference: ${url}/api/docs`,
        ];
        if (vigil.examplesLoaded) lines.push(`  example organization loaded (${vigil.examplesLoaded.created} objects)`);
        if (opts.demo) lines.push('  demo mode: simulated traffic feeds the example SLIs; probes check this server');
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
