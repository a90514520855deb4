// The commands of the extension, written against a small host interface so that they can be
// tested with a plain lumino CommandRegistry and an in-memory folder (index.ts wires JupyterLab).
import type { Contents } from '@jupyterlab/services';
import type { LabIcon } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import lessonsJson from './lessons.json';

export interface ILesson {
  name: string; // file name in notebooks/, e.g. "02-eight-schools.ipynb"
  title: string; // first markdown heading of the notebook
  notebook: unknown; // the nbformat JSON
}

/** The lessons bundled at build time by scripts/collect-lessons.mjs. */
export const LESSONS: ILesson[] = lessonsJson as ILesson[];

export const CATEGORY = 'Shrinkage lessons';

export const EXPLORER_SOURCE = 'import shrinkviz as sv\nsv.ShrinkageExplorer.eight_schools()';

export namespace CommandIDs {
  export const openLesson = 'shrinkviz:open-lesson';
  export const insertExplorer = 'shrinkviz:insert-explorer';
}

/** What the commands need from JupyterLab. */
export interface IHost {
  contents: Pick<Contents.IManager, 'get' | 'save'>;
  /** The folder a lesson is copied into ('' is the server root): see `lessonFolder`. */
  cwd(): string;
  open(path: string): Promise<unknown>;
  /** Whether there is a notebook to insert into. */
  hasNotebook(): boolean;
  /** Add a code cell with `source` below the active cell of the current notebook. */
  insertCode(source: string): void;
  icon?: LabIcon;
}

/**
 * Where a lesson opened from the menu or the palette is copied: the folder the file browser
 * shows, when it is in view; else the folder of the notebook in front (the notebook page of
 * Jupyter Notebook 7 shows no file browser); else the folder the file browser was left in, or
 * the root. (A launcher card passes its own folder.)
 */
export function lessonFolder(
  browser: { path: string; shown: boolean } | null,
  notebookPath: string | undefined
): string {
  if (browser?.shown) {
    return browser.path;
  }
  if (notebookPath !== undefined) {
    return notebookPath.split('/').slice(0, -1).join('/');
  }
  return browser?.path ?? '';
}

/** `name` if it is free, else the first free `stem-1.ext`, `stem-2.ext`, ... */
export function freeName(name: string, taken: ReadonlySet<string>): string {
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  let candidate = name;
  for (let i = 1; taken.has(candidate); i++) {
    candidate = `${stem}-${i}${ext}`;
  }
  return candidate;
}

/** Copy a lesson into `dir` under a name no file there has yet; returns its path. */
export async function copyLesson(
  contents: IHost['contents'],
  lesson: ILesson,
  dir: string
): Promise<string> {
  const listing = await contents.get(dir, { content: true });
  const taken = new Set((listing.content as Contents.IModel[]).map(item => item.name));
  const name = freeName(lesson.name, taken);
  const path = dir ? `${dir}/${name}` : name;
  await contents.save(path, {
    type: 'notebook',
    format: 'json',
    content: lesson.notebook
  });
  return path;
}

function lessonOf(lessons: ILesson[], args: ReadonlyPartialJSONObject): ILesson {
  const lesson = lessons.find(l => l.name === args.name);
  if (!lesson) {
    throw new Error(`name must be one of the bundled lessons (got ${args.name})`);
  }
  return lesson;
}

export function registerCommands(
  commands: CommandRegistry,
  host: IHost,
  lessons: ILesson[] = LESSONS
): void {
  commands.addCommand(CommandIDs.openLesson, {
    label: args => {
      const title = lessons.find(l => l.name === args.name)?.title ?? 'Shrinkage lesson';
      return args.isPalette ? `Open lesson: ${title}` : title;
    },
    caption: args => `Copy ${args.name ?? 'a lesson'} into the current folder and open it`,
    icon: args => (args.isPalette ? undefined : host.icon),
    execute: async args => {
      const lesson = lessonOf(lessons, args);
      const dir = typeof args.cwd === 'string' ? args.cwd : host.cwd();
      const path = await copyLesson(host.contents, lesson, dir);
      await host.open(path);
      return path;
    }
  });

  commands.addCommand(CommandIDs.insertExplorer, {
    label: 'Insert shrinkage explorer',
    caption: 'Add a code cell that shows the eight-schools shrinkage explorer',
    isEnabled: () => host.hasNotebook(),
    execute: () => host.insertCode(EXPLORER_SOURCE)
  });
}
