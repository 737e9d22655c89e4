/** Logger port. The server passes Fastify's pino logger; tests pass {@link silentLogger}. */
export interface Logger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
}

const noop = (): void => {};
export const silentLogger: Logger = { info: noop, warn: noop, error: noop, debug: noop };
