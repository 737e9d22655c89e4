import { Command, CommanderError } from 'commander';
import { registerAlertCommands } from '../alerts/alert.cli.ts';
import { registerSilenceCommands } from '../alerts/silence.cli.ts';
import { registerCatalogCommands } from '../catalog/catalog.cli.ts';
import { VigilError } from '../core/errors.ts';
import { registerManifestCommands } from '../manifests/manifests.cli.ts';
import { registerProbeCommands } from '../probes/probe.cli.ts';
import { VERSION } from '../server.ts';
import { registerNinesCommand } from '../slo/nines.cli.ts';
import { registerReportCommands } from '../slo/reports.cli.ts';
import { registerRulesCommand } from '../slo/rules.cli.ts';
import { registerSloCommands } from '../slo/slo.cli.ts';
import { registerAuditCommand } from './audit.cli.ts';
import { registerAuthCommands } from './auth.cli.ts';
import { CliError, EXIT } from './context.ts';
import { registerServerCommand } from './server.cli.ts';

export function buildProgram(): Command {
  const program = new Command('vigil')
    .description('Vigil: SLOs, alerting, on-call, incidents, deploys and the service catalog in one service')
    .version(VERSION)
    .option('--server <url>', 'Vigil server URL (env VIGIL_URL)', undefined)
    .option('--token <token>', 'API token (env VIGIL_TOKEN)', undefined)
    .option('--json', 'print machine-readable JSON', false)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerServerCommand(program);
  registerManifestCommands(program);
  registerCatalogCommands(program);
  registerAuditCommand(program);
  registerAuthCommands(program);
  registerSloCommands(program);
  registerNinesCommand(program);
  registerRulesCommand(program);
  registerReportCommands(program);
  registerProbeCommands(program);
  registerAlertCommands(program);
  registerSilenceCommands(program);
  for (const cmd of program.commands) {
    cmd.exitOverride();
    for (const sub of cmd.commands) sub.exitOverride();
  }
  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? EXIT.ok : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.invalid;
    }
    if (error instanceof CliError) {
      process.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof VigilError) {
      process.stderr.write(`error: ${error.message}\n`);
      for (const issue of error.issues) {
        const where = issue.file ? `${issue.file}${issue.line ? `:${issue.line}` : ''}: ` : '';
        process.stderr.write(`  ${where}${issue.path}: ${issue.message}\n`);
      }
      return error.status === 404 ? EXIT.notFound : error.status === 401 ? EXIT.unauthenticated : EXIT.invalid;
    }
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return EXIT.failure;
  }
}
