import type { Me } from '../api.ts';
import type { Settings } from '../settings.ts';
import { accountPage } from './account.ts';
import { alarmsPage } from './alarms.ts';
import { camerasPage } from './cameras.ts';
import { deviceListPage, devicePage } from './devices.ts';
import { lightingPage } from './lighting/index.ts';
import { managePage } from './manage/index.ts';
import { mapPage } from './map.ts';
import { provincePage } from './province/index.ts';
import { radioPage } from './radio/index.ts';
import { reportsPage } from './reports.ts';
import { overviewPage } from './overview.ts';
import { wifiPage } from './wifi/index.ts';

export interface Page {
  path: string;
  title: string;
  nav: boolean;
  /** Least role that sees the page; actions inside check their own role. */
  role?: Me['role'];
  render(root: HTMLElement, params: string[], settings: Settings): Promise<(() => void) | void>;
}

/** Pages in navigation order. Feature pages add themselves here. */
export const routes: Page[] = [
  { path: 'overview', title: 'overview', nav: true, render: overviewPage },
  { path: 'map', title: 'map', nav: true, render: mapPage },
  { path: 'devices', title: 'devices', nav: true, render: deviceListPage },
  { path: 'device', title: 'devices', nav: false, render: devicePage },
  { path: 'lighting', title: 'lighting', nav: true, render: lightingPage },
  { path: 'radio', title: 'radio', nav: true, render: radioPage },
  { path: 'cameras', title: 'cameras', nav: true, render: camerasPage },
  { path: 'wifi', title: 'wifi', nav: true, render: wifiPage },
  { path: 'province', title: 'province', nav: true, render: provincePage },
  { path: 'alarms', title: 'alarms', nav: true, render: alarmsPage },
  { path: 'reports', title: 'reports', nav: true, render: reportsPage },
  { path: 'manage', title: 'manage', nav: true, render: managePage },
  { path: 'account', title: 'account', nav: false, render: accountPage },
];
