import { describe, expect, it } from 'vitest';
import { trustedClusterId } from '../../../../src/controllers/control-plane/etcd/membership.ts';

describe('the etcd cluster kubesmith trusts', () => {
  it('keeps the recorded cluster while any member still reports it, even outvoted', () => {
    expect(trustedClusterId(['b', 'b', 'a'], 'a')).toBe('a');
  });

  it('takes the cluster most members report when none reports the recorded one, ties to the earlier member', () => {
    expect(trustedClusterId(['a', 'b', 'b'], 'gone')).toBe('b');
    expect(trustedClusterId(['b', undefined, 'a'], undefined)).toBe('b');
  });

  it('has none when no member answered', () => {
    expect(trustedClusterId([undefined, undefined], 'a')).toBeUndefined();
  });
});
