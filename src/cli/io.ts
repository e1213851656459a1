/** What a command reads and where it writes: the process's own in bin/repro.js, buffers in tests. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
}
