import { describe, expect, it } from 'vitest';
import { altNames, canonicalIp, firstAddress, InvalidFactsError, nthAddress } from '../../../src/pki/index.ts';

describe('IP addresses', () => {
  it('gives the kubernetes Service address: the first of the service CIDR', () => {
    expect(firstAddress('10.96.0.0/12')).toBe('10.96.0.1');
    expect(firstAddress('10.96.0.0/24')).toBe('10.96.0.1');
    expect(firstAddress('172.30.7.0/23')).toBe('172.30.6.1');
    expect(firstAddress('fd00:10:96::/112')).toBe('fd00:10:96::1');
    expect(firstAddress('10.96.0.0/12,fd00::/108')).toBe('10.96.0.1');
    expect(firstAddress('fd00::/108, 10.96.0.0/12')).toBe('fd00::1');
  });

  it('refuses a service CIDR it cannot take an address from', () => {
    expect(() => firstAddress('10.96.0.0')).toThrow(InvalidFactsError);
    expect(() => firstAddress('banana/12')).toThrow('service CIDR "banana/12" is not a CIDR such as 10.96.0.0/12');
    expect(() => firstAddress('10.0.0.1/32')).toThrow('service CIDR "10.0.0.1/32" has no address number 1');
  });

  it('gives the n-th address of the service CIDR, and refuses one past its end', () => {
    expect(nthAddress('10.96.0.0/12', 10)).toBe('10.96.0.10');
    expect(nthAddress('10.96.0.0/28', 10)).toBe('10.96.0.10');
    expect(nthAddress('10.96.0.0/28', 15)).toBe('10.96.0.15');
    expect(() => nthAddress('10.96.0.0/28', 16)).toThrow(InvalidFactsError);
    expect(() => nthAddress('10.96.0.0/28', 16)).toThrow('service CIDR "10.96.0.0/28" has no address number 16');
  });

  it('writes IPv6 addresses in RFC 5952 form', () => {
    expect(canonicalIp('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalIp('FD00:0010:0000:0000:0000:0000:0000:0006')).toBe('fd00:10::6');
    expect(canonicalIp('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1');
    expect(canonicalIp('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    // A dotted IPv4 tail is the same address as its hex spelling.
    expect(canonicalIp('::ffff:10.0.0.1')).toBe(canonicalIp('::ffff:a00:1'));
    expect(canonicalIp('64:ff9b::192.0.2.33')).toBe(canonicalIp('64:ff9b::c000:221'));
  });

  it('sorts SAN entries into names and addresses without repeats', () => {
    expect(altNames('cp-1', '10.0.0.5', 'CP-1', '::1', '0:0::1', undefined, '', 'api.example')).toEqual({
      dns: ['cp-1', 'api.example'],
      ips: ['10.0.0.5', '::1'],
    });
  });
});
