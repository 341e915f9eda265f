// `npm run render-demo`: runs `tierline demo` in a pseudo-terminal (util-linux `script`), so
// it prints exactly what a person sees, colours and rewritten status lines included; replays
// the capture through a small terminal model; and screenshots it in headless Chromium
// (Debian's `chromium`; CHROMIUM_PATH to use another) as docs/demo.png, with the plain
// text beside it as docs/demo.txt. Needs the services the demo needs (or its fallbacks).
//
//   npm run render-demo [-- --out docs/demo.png] [--from capture.txt] [demo options]
//
// Demo options default to `--duration 30s --partners 500`; --from renders a capture saved
// earlier (docs/demo.capture, written on every run) without running the demo again.
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { readVariable } from '../config/env.ts';
import { errorMessage } from '../lib/errors.ts';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const DEFAULT_DEMO_ARGS = ['--duration', '30s', '--partners', '500'];

interface Style {
  bold: boolean;
  dim: boolean;
  fg: string | undefined;
}
interface Cell {
  ch: string;
  style: Style;
}

const PLAIN: Style = { bold: false, dim: false, fg: undefined };
const COLOURS: Record<number, string> = {
  30: 'black',
  31: 'red',
  32: 'green',
  33: 'yellow',
  34: 'blue',
  35: 'magenta',
  36: 'cyan',
  37: 'white',
};

function applySgr(style: Style, params: number[]): Style {
  let next = { ...style };
  for (const p of params.length === 0 ? [0] : params) {
    if (p === 0) next = { ...PLAIN };
    else if (p === 1) next.bold = true;
    else if (p === 2) next.dim = true;
    else if (p === 22) next = { ...next, bold: false, dim: false };
    else if (p === 39) next.fg = undefined;
    else if (COLOURS[p]) next.fg = COLOURS[p];
    else if (p >= 90 && p <= 97) next.fg = COLOURS[p - 60];
  }
  return next;
}

/**
 * What a terminal shows after `raw`: carriage returns go back to the line's start, ESC[nG,
 * ESC[nC and ESC[nD move along it, ESC 7 / ESC 8 save and restore the column, ESC[2K and
 * ESC[K erase, ESC[...m sets the style; other control sequences are dropped. Enough for the
 * demo's status lines and its progress bar (cli-progress).
 */
export function screen(raw: string): Cell[][] {
  const lines: Cell[][] = [[]];
  let col = 0;
  let style = { ...PLAIN };
  let saved = 0;
  const current = (): Cell[] => lines[lines.length - 1] as Cell[];
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch === '\u001b' && (raw[i + 1] === '7' || raw[i + 1] === '8')) {
      if (raw[++i] === '7') saved = col;
      else col = saved;
      continue;
    }
    if (ch === '\u001b' && raw[i + 1] === '[') {
      const m = /^\[([\d;?]*)([A-Za-z])/.exec(raw.slice(i + 1, i + 20));
      if (!m) continue;
      i += m[0].length;
      const params = (m[1] ?? '').split(';').filter(Boolean).map(Number);
      const n = params[0] ?? 1;
      if (m[2] === 'm') style = applySgr(style, params);
      else if (m[2] === 'G') col = Math.max(0, n - 1);
      else if (m[2] === 'C') col += n;
      else if (m[2] === 'D') col = Math.max(0, col - n);
      else if (m[2] === 'K' && params[0] === 2) current().length = 0;
      else if (m[2] === 'K') current().length = Math.min(current().length, col);
      continue;
    }
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      lines.push([]);
      col = 0;
    } else if (ch >= ' ' || ch === '\t') {
      const line = current();
      while (line.length < col) line.push({ ch: ' ', style: PLAIN });
      line[col] = { ch, style };
      col++;
    }
  }
  while (lines.length > 0 && (lines[lines.length - 1] as Cell[]).length === 0) lines.pop();
  return lines;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const sameStyle = (a: Style, b: Style): boolean => a.bold === b.bold && a.dim === b.dim && a.fg === b.fg;

