// The kubeadm baseline kubesmith is measured against (a benchmark fixture, not a feature): the
// cluster the seeds' guides build, scripted over SSH the way a careful admin would, on hosts the
// MachineHost controller prepared exactly as for kubesmith.
//   Every host, at once: containerd, runc, the CNI plugins, kubelet, kubeadm and kubectl installed from
//   the same mirror and cache kubesmith uses (the kubeadm install guide puts all three Kubernetes
//   binaries on every machine); containerd configured as kubesmith configures it; the kubelet unit and
//   drop-in of the Kubernetes packages.
//   The first control plane: `kubeadm init` (with --upload-certs for more than one), then the same
//   flannel vxlan DaemonSet kubesmith's NetworkAddon applies, with kubectl.
//   The other control planes one after another (stacked etcd grows by one member at a time), the
//   workers at once: `kubeadm join` with a bootstrap token and the CA's public-key hash.
//   Every host, once flanneld has its lease: the CNI config (flannel's own CNI plugin is not served by
//   the module proxy, so the bridge config kubesmith writes from the same lease stands in for it).
// Preflight errors ignored, each only because the hosts are containers: see PREFLIGHT_IGNORED.
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import type { ControlPlane, NetworkAddon } from '../../src/api/index.ts';
import { cniPlugins, containerdRelease, kubernetesBinary, pushArtifact, runcBinary, type ArtifactCache } from '../../src/artifacts/index.ts';
import { convergeFlannelHost, parseSubnetEnv } from '../../src/controllers/network-addon/flannel/host.ts';
import { flannelManifests } from '../../src/controllers/network-addon/flannel/manifests.ts';
import { containerdConfig, registryHostsFiles } from '../../src/controllers/node/containerd.ts';
import { CONTAINERD_UNIT, containerdUnit } from '../../src/controllers/node/containerd-unit.ts';
import { NODE_PATHS } from '../../src/controllers/node/paths.ts';
import { CNI_PLUGINS, NODE_VERSIONS } from '../../src/controllers/node/versions.ts';
import { shellQuote, writeFiles, type HostSession, type HostTarget, type SshPool } from '../../src/host/index.ts';

export const POD_CIDR = '10.244.0.0/16';
export const SERVICE_CIDR = '10.96.0.0/12';
/** registry.k8s.io/etcd's tag of the etcd hack/build-binaries.sh builds (hack/kubeadm/build.sh pushes it). */
const ETCD_IMAGE_TAG = '3.6.16-0';
const KUBELET = '/usr/local/bin/kubelet';
const KUBECTL = '/usr/local/bin/kubectl --kubeconfig /etc/kubernetes/admin.conf';

/**
 * Preflight checks that fail only because the hosts are containers sharing this machine's kernel.
 * Named one by one, so that any other failure stops the bring-up as it would stop an admin.
 */
export const PREFLIGHT_IGNORED = [
  // The kernel's config is not in the container (no /boot, no /proc/config.gz), and this kernel
  // runs cgroup v1, which Kubernetes 1.36 accepts only with failCgroupV1: false (set below).
  'SystemVerification',
];

export interface KubeadmHost {
  name: string;
  /** Its address on the hosts' network: node IP, and the API endpoint of the first control plane. */
  ip: string;
  target: HostTarget;
}

export interface KubeadmInput {
  version: string;
  /** Control planes first. */
  hosts: KubeadmHost[];
  controlPlanes: number;
  /** `address:port` of the image registry holding hack/kubeadm/build.sh's images under kubesmith/. */
  registry: string;
  artifactsBaseURL: string;
  artifacts: ArtifactCache;
  pool: SshPool;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Called with the admin kubeconfig as soon as `kubeadm init` has written it. */
  onAdminKubeconfig?: (kubeconfig: string) => void;
}

const KUBELET_SERVICE = [
  '[Unit]',
  'Description=kubelet: The Kubernetes Node Agent',
  'Documentation=https://kubernetes.io/docs/',
  'Wants=network-online.target',
  'After=network-online.target',
  '',
  '[Service]',
  `ExecStart=${KUBELET}`,
  'Restart=always',
  'StartLimitInterval=0',
  'RestartSec=10',
  '',
  '[Install]',
  'WantedBy=multi-user.target',
  '',
].join('\n');

// The packages' 10-kubeadm.conf, with the binary where the artifacts put it.
const KUBEADM_DROP_IN = [
  '[Service]',
  'Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"',
  'Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"',
  'EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env',
  'EnvironmentFile=-/etc/default/kubelet',
  'ExecStart=',
  `ExecStart=${KUBELET} $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS`,
  '',
].join('\n');

