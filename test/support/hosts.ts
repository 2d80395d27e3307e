// Test hosts: containers of the locally built image (hack/build-host-image.sh) booting systemd and
// sshd, on a user-defined network, reachable from this machine at their own addresses.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import ssh2 from 'ssh2';
import {
  GenericContainer,
  getContainerRuntimeClient,
  PullPolicy,
  StartedNetwork,
  Wait,
  type StartedTestContainer,
} from 'testcontainers';

// Nothing can be pulled here, and the Ryuk reaper is an image; containers are removed by stop().
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

export const DEFAULT_HOST_IMAGE = 'kubesmith/host:dev';
const BOOT_TIMEOUT_MS = 60_000;

export interface KeyPair {
  /** OpenSSH private key ("-----BEGIN OPENSSH PRIVATE KEY-----"). */
  privateKey: string;
  /** authorized_keys line. */
  publicKey: string;
}

export function generateKeyPair(comment = 'kubesmith-test'): KeyPair {
  // About 1 in 250 ed25519 keys from ssh2's generator cannot be parsed back (ssh2 issue 1513).
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error)) return { privateKey: pair.private, publicKey: pair.public };
  }
}

export interface TestHost {
  name: string;
  container: StartedTestContainer;
  /** Address on the test network, reachable from this machine. */
  address: string;
  port: number;
  /** The key root's authorized_keys accepts. */
  privateKey: string;
  publicKey: string;
  /** The host's ed25519 public key line, read from inside the container. */
  hostKey: string;
  /** Runs a shell command as root through `docker exec`, not SSH: for setting up and checking tests. */
  run(command: string): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

export interface TestHosts {
  network: StartedNetwork;
  hosts: TestHost[];
  keyPair: KeyPair;
  /** Removes a host's container and starts a new one at the same address: same machine, new host keys. */
  recreate(host: TestHost): Promise<TestHost>;
  stop(): Promise<void>;
}

export interface StartHostsOptions {
  image?: string;
  keyPair?: KeyPair;
  /** Prefix of the hostnames (`<prefix>-1`, ...). */
  prefix?: string;
}

/**
 * The settings DESIGN.md section 6 arrived at, with two changes this kernel (cgroup v1, separate
 * cpu and cpuacct hierarchies, cgroupfs driver) needs: a private cgroup namespace, because with
 * the host's one systemd looks for its cgroup at a path Docker's mount does not show and exits
 * ("Failed to allocate manager object"); and a tmpfs on /sys/fs/cgroup, so systemd mounts the
 * hierarchies itself, writable, instead of Docker's read-only ones.
 */
class HostContainer extends GenericContainer {
  constructor(image: string, network: StartedNetwork, address: string, hostname: string) {
    super(image);
    this.withPullPolicy(PullPolicy.neverPull())
      .withHostname(hostname)
      // Ryuk is off, so a crashed run leaves these behind: `docker rm -f $(docker ps -aq -f label=io.kubesmith.test)`.
      .withLabels({ 'io.kubesmith.test': 'host' })
      .withNetwork(network)
      .withAddedCapabilities('ALL')
      .withDroppedCapabilities('SYS_RESOURCE')
      .withSecurityOpt('seccomp=unconfined', 'apparmor=unconfined')
      .withTmpFs({ '/sys/fs/cgroup': 'rw' })
      // A host whose cgroup mounts failed would boot and then fail every kubelet: fail it here, plainly.
      .withWaitStrategy(Wait.forSuccessfulCommand('systemctl is-system-running --wait; systemctl is-active --quiet ssh && ! systemctl is-failed --quiet kubesmith-cgroup-v1-mounts'))
      .withStartupTimeout(BOOT_TIMEOUT_MS);
    Object.assign(this.hostConfig, {
      CgroupnsMode: 'private',
      // What the CLI's --security-opt systempaths=unconfined sends: no masked or read-only /proc paths.
      MaskedPaths: [],
      ReadonlyPaths: [],
      // Nested containerd needs a file system that is not overlayfs under it.
      Mounts: [{ Type: 'volume', Target: '/var/lib/containerd' }],
      // The kubelet's OOM watcher reads the kernel log and stops at start without it
      // ("failed to create kubelet: open /dev/kmsg: no such file or directory").
      Devices: [{ PathOnHost: '/dev/kmsg', PathInContainer: '/dev/kmsg', CgroupPermissions: 'r' }],
    });
    this.createOpts.NetworkingConfig = {
      EndpointsConfig: { [network.getName()]: { IPAMConfig: { IPv4Address: address } } },
    };
  }
}

/** Starts `count` hosts, each accepting `keyPair` for root, and waits until sshd answers on each. */
export async function startHosts(count: number, options: StartHostsOptions = {}): Promise<TestHosts> {
  const image = options.image ?? process.env.KUBESMITH_HOST_IMAGE ?? DEFAULT_HOST_IMAGE;
  const keyPair = options.keyPair ?? generateKeyPair();
  const prefix = options.prefix ?? 'host';
  const { network, subnetPrefix } = await startNetwork();
  const addressOf = (i: number) => `${subnetPrefix}.${10 + i}`;
  const start = (i: number) => startHost(image, network, addressOf(i), `${prefix}-${i + 1}`, keyPair);

  // Every host that did start is removed when another one fails, with the network: a failed start
  // leaves nothing running.
  const started = await Promise.allSettled(Array.from({ length: count }, (_, i) => start(i)));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    // A container whose boot failed is not handed back by testcontainers: those on the network go too.
    const { dockerode } = (await getContainerRuntimeClient()).container;
    const attached = await dockerode.listContainers({ all: true, filters: { network: [network.getName()] } });
    await Promise.all(attached.map((c) => dockerode.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {})));
    await network.stop().catch(() => {});
    throw failed.reason;
  }
  const hosts = started.map((r) => (r as PromiseFulfilledResult<TestHost>).value);
  return {
    network,
    hosts,
    keyPair,
    async recreate(host) {
      const i = hosts.indexOf(host);
      if (i < 0) throw new Error(`${host.name} is not one of these hosts`);
      await host.container.stop({ remove: true, removeVolumes: true });
      const fresh = await start(i);
      hosts[i] = fresh;
      return fresh;
    },
    async stop() {
      await Promise.all(hosts.map((h) => h.container.stop({ remove: true, removeVolumes: true }).catch(() => {})));
      await network.stop();
    },
  };
}

