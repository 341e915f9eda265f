// docker-compose.yml cannot be run here (no Docker engine): it is checked instead.
//  1. Against the Compose Specification's JSON schema, vendored unchanged as
//     test/ops/compose-spec.json from compose-spec/compose-spec, schema/compose-spec.json
//     (commit b2835e8acc1e42e7aecbc27a9bc4a1fc66ef21ba). The file is YAML-parsed with merge
//     keys (`<<:`), as Compose does, and validated after the merge.
//  2. Against the code: every variable a Tierline service sets is in the environment schema
//     (config/env.ts; test/config checks the code reads nothing else), every service's environment
//     passes it as the commands' start-up check does, the commands are real `tierline` subcommands with real options, `--only` names
//     real roles and every role runs somewhere, and health checks probe the ports the
//     commands listen on.
//  3. Dockerfile and .dockerignore: a build stage compiling dist/ (npm run build) and a
//     node:20-slim image with production dependencies, dist/, bin/ and examples/ only, the
//     CLI as entrypoint; no production folder ignored; no dev dependency needed at run time.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { databaseUrl, redisUrl } from '../../config/urls.ts';
import { ENV_NAMES, readEnv } from '../../config/env.ts';
import { queueSettings } from '../../queues/connection.ts';
import { bodyLimitFromEnv } from '../../workers/http/config.ts';
import { notifierConfigFromEnv } from '../../workers/notifier/config.ts';
import { ROLES } from '../../workers/runner.ts';

const root = resolve(import.meta.dirname, '../..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const sourceFiles = (dir: string): string[] =>
  readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });

type Env = Record<string, string | number | boolean | null>;
interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Env;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string; disable?: boolean };
  ports?: string[];
  volumes?: string[];
  restart?: string;
  init?: boolean;
  stop_grace_period?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
const services = compose.services;
/** The services built from ./Dockerfile: Tierline's own processes. */
const tierline = Object.entries(services).filter(([, s]) => s.build !== undefined);
const oneShot = (s: Service): boolean => s.restart === 'no';
const longRunning = tierline.filter(([, s]) => !oneShot(s));
const argv = (s: Service): string[] =>
  Array.isArray(s.command) ? s.command : (s.command ?? '').split(/\s+/).filter(Boolean);

/** `${VAR:-default}` / `${VAR-default}` → default, `${VAR}` → '' (what Compose does with VAR unset). */
function interpolate(value: string | number | boolean | null): string {
  return String(value ?? '').replace(
    /\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g,
    (_m, _name: string, fallback: string | undefined) => fallback ?? '',
  );
}
const envOf = (s: Service): Record<string, string> =>
  Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));

function compileComposeSchema() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The spec's schema still uses draft-04 "id" as an annotation and a custom "expose" format.
  ajv.removeKeyword('id');
  ajv.addKeyword({ keyword: 'id', schemaType: 'string' });
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  return ajv.compile(JSON.parse(read('test/ops/compose-spec.json')) as object);
}

const cli = (...args: string[]): string =>
  execFileSync(process.execPath, ['bin/tierline.js', ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });

