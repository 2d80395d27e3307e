// The kubesmith operator process.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { addControllers } from './controllers/index.ts';
import { loadKubeConfig } from './runtime/kube-config.ts';
import { createLogger } from './runtime/logger.ts';
import { Manager } from './runtime/manager.ts';

const usage = `usage: kubesmith [--leader-elect] [--namespace NS] [--probe-port 8081] [--probe-host 0.0.0.0]
                 [--leader-election-namespace NS] [--lease-duration 15s] [--renew-deadline 10s] [--retry-period 2s]
                 [--shutdown-grace 30s] [--host-recheck-interval 10m]
The kubeconfig comes from KUBECONFIG, ~/.kube/config or the in-cluster service account.`;

function seconds(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  if (!match) throw new Error(`--${flag} ${value}: give a duration such as 15s, 500ms or 2m`);
  const n = Number(match[1]);
  return match[2] === 'ms' ? n : match[2] === 'm' ? n * 60_000 : n * 1000;
}

const log = createLogger();

async function main() {
  const { values } = parseArgs({
    options: {
      'leader-elect': { type: 'boolean', default: false },
      namespace: { type: 'string' },
      'probe-port': { type: 'string', default: '8081' },
      'probe-host': { type: 'string', default: '0.0.0.0' },
      'leader-election-namespace': { type: 'string', default: process.env.POD_NAMESPACE ?? 'kubesmith-system' },
      'lease-duration': { type: 'string', default: '15s' },
      'renew-deadline': { type: 'string', default: '10s' },
      'retry-period': { type: 'string', default: '2s' },
      'shutdown-grace': { type: 'string', default: '30s' },
      'host-recheck-interval': { type: 'string', default: '10m' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  // Not client-node's KubeConfig, whose module alone would be a third of the process's memory.
  const kubeConfig = await loadKubeConfig();
  const identity = process.env.POD_NAME ?? `${hostname()}-${randomBytes(4).toString('hex')}`;
  const manager = new Manager({
    kubeConfig,
    log,
    identity,
    namespace: values.namespace,
    probePort: Number(values['probe-port']),
    probeHost: values['probe-host'],
    shutdownGraceMs: seconds(values['shutdown-grace'], 'shutdown-grace'),
    leaderElection: values['leader-elect']
      ? {
          namespace: values['leader-election-namespace'],
          name: 'kubesmith-leader',
          leaseDurationMs: seconds(values['lease-duration'], 'lease-duration'),
          renewDeadlineMs: seconds(values['renew-deadline'], 'renew-deadline'),
          retryPeriodMs: seconds(values['retry-period'], 'retry-period'),
        }
      : undefined,
  });
  addControllers(manager, { recheckIntervalMs: seconds(values['host-recheck-interval'], 'host-recheck-interval') });
  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, 'shutting down');
    await manager.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  log.info({ identity, namespace: values.namespace ?? '(all)', leaderElect: values['leader-elect'] }, 'starting');
  await manager.start(() => {
    log.error('leadership lost; exiting so that a fresh process competes again');
    process.exit(1);
  });
}

main().catch((error: unknown) => {
  log.fatal({ err: error }, 'kubesmith failed to start');
  process.exit(1);
});
