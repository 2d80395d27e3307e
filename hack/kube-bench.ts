// kube-bench (Aqua Security's runner of the CIS Kubernetes Benchmark) on a test host: the binary
// hack/build-kube-bench.sh builds and a config directory go into the host's container with
// `docker cp` (a measurement, not a kubesmith action), it runs there as root, and its JSON becomes a
// report of PASS/FAIL/WARN/INFO per section. The checks are upstream's, unchanged: only
// config.yaml, which tells kube-bench where each component's files are, is adjusted: kubesmith's
// paths for its layout (kubesmithFiles), two packaged kubelet unit paths for kubeadm's
// (KUBEADM_FILES).
//
// The benchmark is cis-1.12, for Kubernetes 1.32 to 1.34: the newest CIS benchmark kube-bench
// v0.16.0 has. The clusters run v1.36, so it is named with --benchmark rather than detected.
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { kubeApiServer } from '../src/controllers/control-plane/components/kube-apiserver.ts';
import { kubeControllerManager } from '../src/controllers/control-plane/components/kube-controller-manager.ts';
import { kubeScheduler } from '../src/controllers/control-plane/components/kube-scheduler.ts';
import { PKI_FILES } from '../src/controllers/control-plane/components/pki-files.ts';
import { ETCD_UNIT_PATH } from '../src/controllers/control-plane/etcd/unit.ts';
import { KUBE_PROXY_UNIT } from '../src/controllers/node/kube-proxy.ts';
import { KUBELET_UNIT } from '../src/controllers/node/kubelet.ts';
import { NODE_PATHS } from '../src/controllers/node/paths.ts';
import { repoRoot } from '../test/support/manifests.ts';
import type { TestHost } from '../test/support/hosts.ts';
import { table } from './bench-world.ts';

export type Layout = 'kubesmith' | 'kubeadm';
export type Role = 'control-plane' | 'worker';
export type Section = '1' | '2' | '4';
export type Status = 'PASS' | 'FAIL' | 'WARN' | 'INFO';
export type Counts = Record<Status, number>;

export const BENCHMARK = 'cis-1.12';
export const SECTIONS: Record<Section, string> = { '1': 'control plane', '2': 'etcd', '4': 'worker node' };
const STATUSES: readonly Status[] = ['PASS', 'FAIL', 'WARN', 'INFO'];
/** kube-bench's targets: a kubesmith control plane is a Node too, so it gets section 4 as well. */
const TARGETS: Record<Role, string> = { 'control-plane': 'master,etcd,node', worker: 'node' };
/** Where the binary and its config go on the host; removed after the run. */
const HOST_DIR = '/opt/kubesmith-kube-bench';

/** What a run needs of a host: its container (files go in with `docker cp`) and a root shell in it. */
export type BenchHost = Pick<TestHost, 'name' | 'run'> & { container: Pick<TestHost['container'], 'getId'> };

export interface Finding {
  section: Section;
  id: string;
  status: 'FAIL' | 'WARN';
  /** A FAIL is a scored check that failed; an unscored (Manual) one that fails is a WARN. */
  scored: boolean;
  description: string;
  /** What the check wanted, in kube-bench's words: `'--profiling' is equal to 'false'`. */
  expected: string;
  /** What the audit found: the flag or config field the check names where it can be picked out, else its output shortened. */
  actual: string;
  /** The first line of kube-bench's remediation, shortened. */
  remediation: string;
}

export interface KubeBenchReport {
  host: string;
  layout: Layout;
  role: Role;
  benchmark: string;
  sections: Partial<Record<Section, Counts>>;
  /** Every check's status, by its number (`1.1.1`). */
  checks: Record<string, Status>;
  findings: Finding[];
}

export interface KubeBenchOptions {
  layout: Layout;
  role: Role;
  /** The ControlPlane's spec.etcd.dataDir (kubesmith layout). */
  etcdDataDir?: string;
}

// ---- Where the components' files are. kube-bench takes, for each component, the first existing
// path of a list (`confs`, `svc`, `kubeconfig`, `cafile`, `datadirs`) and else its default, and
// puts it in the checks' audits as $apiserverconf, $kubeletsvc and so on.

type FileKey = 'confs' | 'svc' | 'kubeconfig' | 'cafile' | 'datadirs';
const DEFAULT_KEY: Record<FileKey, string> = {
  confs: 'defaultconf',
  svc: 'defaultsvc',
  kubeconfig: 'defaultkubeconfig',
  cafile: 'defaultcafile',
  datadirs: 'defaultdatadir',
};

