// Running the commands the dev environment (hack/dev-env.ts) is made of.
import { execFileSync, spawn } from 'node:child_process';

/** Runs a command with its output on this terminal; rejects when it fails. */
export function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

/** Runs a command (a hack/ build script) with its log on stderr; resolves to its standard output, trimmed. */
export function capture(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

function failure(what: string, error: unknown): Error {
  const stderr = String((error as { stderr?: Buffer | string }).stderr ?? '').trim();
  return new Error(`${what} failed${stderr ? `: ${stderr}` : ''}`, { cause: error });
}

/** kubectl against one kubeconfig; throws with kubectl's message. */
export function kubectlWith(kubectl: string, kubeconfig: string, args: string[], timeout = '15s'): string {
  try {
    return execFileSync(kubectl, ['--kubeconfig', kubeconfig, `--request-timeout=${timeout}`, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    throw failure(`kubectl ${args.join(' ')}`, error);
  }
}

/** The docker CLI; with `tolerant`, a failure (an object already gone) is no error. */
export function docker(args: string[], tolerant = false): string {
  try {
    return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if (tolerant) return '';
    throw failure(`docker ${args.join(' ')}`, error);
  }
}
