import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A port nobody listens on right now: the kernel picks it when we bind port 0. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}

/** A child process the benchmark started, with the tail of its output kept for error messages. */
export interface ChildHandle {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  readonly exited: Promise<number | string>;
  hasExited(): boolean;
  /** The last `lines` lines of stdout and stderr, interleaved as they arrived. */
  tail(lines?: number): string;
  /** SIGTERM to this pid, SIGKILL to it after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const LOG_LIMIT = 256 * 1024;

export interface StartOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Spawns `command args…` directly (no shell, so the pid is the program's own) and captures
 * its output. The caller stops it in a `finally`, by this pid only.
 */
export function startProcess(name: string, command: string, args: readonly string[], options: StartOptions): ChildHandle {
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const pid = child.pid;
  let log = '';
  const capture = (chunk: Buffer): void => {
    log += chunk.toString('utf8');
    if (log.length > LOG_LIMIT) log = log.slice(log.length - LOG_LIMIT / 2);
  };
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (error) => {
      done = true;
      capture(Buffer.from(`\n[spawn error] ${error.message}\n`));
      resolve('spawn-error');
    });
  });
  return {
    name,
    pid,
    exited,
    hasExited: () => done,
    tail(lines = 40) {
      return log.trimEnd().split('\n').slice(-lines).join('\n');
    },
    async stop(graceMs = 5000) {
      if (done) return;
      signal(pid, 'SIGTERM');
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
      if ((await Promise.race([exited, timer])) === 'timeout') {
        signal(pid, 'SIGKILL');
        await exited;
      }
    },
  };
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    // Already gone between the check and the signal.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Polls `url` until it answers 200 or the deadline passes. Fails at once when the child exits,
 * and in both failures shows the child's log tail, which is where the reason is.
 */
export async function waitForReady(url: string, child: ChildHandle, deadlineMs = 30_000): Promise<void> {
  const started = Date.now();
  let last = 'no answer yet';
  while (Date.now() - started < deadlineMs) {
    if (child.hasExited()) {
      throw new Error(`${child.name} exited with ${await child.exited} before ${url} was ready; its log ends:\n${child.tail()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${child.name} was not ready at ${url} within ${deadlineMs} ms (${last}); its log ends:\n${child.tail()}`);
}
