import { describe, expect, it } from 'vitest';
import { setCondition, summarize, type ConditionInput } from '../../../src/runtime/conditions.ts';

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T00:05:00Z');

describe('setCondition', () => {
  it('keeps lastTransitionTime while the status stays the same, even as reason and message change', () => {
    const first = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'A', message: 'a' }, 1, t0);
    const second = setCondition(first, { type: 'Ready', status: 'False', reason: 'B', message: 'b' }, 2, t1);
    expect(second).toEqual([
      { type: 'Ready', status: 'False', reason: 'B', message: 'b', observedGeneration: 2, lastTransitionTime: '2026-01-01T00:00:00Z' },
    ]);
  });

  it('moves lastTransitionTime when the status changes, and leaves other conditions alone', () => {
    let list = setCondition(undefined, { type: 'Other', status: 'True', reason: 'X', message: '' }, 1, t0);
    list = setCondition(list, { type: 'Ready', status: 'False', reason: 'A', message: 'a' }, 1, t0);
    list = setCondition(list, { type: 'Ready', status: 'True', reason: 'Done', message: 'ok' }, 1, t1);
    expect(list.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
    expect(list.find((c) => c.type === 'Other')?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
  });
});

describe('summarize', () => {
  const c = (type: string, status: ConditionInput['status'], reason = `${type}Reason`): ConditionInput => ({
    type,
    status,
    reason,
    message: `${type} says ${status}`,
  });

  it('takes the first False over any Unknown, naming where it comes from', () => {
    const s = summarize([c('A', 'Unknown'), c('B', 'False'), c('C', 'False')], 'Ready', ['A', 'B', 'C'], 'Ok', 'fine');
    expect(s).toEqual({ type: 'Ready', status: 'False', reason: 'BReason', message: 'B: B says False' });
  });

  it('is Unknown when nothing is False but something is Unknown or missing', () => {
    expect(summarize([c('A', 'True')], 'Ready', ['A', 'B'], 'Ok', 'fine').status).toBe('Unknown');
    expect(summarize([c('A', 'True'), c('B', 'Unknown')], 'Ready', ['A', 'B'], 'Ok', 'fine').reason).toBe('BReason');
  });

  it('is True with the given reason when all are True', () => {
    expect(summarize([c('A', 'True'), c('B', 'True')], 'Ready', ['A', 'B'], 'Ok', 'fine')).toEqual({
      type: 'Ready',
      status: 'True',
      reason: 'Ok',
      message: 'fine',
    });
  });
});
