// One rule for every binary kubesmith runs (etcd and the three control-plane components): extraArgs
// may add flags, never replace one kubesmith sets. A silently overridden flag would leave the
// cluster in a state nobody chose, so the conflict is refused with the spec field to fix.
import { KubesmithError } from '../../errors.ts';

/** A command-line flag without its leading dashes, and its value. */
export type Flag = [name: string, value: string];

export class ManagedFlagError extends KubesmithError {
  readonly reason = 'ManagedFlagConflict';
  override readonly needsPerson = true;
  /** The spec field holding the flags, for example `spec.apiServer.extraArgs`. */
  readonly field: string;
  readonly flags: readonly string[];

  constructor(field: string, flags: readonly string[]) {
    super(
      `${field} sets ${flags.join(', ')}, which kubesmith manages itself; remove ${flags.length === 1 ? 'it' : 'them'}`,
    );
    this.field = field;
    this.flags = flags;
  }
}

export interface ExtraArgsSource {
  /** Where the extra flags come from, named in the error. */
  field: string;
  args?: Readonly<Record<string, string>>;
  /**
   * Flags kubesmith does not pass but that would contradict what it passes, for example etcd's
   * `initial-cluster*` or kube-apiserver's `anonymous-auth` next to an authentication config.
   */
  reserved?: (name: string) => boolean;
}

/**
 * The managed flags in their order, then the extra ones by name (code-unit order, which no locale
 * changes), so the result and the unit built from it are byte-for-byte stable. Throws
 * ManagedFlagError naming every conflicting flag.
 */
export function withExtraArgs(managed: readonly Flag[], source: ExtraArgsSource): Flag[] {
  // `--v` and `v` are the same flag; comparing without dashes closes that way around the check.
  const extra = Object.entries(source.args ?? {}).map(([name, value]): Flag => [name.replace(/^-+/, ''), value]);
  const owned = new Set(managed.map(([name]) => name));
  const clashes = extra.map(([name]) => name).filter((name) => owned.has(name) || source.reserved?.(name) === true);
  if (clashes.length > 0) throw new ManagedFlagError(source.field, clashes);
  return [...managed, ...extra.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))];
}
