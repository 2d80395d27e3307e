// The binaries of a node for one architecture, downloaded and verified once per reconcile batch.
import type { ControlPlane } from '../../api/index.ts';
import { cniPlugins, containerdRelease, kubernetesBinary, runcBinary, type Artifact, type ArtifactCache } from '../../artifacts/index.ts';
import { CNI_PLUGINS, NODE_VERSIONS } from './versions.ts';

export type NodeArtifacts = readonly Artifact[];

/** containerd, runc, the CNI plugins, kubelet and kube-proxy for each architecture asked for. */
export async function nodeArtifacts(cache: ArtifactCache, cp: ControlPlane, version: string, arches: readonly string[]): Promise<Map<string, NodeArtifacts>> {
  const { baseURL, checksumPolicy } = cp.spec.artifacts;
  const refs = (arch: string) => [
    containerdRelease(baseURL, NODE_VERSIONS.containerd, arch),
    runcBinary(baseURL, NODE_VERSIONS.runc, arch),
    cniPlugins(baseURL, NODE_VERSIONS.cniPlugins, arch, CNI_PLUGINS),
    kubernetesBinary(baseURL, version, arch, 'kubelet'),
    kubernetesBinary(baseURL, version, arch, 'kube-proxy'),
  ];
  const unique = [...new Set(arches)];
  const perArch = await Promise.all(unique.map((arch) => Promise.all(refs(arch).map((ref) => cache.get(ref, checksumPolicy)))));
  return new Map(unique.map((arch, i) => [arch, perArch[i]!]));
}
