// The host key recorded at first contact is kept in an annotation, so it survives a status lost in a
// backup or migration: with the status wiped and the host's keys swapped, nothing is run on it. A
// key an older version kept in status is moved into the annotation; removing the annotation re-pins.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDED_HOST_KEY_ANNOTATION } from '../../../src/controllers/machine-host/host-key-pin.ts';
import { machineHostResource } from '../../../src/controllers/resources.ts';
import { MERGE_PATCH } from '../../../src/runtime/kube-client.ts';
import { resourcePath } from '../../../src/runtime/resources.ts';
import type { TestHost, TestHosts } from '../../support/hosts.ts';
import { testKubeConfig } from '../../support/kube.ts';
import {
  condition,
  createMachineHost,
  eventsFor,
  getMachineHost,
  hostsWithController,
  nudge,
  waitForCondition,
  type HostWorld,
  type MachineHostEnv,
} from '../../support/machine-host-env.ts';
import { waitFor } from '../../support/wait.ts';

const kc = testKubeConfig();
let namespace: string;
let test: TestHosts;
let env: MachineHostEnv;
let world: HostWorld;
const host = (i: number): TestHost => test.hosts[i]!;
const keyLine = (line: string) => line.split(' ').slice(0, 2).join(' ');

beforeAll(async () => {
  world = await hostsWithController(kc, { namespace: 'pin', hosts: 'pin' }, 2);
  ({ namespace, test, env } = world);
});
afterAll(async () => {
  await world?.stop();
});

const path = (name: string, subresource?: string) => resourcePath(machineHostResource, namespace, name, subresource);
const patch = (name: string, body: unknown, subresource?: string) => env.client.patch(path(name, subresource), body, MERGE_PATCH);

/** Whether kubesmith changed anything on the host: its sysctl file exists only once prep ran. */
async function prepared(h: TestHost): Promise<boolean> {
  return (await h.run('test -e /etc/sysctl.d/99-kubesmith.conf')).exitCode === 0;
}

/** Counts the probes run on the host: the probe script calls nproc once, nothing else does. */
async function countProbes(h: TestHost): Promise<void> {
  const r = await h.run(
    'mv /usr/bin/nproc /usr/bin/nproc.real && ' +
      `printf '#!/bin/sh\\necho probe >> /run/probes\\nexec /usr/bin/nproc.real "$@"\\n' > /usr/bin/nproc && chmod +x /usr/bin/nproc`,
  );
  expect(r.exitCode).toBe(0);
}
async function probes(h: TestHost): Promise<number> {
  return Number((await h.run('cat /run/probes 2>/dev/null | wc -l')).stdout.trim());
}

function expectKstatus(mh: Awaited<ReturnType<typeof getMachineHost>>, stalledReason?: string) {
  if (stalledReason) {
    expect(condition(mh, 'Stalled')).toMatchObject({ status: 'True', reason: stalledReason });
    expect(condition(mh, 'Reconciling')).toMatchObject({ status: 'False' });
  } else {
    expect(condition(mh, 'Stalled')).toMatchObject({ status: 'False' });
    expect(condition(mh, 'Reconciling')).toMatchObject({ status: 'False' });
  }
}

