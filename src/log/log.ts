/**
 * One line per event. Under systemd (JOURNAL_STREAM set) lines carry a syslog priority prefix
 * (<3> error … <7> debug) and no timestamp, since journald adds its own; on a terminal they
 * carry a timestamp and colour; piped elsewhere, a timestamp and no colour.
 */
export type Level = "debug" | "info" | "warn" | "error";

const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const PRIORITY: Record<Level, number> = { debug: 7, info: 6, warn: 4, error: 3 };
const COLOUR: Record<Level, string> = { debug: "\x1b[2m", info: "", warn: "\x1b[33m", error: "\x1b[31m" };

let threshold: Level = (process.env.CAMKEEP_LOG_LEVEL as Level | undefined) ?? "info";
const journald = Boolean(process.env.JOURNAL_STREAM);
const colour = !journald && Boolean(process.stderr.isTTY);

export function setLogLevel(level: Level): void {
  threshold = level;
}

function write(level: Level, component: string, message: string): void {
  if (RANK[level] < RANK[threshold]) return;
  const text = `${level.toUpperCase().padEnd(5)} [${component}] ${message.replace(/\n/g, " | ")}`;
  const line = journald
    ? `<${PRIORITY[level]}>${text}`
    : colour && COLOUR[level]
      ? `${new Date().toISOString()} ${COLOUR[level]}${text}\x1b[0m`
      : `${new Date().toISOString()} ${text}`;
  process.stderr.write(`${line}\n`);
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function logger(component: string): Logger {
  return {
    debug: (m) => write("debug", component, m),
    info: (m) => write("info", component, m),
    warn: (m) => write("warn", component, m),
    error: (m) => write("error", component, m),
  };
}
