/**
 * A Vigil server in a process of its own, for tests that kill it with SIGKILL and start it
 * again on the same database (test/alerts-reliability.test.ts). Run it with
 * `node --import tsx test/support/vigil-child.ts`; it reads its options from the
 * VIGIL_CHILD_OPTIONS environment variable (JSON: `db`, `adminToken` and optional `jobs`)
 * and prints `VIGIL_READY <url>` on stdout once it listens.
 */
import { startVigil, type VigilOptions } from '../../src/server.ts';

const options = JSON.parse(process.env.VIGIL_CHILD_OPTIONS ?? '{}') as {
  db: string;
  adminToken: string;
  jobs?: VigilOptions['jobs'];
};
const vigil = await startVigil({
  db: options.db,
  adminToken: options.adminToken,
  jobs: options.jobs,
  port: 0,
  examples: null,
  webRoot: '/nonexistent',
  logger: { level: 'error' },
});
process.stdout.write(`VIGIL_READY ${vigil.url}\n`);
