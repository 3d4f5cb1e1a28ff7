import { homedir } from 'node:os';
import { join } from 'node:path';

/** Root of krepro's content-addressed cache: $KREPRO_CACHE, else $XDG_CACHE_HOME/krepro, else ~/.cache/krepro. */
export function cacheRoot(): string {
  if (process.env.KREPRO_CACHE) return process.env.KREPRO_CACHE;
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'krepro');
}
