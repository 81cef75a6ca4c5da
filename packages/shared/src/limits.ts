/** Protocol limits both sides enforce. Raising one is a protocol change. */
export const Limits = {
  /** Largest frame in bytes (UTF-8); the collector's WebSocket maxPayload defaults to this. */
  frameBytes: 1024 * 1024,
  /** Snapshots in one metrics.batch frame. */
  batchSnapshots: 500,
  /** Names: hosts, interfaces, mounts, checks, containers, actions, users. */
  name: 256,
  /** Free text: error messages, OS descriptions, CPU models, process commands. */
  text: 1024,
  /** Per-core CPU entries. */
  cores: 1024,
  /** Disks, interfaces, ports, checks, containers in one snapshot. */
  items: 512,
  /** Processes per top list. */
  topProcesses: 50,
  /** Actions an agent may announce. */
  actions: 128,
  /** Parameters of one action. */
  params: 32,
  /** One job.output chunk of an older agent's single-stream frame, in characters. */
  outputChunk: 16 * 1024,
  /** Output characters in one job.output frame, over all its parts. */
  outputFrame: 64 * 1024,
  /** Parts (runs of one stream) in one job.output frame. */
  outputParts: 2048,
} as const;
