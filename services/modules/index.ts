import type { FeatureModule } from './module.ts';
import { HealthModule } from '../health/health.module.ts';
import { IndicatorsModule } from '../health/indicators/indicators.module.ts';
import { CameraModule } from '../cameras/camera.module.ts';
import { controlModule } from '../control/control.module.ts';
import { radioModule } from '../control/radio.module.ts';
import { BackupModule } from '../backup/backup.module.ts';
import { WifiModule } from '../wifi/wifi.module.ts';
import { ProvinceModule } from '../province/province.module.ts';

/** Every feature module, in start order. Adding a feature = one line here. */
export const MODULES: (() => FeatureModule)[] = [
  () => new CameraModule(),
  () => new HealthModule(),
  () => new IndicatorsModule(),
  controlModule,
  radioModule,
  () => new BackupModule(),
  () => new WifiModule(),
  () => new ProvinceModule(),
];
