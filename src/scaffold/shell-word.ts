/**
 * A path as one word of a command a user copies into a shell: as is when it is plain, else in
 * double quotes (which sh, PowerShell and cmd all read as one word), so that `cd` and
 * `npm install` work with a folder such as "My Bot".
 */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,~-]+$/.test(value) ? value : `"${value.replace(/(["$`])/g, '\\$1')}"`;
}
