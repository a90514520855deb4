// Bundle the lessons (notebooks/NN-*.ipynb) into src/lessons.json, so that the front end can
// copy them into the user's folder without a server extension. The title of a lesson is the
// first markdown heading of its notebook, without emphasis or code marks. Missing lessons are
// fine: the list is what exists.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

const dir = new URL('../../notebooks/', import.meta.url);
const out = new URL('../src/lessons.json', import.meta.url);

function titleOf(notebook, name) {
  for (const cell of notebook.cells ?? []) {
    if (cell.cell_type !== 'markdown') {
      continue;
    }
    const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
    const heading = source.split('\n').find(line => /^#+\s/.test(line));
    if (heading) {
      // plain text: a menu or a card shows `*and*` as it is typed
      return heading
        .replace(/^#+\s+/, '')
        .replace(/[*`]/g, '')
        .trim();
    }
  }
  return name.replace(/\.ipynb$/, '');
}

const names = existsSync(dir)
  ? readdirSync(dir)
      .filter(name => /^\d\d-.+\.ipynb$/.test(name))
      .sort()
  : [];
const lessons = names.map(name => {
  const notebook = JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
  return { name, title: titleOf(notebook, name), notebook };
});
// Written only when it changes: a newer file in src/ makes the next editable install rebuild.
const json = JSON.stringify(lessons);
if (!existsSync(out) || readFileSync(out, 'utf8') !== json) {
  writeFileSync(out, json);
}
console.log(`collect-lessons: ${lessons.length} lesson(s): ${names.join(', ') || '(none)'}`);
