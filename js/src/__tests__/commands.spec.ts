import type { Contents } from '@jupyterlab/services';
import { CommandRegistry } from '@lumino/commands';

import {
  CommandIDs,
  EXPLORER_SOURCE,
  freeName,
  ILesson,
  lessonFolder,
  IHost,
  registerCommands
} from '../commands';

const lessons: ILesson[] = [
  { name: '01-pooling.ipynb', title: 'Pooling', notebook: { cells: [], nbformat: 4 } },
  { name: '02-eight-schools.ipynb', title: 'Eight schools', notebook: { cells: [] } }
];

/** A server folder tree in memory: path -> saved model. */
function fakeHost(files: Record<string, unknown> = {}) {
  const opened: string[] = [];
  const inserted: string[] = [];
  let notebookOpen = false;
  const contents: IHost['contents'] = {
    get: async (dir: string) => {
      const prefix = dir ? `${dir}/` : '';
      const content = Object.keys(files)
        .filter(p => p.startsWith(prefix) && !p.slice(prefix.length).includes('/'))
        .map(p => ({ name: p.slice(prefix.length), path: p }));
      return { content } as unknown as Contents.IModel;
    },
    save: async (path: string, options?: Partial<Contents.IModel>) => {
      files[path] = options?.content;
      return { path } as Contents.IModel;
    }
  };
  const host: IHost = {
    contents,
    cwd: () => 'course',
    open: async path => opened.push(path),
    hasNotebook: () => notebookOpen,
    insertCode: source => inserted.push(source)
  };
  return { host, files, opened, inserted, openNotebook: () => (notebookOpen = true) };
}

describe('freeName', () => {
  it('keeps a free name and numbers a taken one', () => {
    expect(freeName('01-pooling.ipynb', new Set())).toBe('01-pooling.ipynb');
    expect(freeName('a.ipynb', new Set(['a.ipynb', 'a-1.ipynb']))).toBe('a-2.ipynb');
    expect(freeName('README', new Set(['README']))).toBe('README-1');
  });
});

describe('lessonFolder', () => {
  it('is the file browser folder in view, else the front notebook folder, else the root', () => {
    expect(lessonFolder({ path: 'course', shown: true }, 'week1/a.ipynb')).toBe('course');
    expect(lessonFolder({ path: 'course', shown: false }, 'week1/b/a.ipynb')).toBe('week1/b');
    expect(lessonFolder({ path: 'course', shown: false }, 'a.ipynb')).toBe('');
    expect(lessonFolder({ path: 'course', shown: false }, undefined)).toBe('course');
    expect(lessonFolder(null, 'week1/a.ipynb')).toBe('week1');
    expect(lessonFolder(null, undefined)).toBe('');
  });
});

describe('registerCommands', () => {
  let commands: CommandRegistry;
  let fake: ReturnType<typeof fakeHost>;

  beforeEach(() => {
    commands = new CommandRegistry();
    fake = fakeHost({ 'course/notes.txt': 'x' });
    registerCommands(commands, fake.host, lessons);
  });

  it('registers both commands with their labels', () => {
    expect(commands.hasCommand(CommandIDs.openLesson)).toBe(true);
    expect(commands.hasCommand(CommandIDs.insertExplorer)).toBe(true);
    const args = { name: '02-eight-schools.ipynb' };
    expect(commands.label(CommandIDs.openLesson, args)).toBe('Eight schools');
    expect(commands.label(CommandIDs.openLesson, { ...args, isPalette: true })).toBe(
      'Open lesson: Eight schools'
    );
    expect(commands.label(CommandIDs.insertExplorer)).toBe('Insert shrinkage explorer');
  });

  it('copies a lesson into the current folder and opens it, never overwriting', async () => {
    const args = { name: '01-pooling.ipynb' };
    await commands.execute(CommandIDs.openLesson, args);
    fake.files['course/01-pooling.ipynb'] = 'edited by the student';
    await commands.execute(CommandIDs.openLesson, args);

    expect(fake.opened).toEqual(['course/01-pooling.ipynb', 'course/01-pooling-1.ipynb']);
    expect(fake.files['course/01-pooling.ipynb']).toBe('edited by the student');
    expect(fake.files['course/01-pooling-1.ipynb']).toEqual(lessons[0].notebook);
  });

  it('uses the launcher folder when given, and the root as ""', async () => {
    await commands.execute(CommandIDs.openLesson, { name: '01-pooling.ipynb', cwd: '' });
    expect(fake.opened).toEqual(['01-pooling.ipynb']);
  });

  it('refuses an unknown lesson', async () => {
    await expect(commands.execute(CommandIDs.openLesson, { name: 'nope' })).rejects.toThrow(
      'name must be one of the bundled lessons (got nope)'
    );
  });

  it('inserts the explorer cell only when a notebook is open', async () => {
    expect(commands.isEnabled(CommandIDs.insertExplorer)).toBe(false);
    fake.openNotebook();
    expect(commands.isEnabled(CommandIDs.insertExplorer)).toBe(true);
    await commands.execute(CommandIDs.insertExplorer);
    expect(fake.inserted).toEqual([EXPLORER_SOURCE]);
  });
});
