import pino, { type Logger } from 'pino';

/** Structured JSON logs on stdout; KUBESMITH_LOG_LEVEL (default info) sets the level. */
export function createLogger(name = 'kubesmith'): Logger {
  return pino({
    name,
    level: process.env.KUBESMITH_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

export type { Logger };