describe('docker-compose.yml', () => {
  it('validates against the Compose Specification schema', () => {
    const validate = compileComposeSchema();
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check has teeth: it refuses a misspelt key and an unknown depends_on condition', () => {
    const validate = compileComposeSchema();
    expect(validate({ services: { a: { image: 'x', healthchek: { test: ['CMD', 'true'] } } } })).toBe(false);
    expect(validate({ services: { a: { image: 'x', depends_on: { b: { condition: 'service_ready' } } } } })).toBe(
      false,
    );
    expect(validate({ services: { a: { image: 'x', environment: { A: { nested: true } } } } })).toBe(false);
  });

  it('runs Redis with AOF and noeviction, Postgres with a volume and a health check, and Mailpit', () => {
    const redis = argv(services.redis as Service).join(' ');
    expect(redis).toMatch(/--appendonly yes/);
    expect(redis).toMatch(/--maxmemory-policy noeviction/);
    expect(services.redis?.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
    expect(services.postgres?.volumes?.some((v) => v.endsWith(':/var/lib/postgresql/data'))).toBe(true);
    expect(([] as string[]).concat(services.postgres?.healthcheck?.test ?? []).join(' ')).toMatch(/pg_isready/);
    expect(services.mailpit?.image).toMatch(/^axllent\/mailpit/);
    for (const volume of [services.redis, services.postgres]
      .flatMap((s) => s?.volumes ?? [])
      .map((v) => v.split(':')[0] as string)) {
      expect(compose.volumes ?? {}, `named volume ${volume}`).toHaveProperty([volume]);
    }
  });

  it('has the receiver, every worker role and a one-shot migrate, all built from the Dockerfile', () => {
    expect(Object.fromEntries(tierline.map(([name, s]) => [name, argv(s).slice(0, 3).join(' ')]))).toEqual({
      migrate: 'migrate',
      receiver: 'serve --host 0.0.0.0',
      ingest: 'workers --only ingest',
      recompute: 'workers --only recompute',
      notifier: 'workers --only notifier',
      scheduler: 'workers --only scheduler',
    });
    // Each role runs in exactly one service.
    const roles = tierline
      .filter(([, s]) => argv(s)[0] === 'workers')
      .flatMap(([, s]) => (argv(s)[argv(s).indexOf('--only') + 1] ?? '').split(','));
    expect([...roles].sort()).toEqual([...ROLES].sort());
    for (const [name, s] of longRunning) {
      expect(s.init, `${name}: init (signals reach node)`).toBe(true);
      expect(s.stop_grace_period, `${name}: stop_grace_period`).toBeDefined();
    }
  });

  it('names real tierline subcommands and options', () => {
    const help = cli('--help');
    const commands = new Set(
      help
        .slice(help.indexOf('Commands:'))
        .split('\n')
        .map((line) => /^ {2}([a-z][\w-]*)/.exec(line)?.[1])
        .filter((c): c is string => c !== undefined),
    );
    expect(commands).toContain('workers');
    const helpOf = new Map<string, string>();
    for (const [name, s] of tierline) {
      const [command, ...rest] = argv(s);
      expect(commands, `${name}: ${command}`).toContain(command);
      const options = rest.filter((a) => a.startsWith('--'));
      if (options.length === 0) continue;
      const text = helpOf.get(command as string) ?? cli(command as string, '--help');
      helpOf.set(command as string, text);
      for (const option of options)
        expect(text, `${name}: ${command} ${option}`).toMatch(new RegExp(`(^|\\s)${option}[\\s=<]`, 'm'));
      const only = rest[rest.indexOf('--only') + 1];
      if (rest.includes('--only'))
        for (const role of (only ?? '').split(',')) expect(ROLES, `${name}: role ${role}`).toContain(role);
    }
    // Several CLI starts in a row: on a busy 2-core machine they came within a second of 30 s.
  }, 90_000);

  it('sets only environment variables the code reads, and values the code accepts', () => {
    const known = new Set<string>(ENV_NAMES);
    for (const [name, s] of tierline) {
      const unknown = Object.keys(s.environment ?? {}).filter((k) => !known.has(k));
      expect(unknown, `${name} sets variables nothing reads`).toEqual([]);
      const env = envOf(s);
      // What `workers` / `serve` check at start-up: every value parses.
      expect(() => readEnv(env), name).not.toThrow();
      expect(() => databaseUrl(env), name).not.toThrow();
      expect(env.DATABASE_URL, `${name}: DATABASE_URL names the postgres service`).toMatch(/@postgres:5432\//);
      if (!oneShot(s)) {
        expect(() => queueSettings(env), name).not.toThrow();
        expect(redisUrl(env), `${name}: REDIS_URL names the redis service`).toBe('redis://redis:6379');
        expect(Number(env.TIERLINE_SHUTDOWN_TIMEOUT_MS), `${name}: shutdown timeout`).toBeGreaterThan(0);
        // Docker's SIGKILL must not come before the workers' own timeout.
        expect(
          parseInt(s.stop_grace_period ?? '10s', 10) * 1000,
          `${name}: stop_grace_period > TIERLINE_SHUTDOWN_TIMEOUT_MS`,
        ).toBeGreaterThan(Number(env.TIERLINE_SHUTDOWN_TIMEOUT_MS));
      }
    }
    const receiver = envOf(services.receiver as Service);
    expect(() => bodyLimitFromEnv(receiver)).not.toThrow();
    const notifier = envOf(services.notifier as Service);
    expect(notifier.SMTP_URL).toBe('smtp://mailpit:1025');
    const config = notifierConfigFromEnv(notifier);
    expect(config.smtpUrl).toBe('smtp://mailpit:1025');
    // Links the notifier signs are verified by the receiver: one secret for both.
    expect(services.receiver?.environment?.TIERLINE_UNSUBSCRIBE_SECRET).toBe(
      services.notifier?.environment?.TIERLINE_UNSUBSCRIBE_SECRET,
    );
  });

  it('health-checks every long-running service on the port its command listens on', () => {
    for (const [name, s] of Object.entries(services)) {
      if (oneShot(s)) continue;
      expect(s.healthcheck?.test, `${name} has a health check`).toBeDefined();
      expect(s.healthcheck?.disable, name).not.toBe(true);
    }
    for (const [name, s] of longRunning) {
      const args = argv(s);
      const test = ([] as string[]).concat(s.healthcheck?.test ?? []).join(' ');
      const probed = /127\.0\.0\.1:(\d+)\/healthz/.exec(test)?.[1];
      const flag = args[0] === 'serve' ? '--port' : '--metrics-port';
      expect(probed, `${name} probes /healthz`).toBeDefined();
      expect(args[args.indexOf(flag) + 1], `${name}: health check port = ${flag}`).toBe(probed);
      if (flag === '--metrics-port')
        expect(args[args.indexOf('--metrics-host') + 1], `${name}: metrics reachable from other containers`).toBe(
          '0.0.0.0',
        );
    }
  });

  it('starts services only after what they need is healthy (or, for migrate, done)', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(services, `${name} depends on ${dependency}`).toHaveProperty([dependency]);
        if (condition === 'service_healthy')
          expect(services[dependency]?.healthcheck, `${dependency} needs a health check`).toBeDefined();
        if (condition === 'service_completed_successfully')
          expect(oneShot(services[dependency] as Service), `${dependency} is one-shot`).toBe(true);
      }
    }
    for (const [name, s] of longRunning) {
      expect(s.depends_on, name).toMatchObject({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
    }
    expect(services.notifier?.depends_on).toMatchObject({ mailpit: { condition: 'service_healthy' } });
    expect(services.migrate?.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const [build = '', runtime = ''] = dockerfile.split(/^(?=FROM )/m).filter((stage) => stage.startsWith('FROM '));
  const ignored = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const pkg = JSON.parse(read('package.json')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    scripts: Record<string, string>;
  };
  const buildConfig = JSON.parse(read('tsconfig.build.json')) as { include: string[] };

  it('builds dist/ in a first stage and runs it on node:20-slim with production dependencies only', () => {
    expect(build).toMatch(/^FROM node:20-slim AS build\s*$/m);
    expect(build).toMatch(/^RUN npm ci\b/m);
    expect(build).toMatch(/^RUN npm run build\s*$/m);
    expect(runtime).toMatch(/^FROM node:20-slim\s*$/m);
    expect(runtime).toMatch(/^RUN npm ci --omit=dev\b/m);
    expect(runtime).toMatch(/^ENTRYPOINT \["node", "bin\/tierline\.js"\]\s*$/m);
    expect(runtime).toMatch(/^USER node\s*$/m);
  });

  it('copies dist/, bin/ and examples/ into the image, and no sources', () => {
    const copied = [...runtime.matchAll(/^COPY (?:--from=(\S+) )?(\S+) /gm)].map((m) =>
      `${m[1] ? `${m[1]}:` : ''}${m[2] as string}`.replace(/^\.\//, ''),
    );
    expect(copied).toEqual(['package.json', 'bin', 'build:/app/dist', 'examples']);
  });

  it('lets the build stage see every production folder, bin/ and the build script', () => {
    expect(build).toMatch(/^COPY \. \.\s*$/m);
    for (const path of [
      ...buildConfig.include,
      'bin',
      'examples',
      'package.json',
      'tsconfig.json',
      'tsconfig.build.json',
    ])
      expect(ignored, `${path} is in .dockerignore`).not.toContain(path);
    expect(ignored).toContain('tools/*');
    expect(ignored).toContain('!tools/build.js');
    expect(pkg.scripts.build ?? '').toContain('tools/build.js');
    expect(ignored).toContain('node_modules');
    expect(ignored).toContain('dist');
    expect(ignored).toContain('.env');
  });

  it('needs no dev dependency at run time: tsx, the demo and the generators stay out of the image', () => {
    expect(pkg.devDependencies).toHaveProperty('tsx');
    expect(pkg.dependencies).not.toHaveProperty('tsx');
    // Every package the compiled folders import is a production dependency (or Node's own).
    // tsx is the one exception: `tierline demo` tries it and, without it, says the demo is not here.
    const imported = new Set<string>();
    for (const folder of buildConfig.include.filter((f) => existsSync(join(root, f))))
      for (const file of sourceFiles(folder)) {
        const text = read(file).replace(/^import type .*$/gm, '');
        for (const m of text.matchAll(/(?:from |import\()'([^'.][^']*)'/g)) {
          const name = (m[1] as string)
            .split('/')
            .slice(0, (m[1] as string).startsWith('@') ? 2 : 1)
            .join('/');
          if (!name.startsWith('node:')) imported.add(name);
        }
      }
    expect(imported.size).toBeGreaterThan(10);
    const missing = [...imported].filter((name) => !(name in pkg.dependencies) && name !== 'tsx');
    expect(missing, 'imported by production code but not a production dependency').toEqual([]);
  });
});
