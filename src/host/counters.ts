export interface HostCounts {
  /** SSH handshakes completed (a bastion hop counts on its own line). */
  connections: number;
  /** Commands sent, each a request and its answer over one channel. */
  roundTrips: number;
}

/** Counts SSH work per host, so tests and benchmarks can show what a reconcile cost. */
export class SshCounters {
  readonly #perHost = new Map<string, HostCounts>();

  #entry(host: string): HostCounts {
    let entry = this.#perHost.get(host);
    if (!entry) {
      entry = { connections: 0, roundTrips: 0 };
      this.#perHost.set(host, entry);
    }
    return entry;
  }

  connected(host: string): void {
    this.#entry(host).connections++;
  }

  roundTrip(host: string): void {
    this.#entry(host).roundTrips++;
  }

  forHost(host: string): HostCounts {
    return { ...(this.#perHost.get(host) ?? { connections: 0, roundTrips: 0 }) };
  }

  total(): HostCounts {
    const sum = { connections: 0, roundTrips: 0 };
    for (const c of this.#perHost.values()) {
      sum.connections += c.connections;
      sum.roundTrips += c.roundTrips;
    }
    return sum;
  }

  snapshot(): Record<string, HostCounts> {
    return Object.fromEntries([...this.#perHost].map(([host, c]) => [host, { ...c }]));
  }
}
