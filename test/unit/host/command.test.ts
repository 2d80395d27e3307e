import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { remoteCommand, stderrTail, stoppedByTimeout, sudoRefusal } from '../../../src/host/command.ts';
import { shellJoin, shellQuote } from '../../../src/host/index.ts';

const sh = (script: string) => execFileSync('sh', ['-c', script], { encoding: 'utf8' });

describe('command lines', () => {
  it('quotes words so that sh reads them back unchanged', () => {
    const words = ['plain', 'with space', "it's", '$HOME', '`id`', 'a"b', '', '*', 'new\nline', '--flag=x'];
    expect(sh(`printf '%s\\0' ${shellJoin(words)}`).split('\0').slice(0, -1)).toEqual(words);
    expect(shellQuote('/etc/kubernetes/pki')).toBe('/etc/kubernetes/pki');
  });

  it('runs the command under timeout, behind sudo -n only when asked', () => {
    expect(remoteCommand("echo 'hi'", { sudo: false, timeoutMs: 1500 })).toBe(
      `env LC_ALL=C timeout -k 2 1.500 sh -c 'echo '\\''hi'\\'''`,
    );
    expect(remoteCommand('true', { sudo: true, timeoutMs: 60_000 })).toBe('sudo -n -- env LC_ALL=C timeout -k 2 60.000 sh -c true');
  });

  it('builds a command line a shell runs as given', () => {
    expect(sh(remoteCommand('printf "%s|" "$0" a b; echo', { sudo: false, timeoutMs: 5000 }))).toBe('sh|a|b|\n');
  });

  it("recognises sudo's refusals and nothing else", () => {
    expect(sudoRefusal(1, 'sudo: a password is required\n')).toBe('password-required');
    expect(sudoRefusal(1, 'sudo: a terminal is required to read the password\n')).toBe('password-required');
    expect(sudoRefusal(1, "Sorry, user bob is not allowed to execute '/usr/bin/env true' as root on h.\n")).toBe('not-permitted');
    expect(sudoRefusal(1, 'bob is not in the sudoers file.\n')).toBe('not-permitted');
    expect(sudoRefusal(2, 'sudo: a password is required\n')).toBeUndefined();
    expect(sudoRefusal(1, 'grep: sudo: a password is required\n')).toBeUndefined();
    expect(sudoRefusal(0, '')).toBeUndefined();
  });

  it("tells timeout's own exit from a command's", () => {
    expect(stoppedByTimeout(124, 1_000, 1_000)).toBe(true);
    expect(stoppedByTimeout(137, 3_100, 1_000)).toBe(true);
    expect(stoppedByTimeout(124, 20, 1_000)).toBe(false);
    expect(stoppedByTimeout(1, 5_000, 1_000)).toBe(false);
  });

  it('keeps the last lines of stderr, and not too many characters', () => {
    expect(stderrTail('a\nb\nc\nd\ne\nf\ng\n')).toBe('c\nd\ne\nf\ng');
    expect(stderrTail('x'.repeat(1000))).toBe(`...${'x'.repeat(600)}`);
  });
});
