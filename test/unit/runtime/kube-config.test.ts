// The operator's own kubeconfig loading: what kubectl would use, without loading client-node.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KubeConfigError, LoadedKubeConfig, loadKubeConfig } from '../../../src/runtime/kube-config.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubesmith-kubeconfig-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString('base64');

function write(name: string, config: object): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, stringify(config));
  return path;
}

function kubeconfig(user: object, cluster: object = { server: 'https://api.example:6443/', 'certificate-authority-data': b64('CA') }) {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'main',
    contexts: [{ name: 'main', context: { cluster: 'c', user: 'u', namespace: 'ns' } }],
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
  };
}

async function applied(auth: { applyToHTTPSOptions(o: RequestOptions): Promise<void> }): Promise<RequestOptions & { headers: Record<string, string> }> {
  const opts: RequestOptions = { headers: { Accept: 'application/json' } };
  await auth.applyToHTTPSOptions(opts);
  return opts as RequestOptions & { headers: Record<string, string> };
}

describe('loadKubeConfig', () => {
  it('reads the current context of KUBECONFIG: server, CA and client certificate', async () => {
    const file = write('config', kubeconfig({ 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }));
    const auth = await loadKubeConfig({ env: { KUBECONFIG: file } });
    expect(auth).toBeInstanceOf(LoadedKubeConfig);
    expect(auth.getCurrentCluster()).toEqual({ server: 'https://api.example:6443' });
    expect((auth as LoadedKubeConfig).namespace).toBe('ns');
    const opts = await applied(auth);
    expect(String(opts.ca)).toBe('CA');
    expect(String(opts.cert)).toBe('CERT');
    expect(String(opts.key)).toBe('KEY');
    expect(opts.headers.Authorization).toBeUndefined();
    // One keep-alive agent for every request.
    expect(opts.agent).toBeDefined();
    expect((await applied(auth)).agent).toBe(opts.agent);
  });

  it('merges the files of KUBECONFIG as kubectl does: the first to set a value wins; paths are relative to their file', async () => {
    writeFileSync(join(dir, 'ca.crt'), 'CA FROM FILE');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'client.crt'), 'CERT FROM FILE');
    writeFileSync(join(dir, 'sub', 'client.key'), 'KEY FROM FILE');
    const first = write('first', {
      'current-context': 'main',
      contexts: [{ name: 'main', context: { cluster: 'c', user: 'u' } }],
      clusters: [{ name: 'c', cluster: { server: 'https://first:6443', 'certificate-authority': 'ca.crt', 'tls-server-name': 'kubernetes' } }],
    });
    const second = write('sub/second', {
      'current-context': 'other',
      contexts: [{ name: 'other', context: { cluster: 'c', user: 'u' } }],
      clusters: [{ name: 'c', cluster: { server: 'https://second:6443' } }],
      users: [{ name: 'u', user: { 'client-certificate': 'client.crt', 'client-key': 'client.key', as: 'someone' } }],
    });
    const auth = await loadKubeConfig({ env: { KUBECONFIG: [join(dir, 'missing'), first, second].join(delimiter) } });
    expect(auth.getCurrentCluster()).toEqual({ server: 'https://first:6443' });
    const opts = await applied(auth);
    expect(String(opts.ca)).toBe('CA FROM FILE');
    expect(String(opts.cert)).toBe('CERT FROM FILE');
    expect(String(opts.key)).toBe('KEY FROM FILE');
    expect(opts.servername).toBe('kubernetes');
    expect(opts.headers['Impersonate-User']).toBe('someone');
  });

  it('sends a bearer token, from the kubeconfig or a token file, or basic auth', async () => {
    const token = await loadKubeConfig({ env: { KUBECONFIG: write('a', kubeconfig({ token: 'T0KEN' })) } });
    expect((await applied(token)).headers.Authorization).toBe('Bearer T0KEN');
    writeFileSync(join(dir, 'token'), 'FROM-FILE\n');
    const file = await loadKubeConfig({ env: { KUBECONFIG: write('b', kubeconfig({ tokenFile: 'token' })) } });
    expect((await applied(file)).headers.Authorization).toBe('Bearer FROM-FILE');
    const basic = await loadKubeConfig({ env: { KUBECONFIG: write('c', kubeconfig({ username: 'admin', password: 'pw' }, { server: 'https://x', 'insecure-skip-tls-verify': true })) } });
    const opts = await applied(basic);
    expect(opts.auth).toBe('admin:pw');
    expect(opts.rejectUnauthorized).toBe(false);
  });

  it('runs an exec credential plugin once while its credential lasts, non-interactively', async () => {
    const plugin = join(dir, 'plugin.sh');
    const calls = join(dir, 'calls');
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    writeFileSync(
      plugin,
      `#!/bin/sh\necho "$KUBERNETES_EXEC_INFO $EXTRA" >> ${calls}\n` +
        `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"EXEC","expirationTimestamp":"${expires}"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    const exec = { apiVersion: 'client.authentication.k8s.io/v1', command: './plugin.sh', env: [{ name: 'EXTRA', value: 'yes' }] };
    const auth = await loadKubeConfig({ env: { KUBECONFIG: write('config', kubeconfig({ exec })) } });
    expect((await applied(auth)).headers.Authorization).toBe('Bearer EXEC');
    expect((await applied(auth)).headers.Authorization).toBe('Bearer EXEC');
    const lines = readFileSync(calls, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"interactive":false');
    expect(lines[0]).toMatch(/ yes$/);
  });

  it('says what failed when the plugin does', async () => {
    const auth = await loadKubeConfig({ env: { KUBECONFIG: write('config', kubeconfig({ exec: { command: 'false' } })) } });
    await expect(applied(auth)).rejects.toThrow('credential plugin false exited with 1');
  });

  it('uses ~/.kube/config without KUBECONFIG, and the service account in a cluster', async () => {
    write('home/.kube/config', kubeconfig({ token: 'HOME' }));
    const home = await loadKubeConfig({ env: {}, home: join(dir, 'home'), serviceAccountDir: join(dir, 'none') });
    expect((await applied(home)).headers.Authorization).toBe('Bearer HOME');

    const sa = join(dir, 'sa');
    mkdirSync(sa);
    writeFileSync(join(sa, 'token'), 'SA-TOKEN');
    writeFileSync(join(sa, 'ca.crt'), 'CLUSTER CA');
    writeFileSync(join(sa, 'namespace'), 'kubesmith-system');
    const env = { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' };
    const inCluster = await loadKubeConfig({ env, home: join(dir, 'nohome'), serviceAccountDir: sa });
    expect(inCluster.getCurrentCluster()).toEqual({ server: 'https://[fd00::1]:443' });
    expect((inCluster as LoadedKubeConfig).namespace).toBe('kubesmith-system');
    const opts = await applied(inCluster);
    expect(opts.headers.Authorization).toBe('Bearer SA-TOKEN');
    expect(String(opts.ca)).toBe('CLUSTER CA');

    await expect(loadKubeConfig({ env: {}, home: join(dir, 'nohome'), serviceAccountDir: join(dir, 'none') })).rejects.toBeInstanceOf(KubeConfigError);
  });

  it('hands a kubeconfig that needs an auth-provider or a proxy to client-node', async () => {
    const oidc = { 'auth-provider': { name: 'oidc', config: { 'id-token': 'ID', 'idp-issuer-url': 'https://issuer' } } };
    const auth = await loadKubeConfig({ env: { KUBECONFIG: write('config', kubeconfig(oidc)) } });
    expect(auth).toBeInstanceOf(KubeConfig);
    expect(auth.getCurrentCluster()?.server).toBe('https://api.example:6443');
    const proxied = await loadKubeConfig({ env: { KUBECONFIG: write('proxied', kubeconfig({ token: 'T' }, { server: 'https://x', 'proxy-url': 'http://proxy:3128' })) } });
    expect(proxied).toBeInstanceOf(KubeConfig);
  });

  it('names what is missing', async () => {
    const noContext = write('a', { ...kubeconfig({}), 'current-context': undefined });
    await expect(loadKubeConfig({ env: { KUBECONFIG: noContext } })).rejects.toThrow('no current-context');
    const noCluster = write('b', { ...kubeconfig({}), clusters: [] });
    await expect(loadKubeConfig({ env: { KUBECONFIG: noCluster } })).rejects.toThrow('names cluster c, which is not defined');
    await expect(loadKubeConfig({ env: { KUBECONFIG: join(dir, 'nothing') } })).rejects.toThrow('KUBECONFIG names no file that exists');
  });
});
