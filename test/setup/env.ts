// Setting a group of variables in process.env (a pipeline's CLI environment, a helper's
// settings) and putting back exactly what was there: a variable that was unset is deleted
// again. A file that only pins one variable uses vi.stubEnv and vi.unstubAllEnvs.

/** Sets variables in process.env; returns a function that restores the previous values. */
export function setEnv(vars: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** Runs `fn` with `vars` in process.env, restoring the previous values after. */
export async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const restore = setEnv(vars);
  try {
    return await fn();
  } finally {
    restore();
  }
}
