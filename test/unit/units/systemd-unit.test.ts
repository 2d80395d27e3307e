import { describe, expect, it } from 'vitest';
import { execWord, serviceUnit } from '../../../src/controllers/units/systemd-unit.ts';

describe('execWord', () => {
  // Each expectation was checked against systemd 252: a unit with these words ran a script that
  // recorded its argv, which came back exactly as the input on the left.
  it.each([
    ['--v=2', '--v=2'],
    ['--controllers=*,bootstrapsigner,tokencleaner', '--controllers=*,bootstrapsigner,tokencleaner'],
    ['--listen-client-urls=https://[fd00::11]:2379', '--listen-client-urls=https://[fd00::11]:2379'],
    ['--feature-gates=A=true B', '"--feature-gates=A=true B"'],
    ['--x=quo"te', '"--x=quo\\"te"'],
    ['--x=back\\slash', '"--x=back\\\\slash"'],
    ['--x=$HOME ${HOME}', '"--x=$$HOME $${HOME}"'],
    ['--x=100%n', '"--x=100%%n"'],
    ['--x=two\nlines\ttab', '"--x=two\\x0alines\\x09tab"'],
    ["--x=it's;", '"--x=it\'s;"'],
  ])('writes %j as %s', (word, expected) => {
    expect(execWord(word)).toBe(expected);
  });
});

describe('serviceUnit', () => {
  it('writes one flag per line, quoting only what needs it, with restart and file limits', () => {
    const unit = serviceUnit({
      description: 'demo (managed by kubesmith)',
      documentation: 'https://example.com/',
      after: ['network-online.target', 'etcd.service'],
      wants: ['network-online.target'],
      type: 'simple',
      binary: '/usr/local/bin/demo',
      flags: [
        ['v', '2'],
        ['x', 'a b'],
      ],
    });
    expect(unit).toBe(
      [
        '[Unit]',
        'Description=demo (managed by kubesmith)',
        'Documentation=https://example.com/',
        'After=network-online.target etcd.service',
        'Wants=network-online.target',
        '',
        '[Service]',
        'Type=simple',
        'ExecStart=/usr/local/bin/demo \\',
        '  --v=2 \\',
        '  "--x=a b"',
        'Restart=always',
        'RestartSec=5s',
        'LimitNOFILE=65536',
        '',
        '[Install]',
        'WantedBy=multi-user.target',
        '',
      ].join('\n'),
    );
  });
});
