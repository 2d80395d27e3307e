// The systemd service unit every binary kubesmith runs gets (etcd and the control-plane
// components): the same restart policy and file limit, ExecStart with one flag per line. A changed
// unit means a restart, so the text depends only on its inputs, in a fixed order.
import type { Flag } from './managed-flags.ts';

export const SYSTEMD_UNIT_DIR = '/etc/systemd/system';

export interface ServiceUnit {
  description: string;
  documentation: string;
  /** Units to start after, for example `network-online.target` and `etcd.service`. */
  after: readonly string[];
  wants: readonly string[];
  /** `notify` for binaries that tell systemd when they serve (etcd, kube-apiserver). */
  type: 'notify' | 'simple';
  /** Read if present: the leading `-` in EnvironmentFile= lets the unit start without it. */
  environmentFile?: string;
  binary: string;
  flags: readonly Flag[];
}

export function unitPath(name: string): string {
  return `${SYSTEMD_UNIT_DIR}/${name}.service`;
}

const PLAIN = /^[A-Za-z0-9_./:,=@+*[\]-]+$/;

/**
 * One word of ExecStart as systemd reads it back: quoted when it holds anything but plain
 * characters, with `%` and `$` doubled so neither specifiers nor environment variables are
 * expanded, and control characters written as \xNN so a value never ends the line.
 */
export function execWord(word: string): string {
  if (PLAIN.test(word)) return word;
  const escaped = [...word].map((c) => {
    const code = c.charCodeAt(0);
    if (c === '%' || c === '$') return c + c;
    if (c === '\\' || c === '"') return `\\${c}`;
    if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
    return c;
  });
  return `"${escaped.join('')}"`;
}

export function serviceUnit(unit: ServiceUnit): string {
  const flags = unit.flags.map(([name, value]) => `  ${execWord(`--${name}=${value}`)}`);
  return [
    '[Unit]',
    `Description=${unit.description}`,
    `Documentation=${unit.documentation}`,
    `After=${unit.after.join(' ')}`,
    `Wants=${unit.wants.join(' ')}`,
    '',
    '[Service]',
    `Type=${unit.type}`,
    ...(unit.environmentFile === undefined ? [] : [`EnvironmentFile=-${unit.environmentFile}`]),
    `ExecStart=${unit.binary} \\`,
    flags.join(' \\\n'),
    'Restart=always',
    'RestartSec=5s',
    'LimitNOFILE=65536',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