export interface FileEdit {
  /** The config.yaml block: `master.apiserver`, `node.kubelet`, ... */
  component: string;
  key: FileKey;
  path: string;
  /** `first`: looked for before upstream's paths, and the default; `last`: after upstream's. */
  where: 'first' | 'last';
  why: string;
}

/**
 * kubesmith's files, from the constants its installer writes them with. Each is looked for first
 * and is the default, so a file missing on the host is reported by kubesmith's path, never passed
 * over for an upstream path that does not exist either. Section 2 reads the top-level `etcd`
 * block, section 1 `master.etcd`; both get etcd's files.
 */
export function kubesmithFiles(etcdDataDir = '/var/lib/etcd'): FileEdit[] {
  const unit = 'runs as a systemd unit whose ExecStart holds its flags: the unit is its "pod specification file" (1.1.1 to 1.1.8)';
  return [
    { component: 'master.apiserver', key: 'confs', path: kubeApiServer.unitPath, where: 'first', why: `kube-apiserver ${unit}` },
    { component: 'master.controllermanager', key: 'confs', path: kubeControllerManager.unitPath, where: 'first', why: `kube-controller-manager ${unit}` },
    { component: 'master.scheduler', key: 'confs', path: kubeScheduler.unitPath, where: 'first', why: `kube-scheduler ${unit}` },
    { component: 'master.etcd', key: 'confs', path: ETCD_UNIT_PATH, where: 'first', why: `etcd ${unit}` },
    { component: 'etcd.etcd', key: 'confs', path: ETCD_UNIT_PATH, where: 'first', why: `etcd ${unit}` },
    // The data directory itself, not upstream's default.etcd below it (1.1.11, 1.1.12 look for
    // etcd's --data-dir first; this is their fallback).
    { component: 'master.etcd', key: 'datadirs', path: etcdDataDir, where: 'first', why: "etcd's --data-dir (spec.etcd.dataDir)" },
    { component: 'etcd.etcd', key: 'datadirs', path: etcdDataDir, where: 'first', why: "etcd's --data-dir (spec.etcd.dataDir)" },
    // kubeadm's names today; named from src/ so a move there moves here (1.1.15 to 1.1.18).
    { component: 'master.controllermanager', key: 'kubeconfig', path: PKI_FILES.controllerManagerKubeconfig, where: 'first', why: 'its --kubeconfig' },
    { component: 'master.scheduler', key: 'kubeconfig', path: PKI_FILES.schedulerKubeconfig, where: 'first', why: 'its --kubeconfig' },
    // 4.1.9, 4.1.10 and the config-file checks of 4.2 (in upstream's list, after others).
    { component: 'node.kubelet', key: 'confs', path: NODE_PATHS.kubeletConfig, where: 'first', why: "the kubelet's --config" },
    // 4.1.1, 4.2: the kubelet's flags are in its unit; kubesmith writes no kubeadm drop-in.
    { component: 'node.kubelet', key: 'svc', path: KUBELET_UNIT, where: 'first', why: "the kubelet's unit, which holds its flags" },
    { component: 'node.kubelet', key: 'kubeconfig', path: NODE_PATHS.kubeletKubeconfig, where: 'first', why: "the kubelet's --kubeconfig (4.1.5, 4.1.6)" },
    { component: 'node.kubelet', key: 'cafile', path: NODE_PATHS.clusterCA, where: 'first', why: 'authentication.x509.clientCAFile (4.1.7, 4.1.8)' },
    // kube-proxy is a unit too, not kubeadm's DaemonSet; upstream's lists lack its kubeconfig's
    // name (4.1.3, 4.1.4). 4.3.1 reads $proxykubeconfig for metricsBindAddress, which lives in the
    // config file instead: there it finds the field unset and passes on that, as on kubeadm.
    { component: 'node.proxy', key: 'confs', path: NODE_PATHS.kubeProxyConfig, where: 'first', why: "kube-proxy's --config" },
    { component: 'node.proxy', key: 'kubeconfig', path: NODE_PATHS.kubeProxyKubeconfig, where: 'first', why: "kube-proxy's clientConnection.kubeconfig" },
    { component: 'node.proxy', key: 'svc', path: KUBE_PROXY_UNIT, where: 'first', why: "kube-proxy's unit" },
  ];
}

/**
 * kubeadm's own layout is upstream's defaults, with one addition: the kubelet's unit and kubeadm's
 * drop-in where the pkgs.k8s.io packages install them (/usr/lib/systemd/system), after upstream's
 * /etc/systemd/system paths. The kubelet binary may be /usr/bin/kubelet (packages) or
 * /usr/local/bin/kubelet (a release download): kube-bench's `bins` match a process by name with any
 * directory before it, so upstream's `kubelet` entry finds either.
 */
