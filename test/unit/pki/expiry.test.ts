import { describe, expect, it } from 'vitest';
import {
  clusterExpiryReport,
  generateAuthority,
  generateClusterPki,
  issueCertificate,
  kubeadmCertificateSet,
} from '../../../src/pki/index.ts';
import { cluster, cp1, DAY, plannedHosts } from './support.ts';

describe('the expiry report', () => {
  it('lists every certificate with its host, soonest first, in RFC 3339', async () => {
    const now = new Date('2026-03-01T12:00:00.250Z');
    const pki = await generateClusterPki({ cluster, hosts: plannedHosts, options: { keyAlgorithm: 'ECDSAP256', now } });
    const report = clusterExpiryReport(pki);
    expect(report).toHaveLength(3 + 2 + 12 + 12 + 3);
    expect(report.slice(-3)).toEqual([
      { name: 'ca', notAfter: '2036-02-27T12:00:00Z' },
      { name: 'etcd/ca', notAfter: '2036-02-27T12:00:00Z' },
      { name: 'front-proxy-ca', notAfter: '2036-02-27T12:00:00Z' },
    ]);
    expect(report[0]).toEqual({ name: 'admin', notAfter: '2027-03-01T12:00:00Z' });
    expect(report.filter((e) => e.host === 'w-1')).toEqual([
      { name: 'kube-proxy', host: 'w-1', notAfter: '2027-03-01T12:00:00Z' },
      { name: 'kubelet', host: 'w-1', notAfter: '2027-03-01T12:00:00Z' },
      { name: 'kubelet-server', host: 'w-1', notAfter: '2027-03-01T12:00:00Z' },
    ]);
    expect(report.filter((e) => e.name === 'etcd/server').map((e) => e.host)).toEqual(['cp-1', 'cp-2']);
  });

  it('never shows a certificate outliving its CA', async () => {
    const now = new Date();
    const ca = await generateAuthority(kubeadmCertificateSet.authority('ca'), { keyAlgorithm: 'ECDSAP256', caValidityDays: 100, now });
    const leaf = await issueCertificate(kubeadmCertificateSet.certificate('apiserver'), { cluster, host: cp1 }, ca, {
      keyAlgorithm: 'ECDSAP256',
      validityDays: 365,
      now,
    });
    expect(leaf.certificate.notAfter).toEqual(ca.certificate.notAfter);
    expect(ca.certificate.notAfter.getTime() - now.getTime()).toBeLessThanOrEqual(100 * DAY);
  });
});
