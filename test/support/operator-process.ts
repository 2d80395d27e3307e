// Runs src/main.ts as a separate operator process and collects its JSON log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { repoRoot } from './manifests.ts';

export interface LogLine {
  msg: string;
  level: number;
  object?: string;
  controller?: string;
  [key: string]: unknown;
}

export class OperatorProcess {
  readonly logs: LogLine[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(kubeconfig: string, args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [join(repoRoot, 'src', 'main.ts'), ...args], {
      env: { ...process.env, KUBECONFIG: kubeconfig, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.logs.push(JSON.parse(line) as LogLine);
      } catch {
        this.logs.push({ msg: line, level: 30 });
      }
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    process.once('exit', () => this.child.kill('SIGKILL'));
  }

  logged(msg: string, filter: (l: LogLine) => boolean = () => true): LogLine | undefined {
    return this.logs.find((l) => l.msg === msg && filter(l));
  }

  reconciled(name: string): boolean {
    return this.logs.some((l) => l.msg === 'status set' && l.object?.endsWith(`/${name}`));
  }
}
