import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Started {
  pid: number;
  exited: () => boolean;
  logFile: string;
}

/**
 * Starts a long-running process with its output in a log file. Attached processes are killed when
 * this process exits, so a crashed test run leaves none behind; detached ones outlive it (the dev
 * environment) and are stopped by pid.
 */
export function startProcess(command: string, args: string[], logFile: string, detached = false): Started {
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', log, log], detached });
  let done = false;
  child.on('exit', () => (done = true));
  if (detached) child.unref();
  else process.once('exit', () => child.kill('SIGKILL'));
  if (child.pid === undefined) throw new Error(`could not start ${command}; see ${logFile}`);
  return { pid: child.pid, exited: () => done, logFile };
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
export async function stopProcess(pid: number, graceMs = 10_000): Promise<void> {
  if (!isRunning(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isRunning(pid) && Date.now() < deadline) await sleep(50);
  if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  while (isRunning(pid)) await sleep(20);
}

export function logTail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