/**
 * kubeadm's kube-proxy is a privileged pod, which runc cannot create in a host that is itself an
 * unprivileged container (it may not widen the devices cgroup: "devices.allow: operation not
 * permitted"). What iptables needs instead, as kubesmith's flannel has it.
 */
const KUBE_PROXY_UNPRIVILEGED = JSON.stringify([
  { op: 'replace', path: '/spec/template/spec/containers/0/securityContext', value: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } } },
]);

/** What `kubeadm token generate` makes: [a-z0-9]{6}.[a-z0-9]{16}. */
function bootstrapToken(): string {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (n: number) => [...randomBytes(n)].map((b) => chars[b % chars.length]).join('');
  return `${pick(6)}.${pick(16)}`;
}

const yamlDocs = (docs: object[]) => docs.map((d) => stringify(d)).join('---\n');

function nodeRegistration(host: KubeadmHost) {
  return {
    name: host.name,
    criSocket: `unix://${NODE_PATHS.containerdSocket}`,
    kubeletExtraArgs: [{ name: 'node-ip', value: host.ip }],
    ignorePreflightErrors: PREFLIGHT_IGNORED,
  };
}

function initConfig(input: KubeadmInput, token: string, certificateKey: string): string {
  const first = input.hosts[0]!;
  return yamlDocs([
    {
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'InitConfiguration',
      bootstrapTokens: [{ token, ttl: '1h' }],
      certificateKey,
      localAPIEndpoint: { advertiseAddress: first.ip, bindPort: 6443 },
      nodeRegistration: nodeRegistration(first),
    },
    {
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'ClusterConfiguration',
      kubernetesVersion: input.version,
      imageRepository: `${input.registry}/kubesmith`,
      // A careful admin puts a load balancer here; the first control plane's address is the
      // baseline's shortcut, which only makes it faster.
      controlPlaneEndpoint: `${first.ip}:6443`,
      networking: { podSubnet: POD_CIDR, serviceSubnet: SERVICE_CIDR, dnsDomain: 'cluster.local' },
      etcd: { local: { imageTag: ETCD_IMAGE_TAG } },
    },
    { apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', cgroupDriver: 'systemd', failCgroupV1: false },
    // In an unprivileged pod /proc/sys is read only: 0 leaves each conntrack setting as it is (and a
    // container cannot write nf_conntrack_max anyway; kind sets the same), and without
    // localhostNodePorts kube-proxy needs no route_localnet. kubesmith's kube-proxy, a host unit,
    // needs only maxPerCore: 0.
    {
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      mode: 'iptables',
      conntrack: { maxPerCore: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
      iptables: { localhostNodePorts: false },
    },
  ]);
}

function joinConfig(input: KubeadmInput, host: KubeadmHost, token: string, caHash: string, certificateKey: string | undefined): string {
  return yamlDocs([
    {
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'JoinConfiguration',
      discovery: { bootstrapToken: { apiServerEndpoint: `${input.hosts[0]!.ip}:6443`, token, caCertHashes: [caHash] } },
      nodeRegistration: nodeRegistration(host),
      ...(certificateKey ? { controlPlane: { localAPIEndpoint: { advertiseAddress: host.ip, bindPort: 6443 }, certificateKey } } : {}),
    },
  ]);
}

/** Binaries, containerd and the kubelet unit: what `apt-get install kubelet kubeadm kubectl` and the container runtime guide do. */
async function installPackages(session: HostSession, input: KubeadmInput): Promise<void> {
  const { artifactsBaseURL: base, version, artifacts } = input;
  const refs = [
    containerdRelease(base, NODE_VERSIONS.containerd, 'amd64'),
    runcBinary(base, NODE_VERSIONS.runc, 'amd64'),
    cniPlugins(base, NODE_VERSIONS.cniPlugins, 'amd64', CNI_PLUGINS),
    ...['kubelet', 'kubeadm', 'kubectl'].map((name) => kubernetesBinary(base, version, 'amd64', name)),
  ];
  for (const artifact of await Promise.all(refs.map((ref) => artifacts.get(ref, 'Required')))) await pushArtifact(session, artifact);
  const registry = `http://${input.registry}`;
  const mirrors = [{ registry: input.registry, endpoints: [registry] }];
  await writeFiles(session, [
    { path: NODE_PATHS.containerdConfig, mode: 0o644, content: containerdConfig({ imageRepository: `${input.registry}/kubesmith`, registryMirrors: mirrors, inContainer: true }) },
    ...registryHostsFiles(mirrors),
    { path: CONTAINERD_UNIT, mode: 0o644, content: containerdUnit() },
    { path: '/etc/systemd/system/kubelet.service', mode: 0o644, content: KUBELET_SERVICE },
    { path: '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf', mode: 0o644, content: KUBEADM_DROP_IN },
  ]);
  await session.check('systemctl daemon-reload && systemctl enable --now containerd && systemctl enable kubelet');
}

/** The pod network on one host once flanneld runs there: the CNI config from its lease. */
async function podNetwork(session: HostSession, name: string): Promise<void> {
  const { stdout } = await session.check('for i in $(seq 720); do [ -s /run/flannel/subnet.env ] && break; sleep 0.25; done; cat /run/flannel/subnet.env', { timeoutMs: 200_000 });
  const lease = parseSubnetEnv(stdout);
  if (!lease) throw new Error(`${name}: flanneld wrote no lease in 3 minutes: ${stdout}`);
  const [address, bits] = lease.subnet.split('/');
  const podCIDR = `${address!.replace(/\.\d+$/, '.0')}/${bits}`;
  await convergeFlannelHost(session, { name, podCIDR }, lease, POD_CIDR, undefined);
}

function flannelYaml(registry: string): string {
  const cp = { spec: { imageRepository: `${registry}/kubesmith`, clusterNetwork: { podCIDR: POD_CIDR } } } as ControlPlane;
  const addon = { spec: { provider: 'flannel', flannel: { backend: 'vxlan' } } } as NetworkAddon;
  return yamlDocs(flannelManifests(cp, addon));
}

/** Builds the cluster; returns the admin kubeconfig `kubeadm init` wrote. */
export async function kubeadmCluster(input: KubeadmInput): Promise<string> {
  const { hosts, controlPlanes, pool } = input;
  const log = input.log ?? (() => {});
  const on = <T>(host: KubeadmHost, work: (s: HostSession) => Promise<T>) => pool.withHost(host.target, work);
  const token = bootstrapToken();
  const certificateKey = randomBytes(32).toString('hex');
  const secrets = { secrets: [token, certificateKey] };
  const [first, ...rest] = hosts;
  // Awaited later; a failure meanwhile is not unhandled.
  const started = <T>(p: Promise<T>) => (p.catch(() => {}), p);
  const installed = new Map(hosts.map((h) => [h.name, started(on(h, (s) => installPackages(s, input)))]));
  const network = new Map<string, Promise<void>>();
  const afterJoin = (h: KubeadmHost) => network.set(h.name, started(on(h, (s) => podNetwork(s, h.name))));

  await installed.get(first!.name);
  log(`${first!.name}: kubeadm init`);
  const admin = await pool.withHost(
    first!.target,
    async (s) => {
      await writeFiles(s, [{ path: '/root/kubeadm-init.yaml', mode: 0o600, content: initConfig(input, token, certificateKey) }]);
      await s.check(`kubeadm init --config /root/kubeadm-init.yaml${controlPlanes > 1 ? ' --upload-certs' : ''}`, { timeoutMs: 600_000 });
      await s.check(`${KUBECTL} -n kube-system patch daemonset kube-proxy --type=json -p ${shellQuote(KUBE_PROXY_UNPRIVILEGED)}`);
      await s.check(`${KUBECTL} apply -f -`, { stdin: flannelYaml(input.registry) });
      return (await s.check('cat /etc/kubernetes/admin.conf')).stdout;
    },
    secrets,
  );
  input.onAdminKubeconfig?.(admin);
  afterJoin(first!);
  // What the admin copies from kubeadm init's output: the CA's public-key hash.
  const caHash = await on(first!, async (s) => {
    const { stdout } = await s.check('openssl x509 -pubkey -in /etc/kubernetes/pki/ca.crt | openssl pkey -pubin -outform der | sha256sum');
    return `sha256:${stdout.split(' ')[0]}`;
  });
  const join = async (host: KubeadmHost, controlPlane: boolean) => {
    await installed.get(host.name);
    log(`${host.name}: kubeadm join${controlPlane ? ' --control-plane' : ''}`);
    await pool.withHost(
      host.target,
      async (s) => {
        await writeFiles(s, [{ path: '/root/kubeadm-join.yaml', mode: 0o600, content: joinConfig(input, host, token, caHash, controlPlane ? certificateKey : undefined) }]);
        await s.check('kubeadm join --config /root/kubeadm-join.yaml', { timeoutMs: 600_000 });
      },
      secrets,
    );
    afterJoin(host);
  };
  const joinedControlPlanes = (async () => {
    for (const host of rest.slice(0, controlPlanes - 1)) await join(host, true);
  })();
  await Promise.all([joinedControlPlanes, ...rest.slice(controlPlanes - 1).map((h) => join(h, false))]);
  await Promise.all(network.values());
  return admin;
}
