import { PROC, readProc } from './procfs.ts';

/** Programs whose first argument that is not an option is the script people know them by. */
const INTERPRETERS =
  /^(?:node|nodejs|bun|deno|python[\d.]*|ruby[\d.]*|perl[\d.]*|php[\d.]*|bash|sh|dash|zsh)$/;

const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/**
 * The name to show for a process. comm is usually the program, but a runtime may rename its main
 * thread (Node calls it "MainThread"); when comm is not the program from the command line, show
 * that program, or for an interpreter the script it runs. A comm cut at 15 characters gives way
 * to the program's full name.
 */
export function displayName(comm: string, argv: readonly string[]): string {
  const program = argv[0] === undefined ? '' : basename(argv[0]);
  if (program === '' || comm.startsWith(program)) return comm;
  // The kernel cuts comm at 15 characters (TASK_COMM_LEN): prometheus-node-exporter is "prometheus-node".
  if (program.startsWith(comm)) return comm.length === 15 ? program : comm;
  if (INTERPRETERS.test(program)) {
    const script = argv.slice(1).find((a) => a !== '' && !a.startsWith('-'));
    if (script !== undefined) return basename(script);
  }
  return program;
}

/** A process's command line as arguments ([] for a kernel thread); undefined when it is gone. */
export function readArgv(pid: number): string[] | undefined {
  try {
    const raw = readProc(`${PROC}/${pid}/cmdline`).replace(/\0+$/, '');
    return raw === '' ? [] : raw.split('\0');
  } catch {
    return undefined;
  }
}

/** The name to show for a running process (see displayName); '' when it is gone. */
export function programName(pid: number): string {
  let comm: string;
  try {
    comm = readProc(`${PROC}/${pid}/comm`).trim();
  } catch {
    return '';
  }
  return displayName(comm, readArgv(pid) ?? []);
}
