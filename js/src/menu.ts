// The "Shrinkage lessons" menu of the main menu bar: the way to the lessons where there is no
// launcher (Jupyter Notebook 7), and a second way in JupyterLab. It holds the same commands as
// the launcher cards and the palette (commands.ts).
import type { Menu } from '@lumino/widgets';

import { CATEGORY, CommandIDs, ILesson, LESSONS } from './commands';

export const MENU_ID = 'jp-mainmenu-shrinkviz';

/** After JupyterLab's Tabs menu (rank 500), before Settings (999) and Help (1000). */
export const MENU_RANK = 900;

/** What is used of a lumino `Menu` (a jsdom test cannot build one: it has no DragEvent). */
export type IMenuLike = Pick<Menu, 'id' | 'title' | 'addItem'>;

/** Fill `menu` (empty, of the app's command registry): one item per lesson, which opens a copy
 * of it, then "Insert shrinkage explorer". */
export function fillLessonMenu<T extends IMenuLike>(menu: T, lessons: ILesson[] = LESSONS): T {
  menu.id = MENU_ID;
  menu.title.label = CATEGORY;
  for (const lesson of lessons) {
    menu.addItem({ command: CommandIDs.openLesson, args: { name: lesson.name } });
  }
  menu.addItem({ type: 'separator' });
  menu.addItem({ command: CommandIDs.insertExplorer });
  return menu;
}
