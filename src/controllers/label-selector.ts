// metav1.LabelSelector matching, as apimachinery's LabelSelectorAsSelector: every matchLabels pair
// and every expression must hold; an empty selector matches everything.
import type { z } from 'zod';
import type { labelSelector } from '../api/common.ts';

export type LabelSelector = z.output<typeof labelSelector>;

export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>> = {}): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const ok =
      operator === 'In' ? has && values.includes(labels[key]!)
      : operator === 'NotIn' ? !has || !values.includes(labels[key]!)
      : operator === 'Exists' ? has
      : !has;
    if (!ok) return false;
  }
  return true;
}
