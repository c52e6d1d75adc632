/**
 * "Start Hearth when I log in". Windows and macOS: Electron's app.setLoginItemSettings (passed
 * in). Linux has no such API in Electron; the freedesktop way is a .desktop file in
 * ~/.config/autostart, which GNOME, KDE, Xfce and the rest honour.
 *
 * A login start passes `--hidden` (Windows, Linux) so Hearth goes straight to the tray; macOS
 * tells us instead through wasOpenedAtLogin.
 */
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const HIDDEN_ARG = '--hidden';

/** The parts of Electron's `app` used here. */
export interface LoginItemApi {
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[]; path?: string }): void;
  getLoginItemSettings(options?: { args?: string[]; path?: string }): { openAtLogin: boolean; wasOpenedAtLogin?: boolean };
}

export interface AutostartDeps {
  readonly platform: NodeJS.Platform;
  readonly app: LoginItemApi;
  /** The executable to start: process.execPath, or $APPIMAGE for an AppImage (its mount path changes every run). */
  readonly executable: string;
  /** Linux only: the XDG autostart folder (~/.config/autostart, or $XDG_CONFIG_HOME/autostart). */
  readonly linuxAutostartDir: string;
}

export interface Autostart {
  set(enabled: boolean): void;
  isEnabled(): boolean;
}

/** The autostart entry for Linux desktops. Exec quoting per the Desktop Entry spec. */
export function linuxDesktopEntry(executable: string): string {
  const quoted = `"${executable.replace(/(["`$\\])/g, '\\$1')}"`;
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Hearth',
    'Comment=Anki sync server for your family',
    `Exec=${quoted} ${HIDDEN_ARG}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Whether this launch came from the login item (then the window stays closed). */
export function launchedAtLogin(argv: readonly string[], wasOpenedAtLogin: boolean | undefined): boolean {
  return argv.includes(HIDDEN_ARG) || wasOpenedAtLogin === true;
}

export function shouldShowWindowAtLaunch(options: { argv: readonly string[]; wasOpenedAtLogin?: boolean; startHidden: boolean }): boolean {
  return !options.startHidden && !launchedAtLogin(options.argv, options.wasOpenedAtLogin);
}

export function createAutostart(deps: AutostartDeps): Autostart {
  if (deps.platform === 'linux') {
    const file = join(deps.linuxAutostartDir, 'hearth.desktop');
    return {
      set(enabled) {
        if (enabled) {
          mkdirSync(deps.linuxAutostartDir, { recursive: true });
          writeFileSync(file, linuxDesktopEntry(deps.executable));
        } else {
          rmSync(file, { force: true });
        }
      },
      isEnabled: () => existsSync(file),
    };
  }
  // Windows matches the login item by path and args, so ask with the same ones.
  const args = deps.platform === 'win32' ? [HIDDEN_ARG] : [];
  return {
    set(enabled) {
      deps.app.setLoginItemSettings({ openAtLogin: enabled, ...(args.length > 0 ? { args, path: deps.executable } : {}) });
    },
    isEnabled: () => deps.app.getLoginItemSettings(args.length > 0 ? { args, path: deps.executable } : undefined).openAtLogin,
  };
}

/** The parts of the settings store used here. */
interface StartAtLoginSetting {
  get(): { readonly startAtLogin: boolean };
  onChange(listener: (next: { readonly startAtLogin: boolean }, previous: { readonly startAtLogin: boolean }) => void): unknown;
}

/**
 * Keeps the OS login item equal to the setting. Only a packaged app registers itself: a
 * development run would register the bare Electron binary.
 */
export function setupAutostart(deps: {
  readonly autostart: Autostart;
  readonly settings: StartAtLoginSetting;
  readonly enabled: boolean;
  readonly logger: {
    info(msg: string, fields?: Record<string, string | boolean>): void;
    warn(msg: string, fields?: Record<string, string>): void;
  };
}): void {
  const apply = (on: boolean): void => {
    if (!deps.enabled) {
      deps.logger.info('start at login not applied (development run)', { startAtLogin: on });
      return;
    }
    try {
      if (deps.autostart.isEnabled() !== on) deps.autostart.set(on);
    } catch (err) {
      deps.logger.warn('could not change start at login', { why: err instanceof Error ? err.message : String(err) });
    }
  };
  apply(deps.settings.get().startAtLogin);
  deps.settings.onChange((next, previous) => {
    if (next.startAtLogin !== previous.startAtLogin) apply(next.startAtLogin);
  });
}
