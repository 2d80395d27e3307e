// containerd's unit, as upstream ships it (containerd.service).
import { unitPath } from '../units/systemd-unit.ts';

export const CONTAINERD_UNIT = unitPath('containerd');
export const CONTAINERD_BINARY = '/usr/local/bin/containerd';

export function containerdUnit(): string {
  return [
    '[Unit]',
    'Description=containerd container runtime',
    'Documentation=https://containerd.io',
    'After=network.target local-fs.target dbus.service',
    '',
    '[Service]',
    'ExecStartPre=-/sbin/modprobe overlay',
    `ExecStart=${CONTAINERD_BINARY}`,
    'Type=notify',
    // Pods live in their own cgroups and their shims must outlive a restart of containerd.
    'Delegate=yes',
    'KillMode=process',
    'Restart=always',
    'RestartSec=5',
    'LimitNPROC=infinity',
    'LimitCORE=infinity',
    'TasksMax=infinity',
    'OOMScoreAdjust=-999',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
