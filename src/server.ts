import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyServerOptions } from 'fastify';
import { registerAlertRoutes } from './alerts/alert.routes.ts';
import { AlertService } from './alerts/alert.service.ts';
import { seedAlertHistory, seedDemoSilence } from './alerts/alert.simulator.ts';
import { isHttpUrl } from './alerts/channels/index.ts';
import { registerFatigueRoutes } from './alerts/fatigue.routes.ts';
import { LinkSigner } from './alerts/links.ts';
import { Notifier } from './alerts/notifier.ts';
import { registerNotifyRoutes } from './alerts/notify.routes.ts';
import { AlertPolicyService } from './alerts/policy.service.ts';
import { registerSilenceRoutes } from './alerts/silence.routes.ts';
import { SilenceService } from './alerts/silence.service.ts';
import { NotificationTargets } from './alerts/targets.ts';
import { registerWebhookIngestRoutes } from './alerts/webhook.routes.ts';
import { registerAuthRoutes } from './auth/auth.routes.ts';
import { AuthService } from './auth/auth.service.ts';
import { systemPrincipal } from './auth/principal.ts';
import { registerCatalogRoutes } from './catalog/catalog.routes.ts';
import { CatalogService } from './catalog/catalog.service.ts';
import { type Clock, systemClock } from './core/clock.ts';
import { InputError } from './core/errors.ts';
import { type Db, openDatabase, retryOnUniqueViolation } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import type { RouteAccess } from './http/access.ts';
import { createApp, serveWebUi } from './http/app.ts';
import { HttpMetrics } from './http/metrics.ts';
import { registerSystemRoutes } from './http/system.routes.ts';
import type { App } from './http/types.ts';
import { JobQueue, type JobQueueDeps } from './jobs/jobs.ts';
import { registerJournalRoutes } from './journal/journal.routes.ts';
import { Journal, JournalFeed } from './journal/journal.ts';
import { readManifestFiles } from './manifests/files.ts';
import { registerManifestRoutes } from './manifests/manifests.routes.ts';
import { ManifestService } from './manifests/manifests.service.ts';
import { registerProbeRoutes } from './probes/probe.routes.ts';
import { ProbeRunner } from './probes/probe.runner.ts';
import { ProbeService } from './probes/probe.service.ts';
import { startProbeSimulator } from './probes/probe.simulator.ts';
import { PrometheusPuller } from './slo/prometheus.pull.ts';
import { registerReportRoutes } from './slo/reports.routes.ts';
import { ReportService } from './slo/reports.service.ts';
import { startSloSimulator } from './slo/simulator.ts';
import { registerSloRoutes } from './slo/slo.routes.ts';
import { SloService } from './slo/slo.service.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = resolve(here, '..');
export const VERSION: string = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

/**
 * Jobs one replica runs at once. Notification deliveries spend most of their time waiting on
 * receivers, so more run together than the queue's own default of 4.
 */
export const DEFAULT_JOB_CONCURRENCY = 32;

export interface VigilOptions {
  /** `sqlite:./data/vigil.db`, `sqlite::memory:` or `postgres://…` */
  db: string;
  clock?: Clock;
  logger?: FastifyServerOptions['logger'];
  /** Built web UI; default `web/dist` of this checkout. */
  webRoot?: string;
  /** Manifests loaded into an empty catalog on start (the example organization), or null. */
  examples?: string | null;
  /** Registers this token for the admin instead of printing a generated one (VIGIL_ADMIN_TOKEN). */
  adminToken?: string;
  /** Session cookies get the Secure attribute (default true; browsers accept it on localhost). */
  secureCookies?: boolean;
  /** Run background workers (jobs). Default true. */
  workers?: boolean;
  bodyLimit?: number;
  /** Feed the SLIs with simulated traffic (demo mode), backfilling a few days on first start. */
  simulateTraffic?: boolean;
  /** Run this replica's share of the probes (default: with the workers). */
  probes?: boolean;
  /** Probe checks in flight at once, overall and per target host. */
  probeConcurrency?: { overall?: number; perHost?: number };
  /**
   * Vigil's address as people reach it (VIGIL_PUBLIC_URL): links in notifications start with
   * it. Default `http://localhost:4600`.
   */
  publicUrl?: string;
  /**
   * Tuning of the durable job queue (notification deliveries): retry backoff (default 1 s
   * doubling to 10 min), lease (default 30 s), polling interval (default 500 ms; commits that
   * add due jobs wake it at once) and jobs run at once (default 32). Tests
   * shorten them to replay an outage or a crash in seconds; production keeps the defaults.
   */
  jobs?: Pick<JobQueueDeps, 'backoff' | 'leaseMs' | 'pollMs' | 'concurrency'>;
}

