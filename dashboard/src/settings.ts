/** What the service tells the dashboard at start (`/settings.json`): the ward and the map. Pages and main.ts share it. */
export interface Settings {
  ward: { code: string; name: string; timezone: string };
  map: { tileUrl: string; attribution: string };
}