export const KUBEADM_FILES: readonly FileEdit[] = [
  { component: 'node.kubelet', key: 'svc', path: '/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf', where: 'last', why: "the package's drop-in" },
  { component: 'node.kubelet', key: 'svc', path: '/usr/lib/systemd/system/kubelet.service', where: 'last', why: "the package's unit" },
  // Upstream's comment in config.yaml: every `svc` path must also be among `confs`.
  { component: 'node.kubelet', key: 'confs', path: '/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf', where: 'last', why: 'as svc' },
  { component: 'node.kubelet', key: 'confs', path: '/usr/lib/systemd/system/kubelet.service', where: 'last', why: 'as svc' },
];

function applyFileEdit(doc: Document, edit: FileEdit): void {
  const block = edit.component.split('.');
  const list = doc.getIn([...block, edit.key]);
  if (!isSeq(list)) throw new Error(`kube-bench's config.yaml has no list ${edit.component}.${edit.key}; has its layout changed?`);
  // In place, so upstream's other entries and its comments stay as they are.
  list.items = list.items.filter((item) => !(isScalar(item) && item.value === edit.path));
  if (edit.where === 'first') {
    list.items.unshift(doc.createNode(edit.path));
    doc.setIn([...block, DEFAULT_KEY[edit.key]], edit.path);
  } else {
    list.items.push(doc.createNode(edit.path));
  }
}

/** Upstream's config.yaml with the layout's file locations. */
export function kubeBenchConfig(upstream: string, layout: Layout, etcdDataDir?: string): string {
  const doc = parseDocument(upstream);
  for (const edit of layout === 'kubesmith' ? kubesmithFiles(etcdDataDir) : KUBEADM_FILES) applyFileEdit(doc, edit);
  return doc.toString();
}

// ---- Running it.

let built: string | undefined;

