import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { INotebookTracker } from '@jupyterlab/notebook';
import { LabIcon, MenuSvg } from '@jupyterlab/ui-components';

import { watch } from './a11y';
import { CATEGORY, CommandIDs, lessonFolder, LESSONS, registerCommands } from './commands';
import { fillLessonMenu, MENU_RANK } from './menu';

// Eight points drawn toward a horizontal line: the picture of shrinkage.
const shrinkIcon = new LabIcon({
  name: 'shrinkviz:shrink',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">
  <g class="jp-icon3 jp-shrinkviz-icon" fill="#616161">
    <rect x="1" y="11.25" width="22" height="1.5" rx="0.75"/>
    <circle cx="3" cy="4" r="1.6"/><circle cx="8.5" cy="8" r="1.6"/>
    <circle cx="14" cy="15" r="1.6"/><circle cx="20" cy="19.5" r="1.6"/>
  </g></svg>`
});

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'shrinkviz:plugin',
  description: 'Launcher cards, a menu and commands for the shrinkviz lessons.',
  autoStart: true,
  // all optional: Jupyter Notebook 7 has no launcher (the menu is its way to the lessons)
  optional: [IDefaultFileBrowser, INotebookTracker, ILauncher, ICommandPalette, IMainMenu],
  activate: (
    app: JupyterFrontEnd,
    browser: IDefaultFileBrowser | null,
    notebooks: INotebookTracker | null,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    mainMenu: IMainMenu | null
  ) => {
    registerCommands(app.commands, {
      contents: app.serviceManager.contents,
      cwd: () =>
        lessonFolder(
          browser && { path: browser.model.path, shown: browser.isVisible },
          notebooks?.currentWidget?.context.path
        ),
      open: path => app.commands.execute('docmanager:open', { path }),
      hasNotebook: () => !!notebooks?.currentWidget,
      insertCode: source => {
        const panel = notebooks?.currentWidget;
        if (!panel?.model) {
          return;
        }
        const index = panel.content.activeCellIndex + 1;
        panel.model.sharedModel.insertCell(index, { cell_type: 'code', source });
        panel.content.activeCellIndex = index;
      },
      icon: shrinkIcon
    });

    LESSONS.forEach((lesson, rank) => {
      const args = { name: lesson.name };
      launcher?.add({ command: CommandIDs.openLesson, args, category: CATEGORY, rank });
      palette?.addItem({
        command: CommandIDs.openLesson,
        args: { ...args, isPalette: true },
        category: CATEGORY
      });
    });
    palette?.addItem({ command: CommandIDs.insertExplorer, category: CATEGORY });
    mainMenu?.addMenu(fillLessonMenu(new MenuSvg({ commands: app.commands })), true, {
      rank: MENU_RANK
    });
    watch();
  }
};

export default plugin;
