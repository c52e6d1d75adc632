/** What the file name of a package (colpkg.ts) ends with; Anki's import dialog offers files by it. */
export const COLPKG_EXTENSION = '.colpkg';