/** Every module, built from its dependencies: the composition root. */
export interface Vigil {
  app: App;
  db: Db;
  clock: Clock;
  journal: Journal;
  feed: JournalFeed;
  auth: AuthService;
  catalog: CatalogService;
  manifests: ManifestService;
  slo: SloService;
  probes: ProbeService;
  alerts: AlertService;
  notificationTargets: NotificationTargets;
  notifier: Notifier;
  /** This replica's probe runner; null when probes do not run here. */
  probeRunner: ProbeRunner | null;
  jobs: JobQueue;
  metrics: HttpMetrics;
  routes: RouteAccess[];
  /** The one-time admin token generated on the first start, if any. */
  adminToken: string | null;
  /** Summary of the example organization when it was loaded on this start. */
  examplesLoaded: { created: number } | null;
  close(): Promise<void>;
}

export async function createVigil(options: VigilOptions): Promise<Vigil> {
  const clock = options.clock ?? systemClock;
  const db = await openDatabase(options.db);
  try {
    await migrateToLatest(db);
    const journal = new Journal(clock);
    const feed = new JournalFeed(db.kysely, journal);
    const auth = new AuthService({ db, clock, journal });
    const catalog = new CatalogService({ db, clock, journal });
    const jobs = new JobQueue({ concurrency: DEFAULT_JOB_CONCURRENCY, ...options.jobs, db, clock });
    const alerts = new AlertService({ db, clock, journal, jobs });
    const notificationTargets = new NotificationTargets({ db, clock, journal });
    const silences = new SilenceService({ db, clock, journal, jobs, dispatcher: alerts.dispatcher });
    const alertPolicies = new AlertPolicyService({ db, clock, journal });
    const links = new LinkSigner({ db, clock });
    const slo = new SloService({ db, clock, journal, catalog, alerts });
    const probes = new ProbeService({ db, clock, journal, slo, alerts });
    const manifests = new ManifestService({ db, clock, catalog, slo, probes, alerts, policies: alertPolicies });
    const metrics = new HttpMetrics();
    metrics.gauge('vigil_jobs_pending', 'Durable jobs waiting to run', async () => (await jobs.depth()).pending);
    metrics.gauge('vigil_jobs_dead', 'Durable jobs that exhausted their retries', async () => (await jobs.depth()).dead);

    const { app, routes } = await createApp({ auth, logger: options.logger, bodyLimit: options.bodyLimit, version: VERSION });
    const puller = new PrometheusPuller({ db, clock, logger: app.log });
    const notifier = new Notifier({
      db,
      clock,
      alerts,
      targets: notificationTargets,
      jobs,
      links,
      publicUrl: publicUrlOf(options.publicUrl),
      logger: app.log,
    });
    notifier.register();
    alerts.registerJobs();
    const probeRunner =
      (options.probes ?? options.workers ?? true)
        ? new ProbeRunner({
            db,
            clock,
            probes,
            maxConcurrency: options.probeConcurrency?.overall,
            maxPerHost: options.probeConcurrency?.perHost,
            onError: (error, what) => app.log.warn({ err: error }, `${what} failed`),
          })
        : null;
    if (probeRunner) {
      metrics.gauge('vigil_probes_assigned', 'Probes this replica runs', async () => probeRunner.stats().assigned);
      metrics.gauge(
        'vigil_probe_runs_skipped',
        'Probe slots skipped because the previous run was still busy',
        async () => probeRunner.stats().skipped,
      );
      metrics.gauge(
        'vigil_probe_start_lag_p99_seconds',
        'Probe start lag (actual minus planned), 99th percentile',
        async () => (probeRunner.stats().lag.p99 ?? 0) / 1000,
      );
    }
    metrics.install(app);
    registerSystemRoutes(app, { db, metrics, version: VERSION });
    registerAuthRoutes(app, { auth, secureCookies: options.secureCookies ?? true });
    registerJournalRoutes(app, { db, journal, feed, clock });
    registerCatalogRoutes(app, { catalog });
    registerManifestRoutes(app, { manifests });
    registerSloRoutes(app, { slo });
    registerReportRoutes(app, { reports: new ReportService({ db, clock, journal }) });
    registerProbeRoutes(app, { probes, runner: probeRunner });
    registerAlertRoutes(app, { alerts });
    registerWebhookIngestRoutes(app, { alerts });
    registerFatigueRoutes(app, { db, clock });
    registerNotifyRoutes(app, { alerts, targets: notificationTargets, notifier, links });
    registerSilenceRoutes(app, { silences, policies: alertPolicies });
    await serveWebUi(app, options.webRoot ?? join(PROJECT_ROOT, 'web', 'dist'));
    await app.ready();

    const { token } = await auth.bootstrapAdmin(options.adminToken);
    let examplesLoaded: Vigil['examplesLoaded'] = null;
    const examplesDir = options.examples;
    if (examplesDir) {
      const files = await readManifestFiles([examplesDir]);
      // Replicas starting together may both find the catalog empty; the loser retries and finds it full.
      examplesLoaded = await retryOnUniqueViolation(async () => {
        const { total } = await catalog.listEntities({ limit: 1 });
        if (total > 0) return null;
        const result = await manifests.apply(systemPrincipal('examples'), files, { source: 'examples', prune: false });
        return { created: result.created.length };
      });
    }
    const stopGraphWarm =
      (options.workers ?? true)
        ? catalog.keepGraphWarm(5_000, (error) => app.log.warn({ err: error }, 'loading the dependency graph failed'))
        : null;
    if (options.workers ?? true) {
      jobs.start();
      slo.start();
      puller.start();
    }
    // Demo history goes in before the runner takes over the probes it describes.
    const probeSimulator = options.simulateTraffic
      ? startProbeSimulator({ db, clock, probes, onError: (error) => app.log.warn({ err: error }, 'probe demo failed') })
      : null;
    await probeSimulator?.ready;
    if (options.simulateTraffic) {
      await seedAlertHistory(db, clock).catch((error) => app.log.warn({ err: error }, 'alert demo history failed'));
      await seedDemoSilence(db, silences).catch((error) => app.log.warn({ err: error }, 'demo silence failed'));
    }
    probeRunner?.start();
    const simulator = options.simulateTraffic
      ? startSloSimulator({ slo, clock, onError: (error) => app.log.warn({ err: error }, 'traffic simulator tick failed') })
      : null;

    return {
      app,
      db,
      clock,
      journal,
      feed,
      auth,
      catalog,
      manifests,
      slo,
      probes,
      alerts,
      notificationTargets,
      notifier,
      probeRunner,
      jobs,
      metrics,
      routes,
      adminToken: token,
      examplesLoaded,
      async close() {
        feed.stop();
        await stopGraphWarm?.();
        await simulator?.stop();
        await probeSimulator?.stop();
        await jobs.stop();
        await puller.stop();
        await probeRunner?.stop();
        await alerts.stop();
        await slo.stop();
        await app.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
}

export interface StartOptions extends VigilOptions {
  port: number;
  host?: string;
}

/** Creates Vigil and listens. `port: 0` picks a free port (tests). */
export async function startVigil(options: StartOptions): Promise<Vigil & { url: string }> {
  const vigil = await createVigil(options);
  try {
    await vigil.app.listen({ port: options.port, host: options.host ?? '127.0.0.1' });
  } catch (error) {
    await vigil.close();
    throw error;
  }
  const address = vigil.app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : 'localhost';
  return Object.assign(vigil, { url: `http://${host === '127.0.0.1' ? 'localhost' : host}:${port}` });
}

/** The public base URL without a trailing slash; an address people cannot open is refused at start. */
function publicUrlOf(value: string | undefined): string {
  const url = (value ?? 'http://localhost:4600').replace(/\/+$/, '');
  if (!isHttpUrl(url)) throw InputError.field('publicUrl', `must be an absolute http:// or https:// URL (got "${value}")`);
  return url;
}

export function defaultExamplesDir(): string | null {
  const dir = join(PROJECT_ROOT, 'examples');
  return existsSync(dir) ? dir : null;
}
