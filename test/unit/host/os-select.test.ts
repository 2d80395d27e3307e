import { describe, expect, it } from 'vitest';
import { UnsupportedOsError } from '../../../src/host/index.ts';
import { Debian, parseOsRelease, Rhel, selectOs, Ubuntu } from '../../../src/host/os/index.ts';

const debian12 = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`;
const ubuntu2404 = `PRETTY_NAME="Ubuntu 24.04.1 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
ID=ubuntu
ID_LIKE=debian
`;
const rocky9 = `NAME="Rocky Linux"
VERSION_ID="9.4"
ID="rocky"
ID_LIKE="rhel centos fedora"
PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"
`;
const rebuild = `ID="navy"\nID_LIKE="rhel fedora"\nVERSION_ID="9"\n`;

describe('choosing the operating system from /etc/os-release', () => {
  it('parses quoted and unquoted values, skipping comments and blank lines', () => {
    expect(parseOsRelease(`# comment\n\nID=debian\nNAME='Single Quoted'\nPRETTY_NAME="A \\"quoted\\" name"\nBAD LINE\n`)).toEqual({
      ID: 'debian',
      NAME: 'Single Quoted',
      PRETTY_NAME: 'A "quoted" name',
    });
  });

  it('picks Debian for Debian', () => {
    const os = selectOs('h', debian12);
    expect(os).toBeInstanceOf(Debian);
    expect(os).not.toBeInstanceOf(Ubuntu);
    expect(os).toMatchObject({ id: 'debian', versionId: '12', packageManager: 'apt', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
  });

  it('picks Ubuntu, which is a Debian, for Ubuntu', () => {
    const os = selectOs('h', ubuntu2404);
    expect(os).toBeInstanceOf(Ubuntu);
    expect(os).toBeInstanceOf(Debian);
    expect(os.packageManager).toBe('apt');
  });

  it('picks the RHEL family by ID or by ID_LIKE', () => {
    expect(selectOs('h', rocky9)).toBeInstanceOf(Rhel);
    expect(selectOs('h', rocky9).packageManager).toBe('dnf');
    expect(selectOs('h', rebuild)).toBeInstanceOf(Rhel);
  });

  it('names an unknown system and the supported ones', () => {
    let caught: unknown;
    try {
      selectOs('root@10.0.0.9:22', 'ID=alpine\nVERSION_ID=3.20.0\nPRETTY_NAME="Alpine Linux v3.20"\n');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UnsupportedOsError);
    const error = caught as UnsupportedOsError;
    expect(error.found).toBe('"Alpine Linux v3.20"');
    expect(error.message).toMatch(/^root@10\.0\.0\.9:22 runs "Alpine Linux v3\.20", which kubesmith does not support; use one of: Ubuntu, Debian, RHEL family/);
  });

  it('says so when os-release names nothing', () => {
    expect(() => selectOs('h', '')).toThrow(/an operating system whose \/etc\/os-release names none/);
  });

  it('does not take a Debian derivative for Debian', () => {
    expect(() => selectOs('h', 'ID=raspbian\nID_LIKE=debian\n')).toThrow(UnsupportedOsError);
  });
});
