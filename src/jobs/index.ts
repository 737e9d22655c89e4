export type { BackoffPolicy, DeadJob, Job, JobDepth, JobHandler, JobQueueDeps, JobSpec } from './jobs.ts';
export { backoffDelay, JobFailure, JobQueue } from './jobs.ts';
