// Parsers against output captured from etcdctl v3.6.16.
import { describe, expect, it } from 'vitest';
import { parseAddedMemberId, parseEndpointHealth, parseInitialCluster, parseMemberList } from '../../../../src/controllers/control-plane/etcd/etcdctl.ts';

describe('etcdctl output', () => {
  it('reads a member list with a voter and a learner, keeping the 64-bit IDs exact', () => {
    // As etcdctl printed it for a learner that has started; IDs beyond 2^53 would lose digits as numbers.
    const stdout =
      '{"header":{"cluster_id":13367942483008716877,"member_id":9750847167183059823,"raft_term":2},"members":[' +
      '{"ID":564115483863319141,"name":"cp-2","peerURLs":["https://10.231.194.11:2380"],"clientURLs":["https://10.231.194.11:2379"],"isLearner":true},' +
      '{"ID":9750847167183059823,"name":"cp-1","peerURLs":["https://10.231.194.10:2380"],"clientURLs":["https://10.231.194.10:2379"]}]}';
    expect(parseMemberList(stdout)).toEqual([
      { id: '7d4240b33f88265', name: 'cp-2', peerURLs: ['https://10.231.194.11:2380'], clientURLs: ['https://10.231.194.11:2379'], learner: true },
      { id: '8751f7d61b11fb6f', name: 'cp-1', peerURLs: ['https://10.231.194.10:2380'], clientURLs: ['https://10.231.194.10:2379'], learner: false },
    ]);
  });

  it('reads a member added but not started, which has no name yet', () => {
    const stdout = '{"header":{"cluster_id":1,"member_id":2,"raft_term":2},"members":[{"ID":12778400573262415959,"peerURLs":["https://10.0.0.12:2380"],"isLearner":true}]}';
    expect(parseMemberList(stdout)).toEqual([{ id: 'b155ff9e56f44857', name: '', peerURLs: ['https://10.0.0.12:2380'], clientURLs: [], learner: true }]);
  });

  it('reads the initial cluster member add prints', () => {
    const stdout =
      'Member b15b111c8bbbe70f added as learner to cluster  48276a8f75b6a87\n\nETCD_NAME="b"\n' +
      'ETCD_INITIAL_CLUSTER="a=https://10.0.0.11:2380,b=https://10.0.0.12:2380"\n' +
      'ETCD_INITIAL_ADVERTISE_PEER_URLS="https://10.0.0.12:2380"\nETCD_INITIAL_CLUSTER_STATE="existing"\n';
    expect(parseInitialCluster(stdout)).toEqual([
      { name: 'a', peerURL: 'https://10.0.0.11:2380' },
      { name: 'b', peerURL: 'https://10.0.0.12:2380' },
    ]);
  });

  it('reads the added member ID whether or not etcdctl padded it', () => {
    const added = (id: string) => `Member ${id} added as learner to cluster  48276a8f75b6a87\n\nETCD_NAME="b"\n`;
    expect(parseAddedMemberId(added('b15b111c8bbbe70f'))).toBe('b15b111c8bbbe70f');
    // An ID under 2^60 (this one is cp-2's in the member list above): `%16x` puts a space before it.
    expect(parseAddedMemberId(added(' 7d4240b33f88265'))).toBe('7d4240b33f88265');
    expect(parseAddedMemberId('Error: etcdserver: unhealthy cluster\n')).toBeUndefined();
  });

  it('tells a healthy endpoint from an unhealthy or silent one', () => {
    expect(parseEndpointHealth('[{"endpoint":"https://127.0.0.1:2379","health":true,"took":"4ms"}]', '')).toEqual({ healthy: true });
    expect(parseEndpointHealth('[{"endpoint":"https://127.0.0.1:2379","health":false,"took":"5s","error":"context deadline exceeded"}]', 'Error: unhealthy cluster')).toEqual({
      healthy: false,
      error: 'context deadline exceeded',
    });
    expect(parseEndpointHealth('', 'sh: 1: /usr/local/bin/etcdctl: not found\n')).toEqual({ healthy: false, error: 'sh: 1: /usr/local/bin/etcdctl: not found' });
  });
});
