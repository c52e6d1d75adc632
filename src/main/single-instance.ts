/**
 * One Hearth per person: a second launch (a double-click on the icon while Hearth sits in the
 * tray) hands over to the first, which shows its window, and quits.
 */

/** The parts of Electron's `app` used here. */
export interface SingleInstanceApp {
  requestSingleInstanceLock(): boolean;
  on(event: 'second-instance', listener: () => void): unknown;
  quit(): void;
}

/** Returns false when another Hearth already runs; this one is then quitting. */
export function setupSingleInstance(app: SingleInstanceApp, onSecondInstance: () => void): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', onSecondInstance);
  return true;
}
