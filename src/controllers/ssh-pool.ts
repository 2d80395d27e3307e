import { SshPool } from '../host/index.ts';
import type { Manager } from '../runtime/manager.ts';

/** An SSH pool closed when the manager shuts down. */
export function ownPool(manager: Manager): SshPool {
  const pool = new SshPool();
  manager.onShutdown(() => pool.dispose());
  return pool;
}
