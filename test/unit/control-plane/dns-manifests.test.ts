import { describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../../src/api/index.ts';
import { COREDNS_VERSION, coreDnsImage, coreDnsManifests, corefile } from '../../../src/controllers/control-plane/dns/manifests.ts';

const cp = {
  spec: { imageRepository: 'registry.test:5000/kubesmith', clusterNetwork: { podCIDR: '10.244.0.0/16', serviceCIDR: '10.100.0.0/16', dnsDomain: 'corp.example' } },
} as unknown as ControlPlane;

describe('CoreDNS as the ControlPlane installs it', () => {
  it('puts kube-dns at the tenth address of the service range, where every kubelet’s clusterDNS points', () => {
    const service = coreDnsManifests(cp).find((m) => m.kind === 'Service') as unknown as { metadata: { name: string; namespace: string }; spec: { clusterIP: string } };
    expect(service.metadata).toMatchObject({ name: 'kube-dns', namespace: 'kube-system' });
    expect(service.spec.clusterIP).toBe('10.100.0.10');
  });

  it('serves the cluster’s own domain, forwards the rest to the kubelet’s resolv.conf and keeps the loop plugin', () => {
    const text = corefile('corp.example');
    expect(text).toContain('kubernetes corp.example in-addr.arpa ip6.arpa {');
    expect(text).toContain('forward . /etc/resolv.conf {');
    expect(text).toMatch(/^\s+loop$/m);
    const deployment = coreDnsManifests(cp).find((m) => m.kind === 'Deployment') as unknown as {
      spec: { replicas: number; template: { spec: { dnsPolicy: string; containers: { image: string }[]; tolerations: { key: string }[] } } };
    };
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.dnsPolicy).toBe('Default');
    expect(deployment.spec.template.spec.containers[0]!.image).toBe(`registry.test:5000/kubesmith/coredns:${COREDNS_VERSION}`);
    expect(deployment.spec.template.spec.tolerations.map((t) => t.key)).toContain('node-role.kubernetes.io/control-plane');
  });

  it('asks a replica whether it is ready every 2 s, so one that has just started serves within 2 s', () => {
    const deployment = coreDnsManifests(cp).find((m) => m.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: { readinessProbe: { httpGet: { path: string; port: number }; periodSeconds: number } }[] } } };
    };
    expect(deployment.spec.template.spec.containers[0]!.readinessProbe).toMatchObject({ httpGet: { path: '/ready', port: 8181 }, periodSeconds: 2 });
  });

  it('takes the image from registry.k8s.io’s coredns/ path by default, as kubeadm does', () => {
    expect(coreDnsImage('registry.k8s.io')).toBe(`registry.k8s.io/coredns/coredns:${COREDNS_VERSION}`);
  });
});