async function startHost(
  image: string,
  network: StartedNetwork,
  address: string,
  name: string,
  keyPair: KeyPair,
): Promise<TestHost> {
  const container = await new HostContainer(image, network, address, name).start();
  const run = async (command: string) => {
    const r = await container.exec(['sh', '-c', command]);
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  };
  // The network's gateway as the resolver, as a LAN router is on a real machine: Docker's embedded
  // one at 127.0.0.11 is a loopback address, which the kubelet would hand to pods, and CoreDNS would
  // find itself there (the seeds' CoreDNS loop). test/support/upstream-dns.ts answers on it.
  const resolver = address.replace(/\.\d+$/, '.1');
  const setup = await run(
    `printf 'nameserver ${resolver}\\n' > /etc/resolv.conf && ` +
      `install -d -m 0700 /root/.ssh && printf '%s\\n' '${keyPair.publicKey}' > /root/.ssh/authorized_keys && ` +
      'chmod 0600 /root/.ssh/authorized_keys && cat /etc/ssh/ssh_host_ed25519_key.pub',
  );
  if (setup.exitCode !== 0) throw new Error(`setting up ${name} failed: ${setup.stderr}`);
  const [type, data] = setup.stdout.trim().split(/\s+/);
  await waitForSshBanner(address, 22);
  return {
    name,
    container,
    address,
    port: 22,
    privateKey: keyPair.privateKey,
    publicKey: keyPair.publicKey,
    hostKey: `${type} ${data}`,
    run,
  };
}

/**
 * The network's gateway: this machine's address on it, where a service started here (an image
 * registry, an artifact mirror) is reachable from the hosts.
 */