function lineHtml(cells: Cell[]): string {
  let html = '';
  let i = 0;
  while (i < cells.length) {
    const style = (cells[i] as Cell).style;
    let text = '';
    while (i < cells.length && sameStyle((cells[i] as Cell).style, style)) text += (cells[i++] as Cell).ch;
    const classes = [style.bold ? 'b' : '', style.dim ? 'd' : '', style.fg ?? ''].filter(Boolean).join(' ');
    html += classes ? `<span class="${classes}">${escapeHtml(text)}</span>` : escapeHtml(text);
  }
  return html;
}

export function terminalPage(lines: Cell[][], title: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;padding:24px;background:#e5e7eb}
.term{display:inline-block;background:#0d1117;border-radius:8px;box-shadow:0 6px 24px rgba(0,0,0,.25);overflow:hidden}
.bar{background:#21262d;padding:8px 12px;font:12px 'DejaVu Sans',sans-serif;color:#8b949e;white-space:nowrap}
.bar i{display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:6px;vertical-align:-1px}
pre{margin:0;padding:14px 18px 16px;font:13px/1.45 'DejaVu Sans Mono',monospace;color:#e6edf3}
.b{font-weight:700}.d{opacity:.55}.red{color:#ff7b72}.green{color:#3fb950}.yellow{color:#d29922}.blue{color:#58a6ff}\
.magenta{color:#d2a8ff}.cyan{color:#56d4dd}.white{color:#ffffff}.black{color:#6e7681}
.prompt{color:#8b949e}
</style></head><body><div class="term"><div class="bar"><i style="background:#ff5f56"></i>\
<i style="background:#ffbd2e"></i><i style="background:#27c93f"></i>&nbsp;${escapeHtml(title)}</div>
<pre><span class="prompt">$</span> ${escapeHtml(title)}
${lines.map(lineHtml).join('\n')}</pre></div></body></html>`;
}

const shellQuote = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);

/** Runs the demo under `script`, so its stdout and stderr are a terminal; resolves with the bytes a terminal would get. */
function capture(demoArgs: string[]): Promise<string> {
  const command = [process.execPath, 'bin/tierline.js', 'demo', ...demoArgs].map(shellQuote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['--quiet', '--flush', '--return', '--command', command, '/dev/null'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NO_COLOR: '', TERM: 'xterm-256color' },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`the demo exited with ${code}`))));
  });
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const [value] = args.splice(i, 2).slice(1);
  if (value === undefined) throw new Error(`${name} needs a value`);
  return value;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const out = path.resolve(option(args, '--out') ?? 'docs/demo.png');
  const from = option(args, '--from');
  const demoArgs = args.length > 0 ? args : DEFAULT_DEMO_ARGS;
  const base = out.replace(/\.png$/, '');
  await mkdir(path.dirname(out), { recursive: true });
  let raw: string;
  if (from) raw = await readFile(from, 'utf8');
  else {
    raw = await capture(demoArgs);
    await writeFile(`${base}.capture`, raw);
  }
  const lines = screen(raw);
  await writeFile(
    `${base}.txt`,
    `${lines
      .map((cells) =>
        cells
          .map((c) => c.ch)
          .join('')
          .trimEnd(),
      )
      .join('\n')}\n`,
  );

  const browser = await chromium.launch({
    executablePath: readVariable('CHROMIUM_PATH'),
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 }, deviceScaleFactor: 1 });
    await page.route('**/*', (route) => (route.request().url().startsWith('data:') ? route.continue() : route.abort()));
    await page.setContent(terminalPage(lines, `npx tierline demo ${demoArgs.map(shellQuote).join(' ')}`), {
      waitUntil: 'load',
    });
    await page.locator('.term').screenshot({ path: out });
  } finally {
    await browser.close();
  }
  process.stdout.write(
    `\n${path.relative(process.cwd(), out)} (${lines.length} lines), ${path.relative(process.cwd(), base)}.txt\n`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  main().catch((error: unknown) => {
    process.stderr.write(`render-demo: ${errorMessage(error)}\n`);
    process.exitCode = 1;
  });
}
