export { type IngestResult, type SliEvent, SliReporter, type SliReporterOptions } from './sli-reporter.ts';