export async function gatewayOf(network: StartedNetwork): Promise<string> {
  const client = await getContainerRuntimeClient();
  const info = await client.network.getById(network.getId()).inspect();
  const gateway = info.IPAM?.Config?.[0]?.Gateway ?? info.IPAM?.Config?.[0]?.Subnet?.replace(/\.0\/24$/, '.1');
  if (!gateway) throw new Error(`network ${network.getName()} has no IPv4 gateway`);
  return gateway;
}

/** Creates a network with a subnet of its own, so a re-created host can keep its address. */
async function startNetwork(): Promise<{ network: StartedNetwork; subnetPrefix: string }> {
  const client = await getContainerRuntimeClient();
  let lastError: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    const subnetPrefix = `10.231.${Math.floor(Math.random() * 256)}`;
    const name = `kubesmith-hosts-${process.pid}-${Date.now().toString(36)}`;
    try {
      const created = await client.network.create({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        IPAM: { Driver: 'default', Config: [{ Subnet: `${subnetPrefix}.0/24` }] },
        Labels: { 'io.kubesmith.test': 'hosts' },
      });
      return { network: new StartedNetwork(client, name, created), subnetPrefix };
    } catch (err) {
      // Another run may hold this subnet; try another.
      lastError = err;
    }
  }
  throw new Error('could not create a Docker network for the test hosts', { cause: lastError });
}

async function waitForSshBanner(address: string, port: number): Promise<void> {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  for (;;) {
    const banner = await new Promise<string | undefined>((resolve) => {
      const socket = connect({ host: address, port, timeout: 2_000 });
      socket.once('data', (d) => {
        socket.destroy();
        resolve(d.toString());
      });
      socket.once('error', () => resolve(undefined));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(undefined);
      });
    });
    if (banner?.startsWith('SSH-2.0-')) return;
    if (Date.now() > deadline) {
      throw new Error(`sshd at ${address}:${port} did not answer from this machine within ${BOOT_TIMEOUT_MS} ms`);
    }
    await sleep(200);
  }
}

export interface SudoUserOptions {
  /** When given, sudo asks for this password; otherwise sudo is passwordless. */
  password?: string;
}

/** Adds a user who logs in with the hosts' key and has no sudo rights. */
export async function addUser(host: TestHost, user: string): Promise<void> {
  if (!/^[a-z][a-z0-9-]*$/.test(user)) throw new Error(`"${user}" is not a plain user name`);
  const r = await host.run(
    `id ${user} >/dev/null 2>&1 || useradd -m -s /bin/bash ${user}; ` +
      `install -d -m 0700 -o ${user} -g ${user} /home/${user}/.ssh && ` +
      `printf '%s\\n' '${host.publicKey}' > /home/${user}/.ssh/authorized_keys && ` +
      `chown ${user}:${user} /home/${user}/.ssh/authorized_keys && chmod 0600 /home/${user}/.ssh/authorized_keys`,
  );
  if (r.exitCode !== 0) throw new Error(`adding user ${user} on ${host.name} failed: ${r.stderr}`);
}

/** Adds a user who logs in with the hosts' key and may use sudo, with or without a password. */
export async function addSudoUser(host: TestHost, user: string, options: SudoUserOptions = {}): Promise<void> {
  await addUser(host, user);
  const rule = options.password === undefined ? `${user} ALL=(ALL) NOPASSWD:ALL` : `${user} ALL=(ALL) ALL`;
  const password = options.password === undefined ? '' : `printf '%s:%s\\n' ${user} '${options.password}' | chpasswd && `;
  const r = await host.run(
    `${password}printf '%s\\n' '${rule}' > /etc/sudoers.d/${user} && chmod 0440 /etc/sudoers.d/${user} && visudo -cq`,
  );
  if (r.exitCode !== 0) throw new Error(`giving ${user} sudo on ${host.name} failed: ${r.stderr}`);
}

/** What the SSH layer needs to log in to a test host (the shape of src/host's HostTarget). */
export function loginOf(host: TestHost, user = 'root'): { address: string; port: number; user: string; privateKey: string } {
  return { address: host.address, port: host.port, user, privateKey: host.privateKey };
}
