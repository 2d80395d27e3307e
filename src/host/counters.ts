export interface HostCounts {
  /** SSH handshakes completed (a bastion hop counts on its own line). */
  connections: number;
  /** Commands sent, each a request and its answer over one channel. */
  roundTrips: number;
}

/** Time in a host's commands, summed over them: commands on one host overlap (up to its channels). */
export interface HostTime {
  /** From sending a command to its channel closing, in ms. */
  busyMs: number;
  /** Of which in commands whose text runs systemctl. */
  systemdMs: number;
  /** Bytes sent as commands' input: mostly files pushed. */
  bytesSent: number;
}

/** Operations that may overlap: how many ended, their time summed, and the wall time one was under way. */
export interface Busy {
  ops: number;
  ms: number;
  wallMs: number;
}

/**
 * Times operations that may overlap, cheaply: a running sum, and the wall time during which at least
 * one was under way (what waiting on them cost, however many ran at once). A parent is fed the same
 * operations, so one clock can cover several.
 */
export class BusyTime {
  readonly #parent: BusyTime | undefined;
  #ops = 0;
  #ms = 0;
  #wallMs = 0;
  #active = 0;
  #since = 0;

  constructor(parent?: BusyTime) {
    this.#parent = parent;
  }

  /** Marks an operation under way; the returned function ends it (once; later calls do nothing). */
  start(): () => void {
    const started = performance.now();
    if (this.#active++ === 0) this.#since = started;
    const parentEnd = this.#parent?.start();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const now = performance.now();
      this.#ops++;
      this.#ms += now - started;
      if (--this.#active === 0) this.#wallMs += now - this.#since;
      parentEnd?.();
    };
  }

  /** Runs `work` as one operation. */
  async time<T>(work: () => Promise<T>): Promise<T> {
    const end = this.start();
    try {
      return await work();
    } finally {
      end();
    }
  }

  /** The figures so far; the wall time includes a stretch still under way. */
  read(): Busy {
    return { ops: this.#ops, ms: this.#ms, wallMs: this.#wallMs + (this.#active > 0 ? performance.now() - this.#since : 0) };
  }
}

/** What happened between two readings. */
export function busySince(now: Busy, before: Busy): Busy {
  return { ops: now.ops - before.ops, ms: now.ms - before.ms, wallMs: now.wallMs - before.wallMs };
}

/** Every SshCounters' commands together: how long this process waited on any host. */
export const processSsh = { commands: new BusyTime(), systemd: new BusyTime() };

const SYSTEMCTL = /\bsystemctl\b/;

/** Counts SSH work per host, so tests and benchmarks can show what a reconcile cost. */
export class SshCounters {
  readonly #perHost = new Map<string, HostCounts & HostTime>();
  /** The commands on these counters' hosts, and those that run systemctl; fed to processSsh too. */
  readonly commands = new BusyTime(processSsh.commands);
  readonly systemd = new BusyTime(processSsh.systemd);

  #entry(host: string): HostCounts & HostTime {
    let entry = this.#perHost.get(host);
    if (!entry) {
      entry = { connections: 0, roundTrips: 0, busyMs: 0, systemdMs: 0, bytesSent: 0 };
      this.#perHost.set(host, entry);
    }
    return entry;
  }

  connected(host: string): void {
    this.#entry(host).connections++;
  }

  /** A command sent to `host`, counted as a round trip; the returned function ends its time, with the bytes of its input. */
  command(host: string, text: string): (bytesSent: number) => void {
    const entry = this.#entry(host);
    entry.roundTrips++;
    const started = performance.now();
    const systemd = SYSTEMCTL.test(text);
    const ends = [this.commands.start(), ...(systemd ? [this.systemd.start()] : [])];
    let ended = false;
    return (bytesSent) => {
      if (ended) return;
      ended = true;
      const ms = performance.now() - started;
      entry.busyMs += ms;
      if (systemd) entry.systemdMs += ms;
      entry.bytesSent += bytesSent;
      for (const end of ends) end();
    };
  }

  forHost(host: string): HostCounts {
    const c = this.#perHost.get(host);
    return { connections: c?.connections ?? 0, roundTrips: c?.roundTrips ?? 0 };
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
    return Object.fromEntries([...this.#perHost.keys()].map((host) => [host, this.forHost(host)]));
  }

  timeForHost(host: string): HostTime {
    const c = this.#perHost.get(host);
    return { busyMs: c?.busyMs ?? 0, systemdMs: c?.systemdMs ?? 0, bytesSent: c?.bytesSent ?? 0 };
  }

  /** Summed over the hosts; commands on different hosts overlap too (see `commands` for the wall time). */
  timeTotal(): HostTime {
    const sum = { busyMs: 0, systemdMs: 0, bytesSent: 0 };
    for (const c of this.#perHost.values()) {
      sum.busyMs += c.busyMs;
      sum.systemdMs += c.systemdMs;
      sum.bytesSent += c.bytesSent;
    }
    return sum;
  }
}
