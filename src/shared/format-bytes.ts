/** Sizes as Windows' Explorer shows them (1 KB = 1024 bytes), one decimal below 10: "900 bytes", "1.5 KB", "12 MB". */
export function formatBytes(bytes: number): string {
  const n = Number.isFinite(bytes) && bytes > 0 ? bytes : 0;
  if (n < 1024) {
    const whole = Math.round(n);
    return `${whole.toLocaleString('en')} ${whole === 1 ? 'byte' : 'bytes'}`;
  }
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value).toString()} ${units[unit]}`;
}
