// The SSH key Secrets that MachineHosts name: the only Secrets the operator caches. A management
// cluster holds many Secrets that are none of kubesmith's business (Helm releases, tokens, other
// teams' keys); caching them all costs memory and keeps other people's secrets in the operator's
// heap. As Cluster API caches only the Secrets labelled with a cluster name, kubesmith lists and
// watches only Secrets labelled `kubesmith.io/ssh-key`. A key Secret without the label is read with a
// GET when a MachineHost needs it and labelled then, so nobody has to label it by hand, and from then
// on it is cached and its changes re-enqueue its hosts. A Secret that does not exist yet cannot be
// watched without watching them all, so a host waiting for one polls (see retryAfter). The
// cluster's own Secrets (CAs, service-account and encryption keys, kubeconfig) are read with GETs
// when a ControlPlane reconciles, never cached.
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { MachineHost } from '../api/index.ts';
import type { Informer, Source } from '../runtime/informer.ts';
import { isNotFound, MERGE_PATCH, type KubeClient } from '../runtime/kube-client.ts';
import type { Manager } from '../runtime/manager.ts';
import { objectKey, resourcePath, secretResource } from '../runtime/resources.ts';

/** The label that puts a Secret in the operator's cache; its value does not matter. */
export const SSH_KEY_LABEL = 'kubesmith.io/ssh-key';

export type Secret = V1Secret & KubernetesObject;

/** A Secret by `namespace/name`: what building a host's SSH target reads. */
export interface SecretReader {
  get(key: string): Secret | undefined;
}

/** The manager's Secret cache, limited to key Secrets for every controller that reads Secrets. */
export function keySecretInformer(manager: Manager): Informer<Secret> {
  return manager.informer<Secret>(secretResource, { labelSelector: SSH_KEY_LABEL });
}

/** The key Secret names of a host: its own and its bastion's. */
export function keySecretNames(host: MachineHost): string[] {
  const names = [host.spec.sshKeySecretRef.name, host.spec.bastion?.sshKeySecretRef?.name];
  return [...new Set(names.filter((n): n is string => Boolean(n)))];
}

export class KeySecrets implements SecretReader {
  readonly informer: Informer<Secret>;
  private readonly client: KubeClient;
  private readonly fieldManager: string;
  /**
   * Our label writes the cache has not reported yet: the resourceVersion each made, or null while the
   * write is under way (the watch may report it before the PATCH answers).
   */
  private readonly ownWrites = new Map<string, string | null>();

  constructor(client: KubeClient, informer: Informer<Secret>, fieldManager: string) {
    this.client = client;
    this.informer = informer;
    this.fieldManager = fieldManager;
  }

  get(key: string): Secret | undefined {
    return this.informer.get(key);
  }

  /**
   * The host's key Secrets for one reconcile: from the cache, else read directly and labelled, so
   * that the cache holds them from now on. A Secret that does not exist is left out (reading its key
   * then says so). If the label cannot be written the Secret is still used, read directly each time.
   */
  async forHost(host: MachineHost, log: Logger): Promise<SecretReader> {
    const namespace = host.metadata.namespace!;
    const fetched = new Map<string, Secret>();
    for (const name of keySecretNames(host)) {
      const key = `${namespace}/${name}`;
      if (this.informer.get(key)) continue;
      const secret = await this.read(namespace, name);
      if (!secret) continue;
      fetched.set(key, secret);
      if (secret.metadata?.labels?.[SSH_KEY_LABEL] !== undefined) continue;
      try {
        fetched.set(key, await this.label(namespace, name));
      } catch (error) {
        log.warn({ err: error, secret: key }, `could not label the key Secret ${SSH_KEY_LABEL}; it is read directly until it can be`);
      }
    }
    return { get: (key) => fetched.get(key) ?? this.informer.get(key) };
  }

  /**
   * The cache's events minus the add that our own labelling causes: the reconcile that wrote the
   * label used the Secret already, so reconciling its hosts again would only cost an SSH round trip.
   */
  source(): Source<Secret> {
    return {
      on: (handler) =>
        this.informer.on((event, object, old) => {
          const key = objectKey(object);
          const own = this.ownWrites.get(key);
          if (own === null || (own !== undefined && own === object.metadata?.resourceVersion)) {
            this.ownWrites.delete(key);
            if (event === 'add') return;
          }
          handler(event, object, old);
        }),
      hasSynced: () => this.informer.hasSynced(),
    };
  }

  private async read(namespace: string, name: string): Promise<Secret | undefined> {
    try {
      return await this.client.get<Secret>(resourcePath(secretResource, namespace, name));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async label(namespace: string, name: string): Promise<Secret> {
    const key = `${namespace}/${name}`;
    const path = resourcePath(secretResource, namespace, name);
    this.ownWrites.set(key, null);
    let patched: Secret;
    try {
      patched = await this.client.patch<Secret>(path, { metadata: { labels: { [SSH_KEY_LABEL]: 'true' } } }, MERGE_PATCH, {
        fieldManager: this.fieldManager,
      });
    } catch (error) {
      this.ownWrites.delete(key);
      throw error;
    }
    // Still pending: the cache has not reported the write yet, so remember which version it made.
    if (this.ownWrites.get(key) === null) this.ownWrites.set(key, patched.metadata?.resourceVersion ?? '');
    return patched;
  }
}
