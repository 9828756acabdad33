/** True when the runtime knows this IANA time zone name (Asia/Tokyo, America/New_York …). */
export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
