/**
 * The tray icon: Electron's Tray with an icon per state and platform, and the menu from the
 * pure tray-menu.ts. Electron's classes are passed in (index.ts does), so this module loads
 * without Electron and the template conversion is tested.
 *
 * Icons (assets/tray/, made by scripts/gen-icons.sh): macOS uses monochrome template images
 * (`runningTemplate.png` + `@2x`), which macOS tints for light and dark menu bars; Windows uses
 * `.ico` (16–48 px in one file, for every display scale); Linux uses `.png`.
 */
import { join } from 'node:path';
import type { Menu, MenuItemConstructorOptions, NativeImage, Tray } from 'electron';
import { trayIconKind, trayMenu, trayTooltip } from './tray-menu.ts';
import type { TrayAction, TrayIconKind, TrayMenuItem, TrayView } from './tray-menu.ts';

export function trayIconPath(kind: TrayIconKind, platform: NodeJS.Platform, assetsDir: string): string {
  const dir = join(assetsDir, 'tray');
  if (platform === 'darwin') return join(dir, `${kind}Template.png`);
  if (platform === 'win32') return join(dir, `${kind}.ico`);
  return join(dir, `${kind}.png`);
}

export function toElectronTemplate(items: readonly TrayMenuItem[], onAction: (action: TrayAction) => void): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    if (item.type === 'separator') return { id: item.id, type: 'separator' };
    const action = item.action;
    return {
      id: item.id,
      type: item.type,
      label: item.label ?? '',
      enabled: item.enabled ?? true,
      ...(item.type === 'checkbox' ? { checked: item.checked ?? false } : {}),
      ...(action ? { click: () => onAction(action) } : {}),
    };
  });
}

export interface TrayDeps {
  readonly Tray: new (image: NativeImage) => Tray;
  readonly Menu: Pick<typeof Menu, 'buildFromTemplate'>;
  readonly createImage: (path: string) => NativeImage;
  readonly platform: NodeJS.Platform;
  readonly assetsDir: string;
  readonly onAction: (action: TrayAction) => void;
  /** Windows convention: a click on the icon opens the window (elsewhere a click opens the menu). */
  readonly onClick: () => void;
}

export interface TrayHandle {
  update(view: TrayView): void;
  destroy(): void;
}

export function setupTray(deps: TrayDeps, initial: TrayView): TrayHandle {
  const images = new Map<TrayIconKind, NativeImage>();
  const image = (kind: TrayIconKind): NativeImage => {
    let img = images.get(kind);
    if (!img) {
      img = deps.createImage(trayIconPath(kind, deps.platform, deps.assetsDir));
      images.set(kind, img);
    }
    return img;
  };

  let shownKind = trayIconKind(initial.server);
  const tray = new deps.Tray(image(shownKind));
  if (deps.platform === 'win32') tray.on('click', deps.onClick);

  let lastMenu = '';
  const update = (view: TrayView): void => {
    const kind = trayIconKind(view.server);
    if (kind !== shownKind) {
      shownKind = kind;
      tray.setImage(image(kind));
    }
    tray.setToolTip(trayTooltip(view));
    const items = trayMenu(view);
    // Rebuilding an open menu closes it on some platforms; only rebuild when it changed.
    const key = JSON.stringify(items);
    if (key === lastMenu) return;
    lastMenu = key;
    tray.setContextMenu(deps.Menu.buildFromTemplate(toElectronTemplate(items, deps.onAction)));
  };
  update(initial);

  return { update, destroy: () => tray.destroy() };
}

export interface TrayActionDeps {
  readonly setServerEnabled: (enabled: boolean) => void;
  readonly retry: () => void;
  readonly copyText: (text: string) => void;
  readonly openWindow: () => void;
  readonly setStartAtLogin: (enabled: boolean) => void;
  readonly quit: () => void;
}

/** What each menu action does; the effects are passed in. */
export function handleTrayAction(action: TrayAction, deps: TrayActionDeps): void {
  switch (action.kind) {
    case 'set-server-enabled':
      return deps.setServerEnabled(action.enabled);
    case 'retry':
      return deps.retry();
    case 'copy-url':
      return deps.copyText(action.url);
    case 'open-window':
      return deps.openWindow();
    case 'set-start-at-login':
      return deps.setStartAtLogin(action.enabled);
    case 'quit':
      return deps.quit();
  }
}
