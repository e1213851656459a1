import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { QueueName } from '../../src/queue/queue.constants';
import { type Harness, waitFor } from './harness';

const ROOT = resolve(__dirname, '..', '..');
const OUTPUT_LIMIT = 200_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WorkerProcess {
  readonly pid: number;
  /** Everything the process wrote to stdout and stderr so far (the tail, when long). */
  output(): string;
  /** Settles when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Sends `signal` and waits for the process to exit. */
  kill(signal: 'SIGKILL' | 'SIGTERM', timeoutMs?: number): Promise<Exit>;
  /**
   * Whether this process's pipeline worker still holds its blocking connection to Redis, i.e.
   * still takes new jobs. BullMQ drops it as soon as a worker starts to close.
   */
  takingJobs(): Promise<boolean>;
}

const live = new Set<ChildProcess>();

/** Redis client ids of the BullMQ worker connections for `queue` under the harness's prefix. */
async function workerClientIds(h: Harness, queue: QueueName): Promise<Set<string>> {
  // BullMQ names each worker's blocking connection `${prefix}:${base64(queue)}`.
  const name = `${h.config.QUEUE_PREFIX}:${Buffer.from(queue).toString('base64')}`;
  const list = (await h.redis.call('CLIENT', 'LIST')) as string;
  const ids = new Set<string>();
  for (const line of list.split('\n')) {
    const fields = new Map(
      line
        .trim()
        .split(' ')
        .map((field) => {
          const at = field.indexOf('=');
          return [field.slice(0, at), field.slice(at + 1)] as const;
        }),
    );
    if (fields.get('name') === name) ids.add(fields.get('id') ?? '');
  }
  return ids;
}

/**
 * Starts `src/main.worker.ts` as a child process on the harness's database and queue prefix,
 * and resolves once its BullMQ workers are connected and waiting for jobs. Its logs (warnings
 * and up, unless TEST_LOG_LEVEL says otherwise) are kept for diagnostics, not printed.
 */
export async function startWorkerProcess(
  h: Harness,
  env: Record<string, string> = {},
  { readyTimeoutMs = 20_000 } = {},
): Promise<WorkerProcess> {
  const before = {
    pipeline: await workerClientIds(h, QueueName.Pipeline),
    maintenance: await workerClientIds(h, QueueName.Maintenance),
  };
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.worker.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      ...h.env,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      MIGRATIONS_RUN: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let output = '';
  const capture = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout.on('data', capture);
  child.stderr.on('data', capture);
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolveExit) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      live.delete(child);
      resolveExit(exit);
    });
  });
  if (child.pid === undefined) throw new Error(`Could not start the worker process:\n${output}`);
  const pid = child.pid;

  const mine = async (queue: QueueName) => {
    const ids = [...(await workerClientIds(h, queue))].filter((id) => !before[queue].has(id));
    return ids.length === 1 ? ids[0] : undefined;
  };
  let pipelineClient = '';
  try {
    pipelineClient = await waitFor(
      async () => {
        if (exit) throw new Error(`exited early (${exit.code ?? exit.signal})`);
        const pipeline = await mine(QueueName.Pipeline);
        return pipeline && (await mine(QueueName.Maintenance)) ? pipeline : undefined;
      },
      { timeoutMs: readyTimeoutMs, what: `worker process ${pid} to connect its workers` },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n--- worker output ---\n${output}`, {
      cause: error,
    });
  }

  return {
    pid,
    exited,
    output: () => output,
    async kill(signal, timeoutMs = 15_000) {
      if (!exit) child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `Worker process ${pid} did not exit within ${timeoutMs} ms of ${signal}\n--- worker output ---\n${output}`,
              ),
            ),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async takingJobs() {
      return !exit && (await workerClientIds(h, QueueName.Pipeline)).has(pipelineClient);
    },
  };
}

/** SIGKILLs every worker process still running: for afterEach/afterAll. */
export async function killWorkerProcesses(): Promise<void> {
  const children = [...live];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolveExit) => {
          child.once('exit', () => resolveExit());
          child.kill('SIGKILL');
        }),
    ),
  );
}
