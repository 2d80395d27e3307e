// Every failure kubesmith expects is a KubesmithError: its CamelCase `reason` goes on a condition as
// it is, its message says what was expected, what was found and what to do, and `needsPerson` says
// whether retrying can ever help. A bare `Error` reaching a controller is a bug, reported as such.

export abstract class KubesmithError extends Error {
  abstract readonly reason: string;
  /**
   * Only a person can clear it (a changed host key, a refused SSH key, a checksum mismatch, a
   * certificate conflict): the object reads as kstatus `Stalled` and is retried at a slow pace.
   */
  readonly needsPerson: boolean = false;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export function isKubesmithError(error: unknown): error is KubesmithError {
  return error instanceof KubesmithError;
}

/** The message of anything thrown, for a condition or a log line. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
