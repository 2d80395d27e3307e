// Events in events.k8s.io/v1. A repeat of the same event on the same object within the series
// window becomes a series update on the first Event instead of a new object, as in client-go.
import { randomBytes } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { MERGE_PATCH, isNotFound, type KubeClient } from './kube-client.ts';
import { apiVersionOf, eventResource, resourcePath, type Resource } from './resources.ts';

export type EventType = 'Normal' | 'Warning';

interface Series {
  name: string;
  namespace: string;
  count: number;
  firstSeen: number;
}

const SERIES_WINDOW_MS = 30 * 60_000;
const NOTE_LIMIT = 1024;

function microTime(date: Date): string {
  return date.toISOString().replace('Z', '000Z');
}

export class EventRecorder {
  private readonly client: KubeClient;
  private readonly controller: string;
  private readonly instance: string;
  private readonly log: Logger;
  private readonly series = new Map<string, Series>();

  constructor(client: KubeClient, controller: string, instance: string, log: Logger) {
    this.client = client;
    this.controller = controller;
    this.instance = instance;
    this.log = log;
  }

  /** Records an event; failures are logged, never thrown, since an event must not fail a reconcile. */
  async record(
    regarding: KubernetesObject,
    resource: Resource,
    type: EventType,
    reason: string,
    action: string,
    note: string,
  ): Promise<void> {
    const meta = regarding.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const text = note.length > NOTE_LIMIT ? `${note.slice(0, NOTE_LIMIT - 3)}...` : note;
    const key = [meta.uid, type, reason, action, text].join('\u0000');
    const now = new Date();
    try {
      const seen = this.series.get(key);
      if (seen && now.getTime() - seen.firstSeen < SERIES_WINDOW_MS) {
        seen.count++;
        try {
          await this.client.patch(
            resourcePath(eventResource, seen.namespace, seen.name),
            { series: { count: seen.count, lastObservedTime: microTime(now) } },
            MERGE_PATCH,
          );
          return;
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      }
      const name = `${meta.name}.${randomBytes(8).toString('hex')}`;
      await this.client.create(resourcePath(eventResource, namespace), {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name, namespace },
        eventTime: microTime(now),
        reportingController: this.controller,
        reportingInstance: this.instance,
        action,
        reason,
        type,
        note: text,
        regarding: {
          apiVersion: apiVersionOf(resource),
          kind: resource.kind,
          name: meta.name,
          namespace: meta.namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
      });
      this.series.set(key, { name, namespace, count: 1, firstSeen: now.getTime() });
      this.prune(now.getTime());
    } catch (error) {
      this.log.warn({ err: error, reason }, 'could not record event');
    }
  }

  private prune(now: number) {
    for (const [key, s] of this.series) if (now - s.firstSeen >= SERIES_WINDOW_MS) this.series.delete(key);
  }
}
