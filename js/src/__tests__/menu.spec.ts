import { CommandRegistry } from '@lumino/commands';
import type { Menu } from '@lumino/widgets';

import { CATEGORY, CommandIDs, ILesson, IHost, registerCommands } from '../commands';
import { fillLessonMenu, IMenuLike, MENU_ID } from '../menu';

const lessons: ILesson[] = [
  { name: '01-pooling.ipynb', title: 'Pooling', notebook: { cells: [] } },
  { name: '02-eight-schools.ipynb', title: 'Eight schools', notebook: { cells: [] } }
];

/** The items a menu was given (a lumino Menu needs DragEvent, which jsdom lacks). */
function fakeMenu() {
  const items: Menu.IItemOptions[] = [];
  const menu = {
    id: '',
    title: { label: '' },
    addItem: (options: Menu.IItemOptions) => items.push(options)
  } as unknown as IMenuLike;
  return { menu, items };
}

describe('fillLessonMenu', () => {
  it('lists every lesson by title, then the explorer command, all runnable', async () => {
    const commands = new CommandRegistry();
    const opened: string[] = [];
    let notebookOpen = false;
    const host: IHost = {
      contents: {
        get: async () => ({ content: [] }) as never,
        save: async path => ({ path }) as never
      },
      cwd: () => '',
      open: async path => opened.push(path),
      hasNotebook: () => notebookOpen,
      insertCode: () => undefined
    };
    registerCommands(commands, host, lessons);
    const { menu, items } = fakeMenu();
    fillLessonMenu(menu, lessons);

    expect(menu.id).toBe(MENU_ID);
    expect(menu.title.label).toBe(CATEGORY);
    const shown = items.map(item =>
      item.type === 'separator' ? '---' : commands.label(item.command!, item.args)
    );
    expect(shown).toEqual(['Pooling', 'Eight schools', '---', 'Insert shrinkage explorer']);
    expect(items[3].command).toBe(CommandIDs.insertExplorer);
    expect(commands.isEnabled(items[3].command!)).toBe(false); // no notebook to insert into
    notebookOpen = true;
    expect(commands.isEnabled(items[3].command!)).toBe(true);

    await commands.execute(items[1].command!, items[1].args);
    expect(opened).toEqual(['02-eight-schools.ipynb']);
  });
});