describe('a recorded host key pin', () => {
  it('is written to an annotation at first contact, in one reconcile: the annotation write costs no second probe', async () => {
    await countProbes(host(0));
    await createMachineHost(env.client, namespace, 'pinned', host(0));
    const ready = await waitForCondition(env.client, namespace, 'pinned', 'Ready', 'True');
    expect(ready.metadata.annotations?.[RECORDED_HOST_KEY_ANNOTATION]).toBe(keyLine(host(0).hostKey));
    expect(ready.status?.hostKey).toBeUndefined();
    expect(ready.status?.hostKeyFingerprint).toMatch(/^SHA256:/);
    expectKstatus(ready);
    const events = await eventsFor(env.client, namespace, 'pinned');
    expect(events.find((e) => e.reason === 'HostKeyRecorded')?.note).toContain(ready.status!.hostKeyFingerprint!);
    // One reconcile: a probe, prep, a probe of the prepared host; none after the annotation was written.
    await sleep(2000);
    expect(await probes(host(0))).toBe(2);
  });

  it('survives a wiped status: a host whose keys were swapped is refused, Stalled, and nothing is run on it', async () => {
    const before = await getMachineHost(env.client, namespace, 'pinned');
    const pinned = before.metadata.annotations?.[RECORDED_HOST_KEY_ANNOTATION];
    const fingerprint = before.status?.hostKeyFingerprint;
    // What a restore without status leaves: the object with its annotations, no status at all.
    await patch('pinned', { status: null }, 'status');
    expect((await getMachineHost(env.client, namespace, 'pinned')).status?.conditions).toBeUndefined();
    const fresh = await test.recreate(host(0));
    expect(keyLine(fresh.hostKey)).not.toBe(pinned);
    const login = `root@${fresh.address}:22`;
    const roundTrips = env.pool.counters.forHost(login).roundTrips;

    await nudge(env.client, namespace, 'pinned');
    const refused = await waitForCondition(env.client, namespace, 'pinned', 'Reachable', 'False', 'HostKeyMismatch', 120_000);
    expect(condition(refused, 'Reachable')?.message).toContain(`but ${fingerprint} is pinned`);
    expect(condition(refused, 'Ready')).toMatchObject({ status: 'False', reason: 'HostKeyMismatch' });
    expectKstatus(refused, 'HostKeyMismatch');
    expect(refused.metadata.annotations?.[RECORDED_HOST_KEY_ANNOTATION]).toBe(pinned);
    await sleep(1500);
    expect(env.pool.counters.forHost(login).roundTrips).toBe(roundTrips);
    expect(await prepared(fresh)).toBe(false);
    expect((await fresh.run('hostname')).stdout.trim()).toBe('pin-1');
    const events = await eventsFor(env.client, namespace, 'pinned');
    expect(events.some((e) => e.reason === 'HostKeyMismatch' && e.type === 'Warning')).toBe(true);
  });

  it('is recorded again once a person removes the annotation', async () => {
    await patch('pinned', { metadata: { annotations: { [RECORDED_HOST_KEY_ANNOTATION]: null } } });
    const ready = await waitForCondition(env.client, namespace, 'pinned', 'Ready', 'True');
    expect(ready.metadata.annotations?.[RECORDED_HOST_KEY_ANNOTATION]).toBe(keyLine(host(0).hostKey));
    expectKstatus(ready);
    expect(await prepared(host(0))).toBe(true);
  });

  it('moves a key an older version kept in status into the annotation and pins it; spec.hostKey wins over it', async () => {
    // A key that is not host 1's, as an older version would have recorded it in status.
    const legacy = keyLine((await host(0).run('cat /etc/ssh/ssh_host_ed25519_key.pub')).stdout.trim());
    await createMachineHost(env.client, namespace, 'legacy', host(1), { paused: true });
    await waitForCondition(env.client, namespace, 'legacy', 'Ready', 'Unknown', 'Paused');
    await patch('legacy', { status: { hostKey: legacy } }, 'status');
    await patch('legacy', { spec: { paused: false } });

    const refused = await waitForCondition(env.client, namespace, 'legacy', 'Reachable', 'False', 'HostKeyMismatch');
    expectKstatus(refused, 'HostKeyMismatch');
    const moved = await waitFor('the key in the annotation and out of status', async () => {
      const mh = await getMachineHost(env.client, namespace, 'legacy');
      return mh.metadata.annotations?.[RECORDED_HOST_KEY_ANNOTATION] === legacy && mh.status?.hostKey === undefined ? mh : undefined;
    });
    expect(moved.metadata.annotations?.[RECORDED_HOST_KEY_ANNOTATION]).toBe(legacy);
    expect(await prepared(host(1))).toBe(false);

    await patch('legacy', { spec: { hostKey: keyLine(host(1).hostKey) } });
    const ready = await waitForCondition(env.client, namespace, 'legacy', 'Ready', 'True');
    expectKstatus(ready);
    expect(ready.metadata.annotations?.[RECORDED_HOST_KEY_ANNOTATION]).toBe(legacy);
  });
});
