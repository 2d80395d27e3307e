// The tests' image registry (test/support/image-registry.ts): the images hack/build-images.sh
// built are there with the settings a node needs, nothing can be pushed, and pulls are recorded.
import { describe, expect, it } from 'vitest';
import { NETCHECK_IMAGE_TAG, PAUSE_IMAGE_TAG, startImageRegistry } from '../support/image-registry.ts';
import { waitFor } from '../support/wait.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

describe('the test image registry', () => {
  it('serves pause and netcheck read-only and records each manifest pulled', async () => {
    const registry = await startImageRegistry('127.0.0.1');
    try {
      const configOf = async (repository: string, tag: string) => {
        const res = await fetch(`http://${registry.host}/v2/${repository}/manifests/${tag}`, { headers: { accept: OCI_MANIFEST } });
        expect(res.status, `${repository}:${tag}`).toBe(200);
        const manifest = (await res.json()) as { config: { digest: string } };
        return (await fetch(`http://${registry.host}/v2/${repository}/blobs/${manifest.config.digest}`)).json();
      };
      expect(await configOf('kubesmith/pause', PAUSE_IMAGE_TAG)).toMatchObject({
        os: 'linux',
        architecture: 'amd64',
        config: { Entrypoint: ['/pause'] },
      });
      for (const repository of ['kubesmith/netcheck', 'library/netcheck', 'netcheck']) {
        expect(await configOf(repository, NETCHECK_IMAGE_TAG)).toMatchObject({
          os: 'linux',
          config: { Entrypoint: ['/netcheck'], Cmd: ['serve'] },
        });
      }

      const upload = await fetch(`http://${registry.host}/v2/kubesmith/pause/blobs/uploads/`, { method: 'POST' });
      expect(upload.status).toBe(405);

      // The access log line comes after the response.
      await waitFor('the pulls in the access log', () => registry.pulls().length >= 4);
      const pulled = registry.pulls();
      expect(pulled).toContainEqual({ client: '127.0.0.1', repository: 'kubesmith/pause', reference: PAUSE_IMAGE_TAG, status: 200 });
      expect(pulled.map((p) => p.repository)).toEqual(['kubesmith/pause', 'kubesmith/netcheck', 'library/netcheck', 'netcheck']);
    } finally {
      await registry.stop();
    }
  });
});