/** The directory hack/build-kube-bench.sh builds kube-bench and its cfg/ into (built once, cached). */
export function kubeBenchDir(): string {
  built ??= execFileSync('bash', [join(repoRoot, 'hack', 'build-kube-bench.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return built;
}

const run = promisify(execFile);

/** A host of a running container (the dev cluster's, named in .kubesmith-dev/state.json): `docker exec` as root. */
export function hostOfContainer(id: string, name = id.slice(0, 12)): BenchHost {
  return {
    name,
    container: { getId: () => id },
    async run(command) {
      try {
        const { stdout, stderr } = await run('docker', ['exec', id, 'sh', '-c', command], { maxBuffer: 64 << 20 });
        return { exitCode: 0, stdout, stderr };
      } catch (error) {
        const e = error as { code?: unknown; stdout?: string; stderr?: string };
        if (typeof e.code !== 'number') throw error;
        return { exitCode: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    },
  };
}

export async function runKubeBench(host: BenchHost, options: KubeBenchOptions): Promise<KubeBenchReport> {
  const source = kubeBenchDir();
  const stage = mkdtempSync(join(tmpdir(), 'kubesmith-kube-bench-'));
  try {
    cpSync(join(source, 'cfg'), join(stage, 'cfg'), { recursive: true });
    const config = join(stage, 'cfg', 'config.yaml');
    writeFileSync(config, kubeBenchConfig(readFileSync(config, 'utf8'), options.layout, options.etcdDataDir));
    cpSync(join(source, 'kube-bench'), join(stage, 'kube-bench'));
    const id = host.container.getId();
    await host.run(`rm -rf ${HOST_DIR}`);
    await run('docker', ['cp', `${stage}/.`, `${id}:${HOST_DIR}`]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  const command =
    `${HOST_DIR}/kube-bench run --config-dir ${HOST_DIR}/cfg --config ${HOST_DIR}/cfg/config.yaml ` +
    `--benchmark ${BENCHMARK} --targets ${TARGETS[options.role]} --json`;
  const result = await host.run(`${command}; status=$?; rm -rf ${HOST_DIR}; exit $status`);
  if (result.exitCode !== 0) throw new Error(`kube-bench on ${host.name} exited ${result.exitCode}: ${result.stderr.trim()}`);
  return { ...parseKubeBench(result.stdout, host.name), layout: options.layout, role: options.role };
}

// ---- Its JSON (check/controls.go, check/check.go).

interface KubeBenchJson {
  Controls: { id: string; version: string; tests: { results: KubeBenchResult[] }[] }[];
}
interface KubeBenchResult {
  test_number: string;
  test_desc: string;
  status: Status;
  scored: boolean;
  actual_value: string;
  expected_result: string;
  remediation: string;
}

const oneLine = (text: string, max: number) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/**
 * A process's whole command line or a whole config file says little in a table: where the check
 * names a flag (`'--profiling'`) or a config field (`'{.rotateCertificates}'`), that is picked out.
 */
function actualOf(r: KubeBenchResult): string {
  const named = /'(--[\w-]+|\{\.[\w.]+\})'/.exec(r.expected_result)?.[1];
  if (!named || r.actual_value.length <= 120) return oneLine(r.actual_value, 120);
  if (named.startsWith('--')) {
    return new RegExp(`(?:^|\\s)(${named}(?:[= ][^\\s]+)?)`).exec(r.actual_value)?.[1] ?? `${named} not set`;
  }
  const path = named.slice(2, -1).split('.');
  try {
    const value = parseDocument(r.actual_value).getIn(path);
    return value === undefined ? `${path.join('.')} not set` : `${path.join('.')}: ${JSON.stringify(value)}`;
  } catch {
    return oneLine(r.actual_value, 120);
  }
}

export function parseKubeBench(json: string, host: string): Omit<KubeBenchReport, 'layout' | 'role'> {
  const parsed = JSON.parse(json) as KubeBenchJson;
  const report: Omit<KubeBenchReport, 'layout' | 'role'> = { host, benchmark: BENCHMARK, sections: {}, checks: {}, findings: [] };
  for (const control of parsed.Controls) {
    if (!(control.id in SECTIONS)) continue;
    const section = control.id as Section;
    const counts: Counts = { PASS: 0, FAIL: 0, WARN: 0, INFO: 0 };
    report.benchmark = control.version;
    for (const r of control.tests.flatMap((g) => g.results)) {
      counts[r.status]++;
      report.checks[r.test_number] = r.status;
      if (r.status !== 'FAIL' && r.status !== 'WARN') continue;
      report.findings.push({
        section,
        id: r.test_number,
        status: r.status,
        scored: r.scored,
        description: r.test_desc.replace(/ \((Automated|Manual)\)$/, ''),
        expected: r.expected_result,
        actual: actualOf(r),
        remediation: oneLine(r.remediation.split('\n')[0] ?? '', 120),
      });
    }
    report.sections[section] = counts;
  }
  return report;
}

// ---- Tables.

export interface LabelledReport {
  /** The column's heading, for example `kubesmith control plane`. */
  label: string;
  report: KubeBenchReport;
}

const byNumber = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/**
 * Two or more reports side by side: PASS / FAIL / WARN / INFO per section, then every check that
 * is not PASS in at least one of them, with its status in each (`-` where a report has no such
 * check: section 1 and 2 on a worker).
 */
export function formatKubeBench(columns: readonly LabelledReport[]): string {
  const heading = ['', ...columns.map((c) => c.label)];
  const counts: string[][] = [heading];
  for (const [section, name] of Object.entries(SECTIONS) as [Section, string][]) {
    if (columns.every((c) => !c.report.sections[section])) continue;
    counts.push([
      `${section} ${name}`,
      ...columns.map(({ report }) => {
        const c = report.sections[section];
        return c ? STATUSES.map((s) => c[s]).join(' / ') : '-';
      }),
    ]);
  }
  const findings = columns.flatMap((c) => c.report.findings);
  const ids = [...new Set(findings.map((f) => f.id))].sort(byNumber);
  const text = new Map(findings.map((f) => [f.id, f.description] as const));
  const checks: string[][] = [['Checks not PASS in at least one column'], heading];
  for (const id of ids) checks.push([`${id} ${oneLine(text.get(id)!, 72)}`, ...columns.map((c) => c.report.checks[id] ?? '-')]);
  return `${table(counts)}\n\n${ids.length > 0 ? table(checks) : 'Every check PASS in every column.'}`;
}

/** One report's FAILs and WARNs with what the audit found and kube-bench's remediation. */
export function formatFindings(report: KubeBenchReport): string {
  const lines = [`${report.layout} ${report.role} (${report.host}), ${report.benchmark}:`];
  for (const f of report.findings) {
    lines.push(`  ${f.status} ${f.id} ${f.description}`, `       wanted: ${f.expected || '(a manual check)'}`,
      `       found:  ${f.actual || '(nothing)'}`, `       fix:    ${f.remediation}`);
  }
  return lines.join('\n');
}
