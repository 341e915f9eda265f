// tools/render-demo.ts replays a terminal capture of the demo: status lines rewritten in
// place, cli-progress's bar, colours. The committed docs/demo.txt is what its capture shows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { screen, terminalPage } from '../../tools/render-demo.ts';
import { repoRoot } from '../setup/paths.ts';

const text = (raw: string): string[] => screen(raw).map((cells) => cells.map((c) => c.ch).join(''));

describe('render-demo terminal model', () => {
  it('rewrites status lines in place and erases them', () => {
    expect(text('one\r\n\r\u001b[2Kloading 1\r\u001b[2Kloading 2\r\u001b[2Ktwo\r\n')).toEqual(['one', 'two']);
  });

  it("follows cli-progress's cursor moves (column, save and restore)", () => {
    expect(
      text('\u001b7bar [##  ] 1/2\u001b[0K\u001b[1Gbar [####] 2/2\u001b[0K\u001b8\u001b[1G\u001b[2Kdone\n'),
    ).toEqual(['done']);
  });

  it('keeps colours as styles and escapes the page', () => {
    const [line] = screen('\u001b[1mbold\u001b[0m \u001b[2m\u001b[31mdim red\u001b[0m <b>');
    expect(line?.[0]?.style).toEqual({ bold: true, dim: false, fg: undefined });
    expect(line?.[5]?.style).toEqual({ bold: false, dim: true, fg: 'red' });
    const page = terminalPage(screen('\u001b[32mok\u001b[0m <b>'), 'demo');
    expect(page).toContain('<span class="green">ok</span> &#60;b&#62;');
  });

  it('docs/demo.txt is what docs/demo.capture shows (run `npm run render-demo` to refresh both)', () => {
    const capture = readFileSync(join(repoRoot, 'docs/demo.capture'), 'utf8');
    const shown = `${text(capture)
      .map((l) => l.trimEnd())
      .join('\n')}\n`;
    expect(shown).toBe(readFileSync(join(repoRoot, 'docs/demo.txt'), 'utf8'));
    expect(shown).toContain('Tierline demo: summary');
  });
});
