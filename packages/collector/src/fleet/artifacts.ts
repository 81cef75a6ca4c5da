import { createHash } from 'node:crypto';
import { createReadStream, type ReadStream, readFileSync, type Stats, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Architectures agent.sh knows (Node's names; `uname -m` x86_64 and aarch64). */
export const ARCHES = ['x64', 'arm64'] as const;
export type Arch = (typeof ARCHES)[number];

export interface Artifact {
  size: number;
  /** Of the executable, whichever form is downloaded. */
  sha256: string;
  open(): ReadStream;
  /** The build's gzip-compressed copy (`<name>.gz`), when present and not older than the executable. */
  gzip?: { size: number; open(): ReadStream };
}

/** The built agent files the collector serves, with their SHA-256 (cached until the file changes). */
export class AgentArtifacts {
  readonly dir: string;
  readonly #sums = new Map<string, { key: string; sha256: string }>();

  constructor(dir: string | null) {
    // In a checkout and in the image the agent's dist/ sits beside the collector package.
    this.dir = dir ?? resolve(import.meta.dirname, '..', '..', '..', 'agent', 'dist');
  }

  /** The single executable for an architecture, or undefined when it was not built. */
  executable(arch: Arch): Artifact | undefined {
    const path = join(this.dir, `pantau-agent-linux-${arch}`);
    const stat = statIfFile(path);
    if (!stat) return undefined;
    const key = `${stat.size}:${stat.mtimeMs}`;
    let sum = this.#sums.get(path);
    if (sum?.key !== key) {
      // About 0.3 s for the 120 MB executable, once per build.
      sum = { key, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
      this.#sums.set(path, sum);
    }
    const gzip = statIfFile(`${path}.gz`);
    return {
      size: stat.size,
      sha256: sum.sha256,
      open: () => createReadStream(path),
      ...(gzip && gzip.mtimeMs >= stat.mtimeMs
        ? { gzip: { size: gzip.size, open: () => createReadStream(`${path}.gz`) } }
        : {}),
    };
  }
}

function statIfFile(path: string): Stats | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() ? stat : undefined;
  } catch {
    return undefined;
  }
}
