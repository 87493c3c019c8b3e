/**
 * Targets taken from the two ward plans of 2026 (/work/shared/seeds: Phước Long's BCĐ plan for 2026 and Ba Ngòi's
 * Kế hoạch 01-KH/BCĐ of 09/02/2026). The plans name the systems and the deadline but few device numbers, so each target
 * says whether its number is the plan's (`plan`) or our reading of a task the plan sets without a number (`proposal`);
 * an administrator changes any of them through PUT /api/v1/plan-targets (docs/health.md "Plan targets").
 * Applied once, at the first start of a ward whose name matches and which has no targets yet.
 */
import type { Comparator } from './targets.repository.ts';

export interface SeedTarget {
  indicator: string;
  period: string;
  comparator: Comparator;
  target: number;
  source: string;
  basis: 'plan' | 'proposal';
}

const PHUOC_LONG = 'Kế hoạch thực hiện nhiệm vụ phát triển KH, CN, ĐMST và CĐS năm 2026, phường Phước Long';
const BA_NGOI = 'Kế hoạch số 01-KH/BCĐ ngày 09/02/2026, phường Ba Ngòi';

export const PLAN_SEEDS: Record<string, SeedTarget[]> = {
  'phước long': [
    {
      indicator: 'streetlight.remoteControl',
      period: '2026',
      comparator: '>=',
      target: 100,
      basis: 'proposal',
      source: `${PHUOC_LONG}, mục IV.1: "xây dựng, vận hành hệ thống chiếu sáng thông minh (Smart Light)" — mọi đèn được điều khiển từ xa`,
    },
    {
      indicator: 'streetlight.availability',
      period: '2026',
      comparator: '>=',
      target: 95,
      basis: 'proposal',
      source: `${PHUOC_LONG}, mục IV.1: vận hành hệ thống chiếu sáng thông minh — độ sẵn sàng đề xuất`,
    },
    {
      indicator: 'wifi-ap.groupsServedPeriod',
      period: '2026',
      comparator: '>=',
      target: 100,
      basis: 'proposal',
      source: `${PHUOC_LONG}, mục IV.1: "xây dựng, vận hành hệ thống Wifi Marketing công cộng" — mọi khu phố có điểm WiFi hoạt động`,
    },
  ],
  'ba ngòi': [
    {
      indicator: 'wifi-ap.groupsServedPeriod',
      period: '2026',
      comparator: '>=',
      target: 100,
      basis: 'plan',
      source: `${BA_NGOI}, Phụ lục V.1: "Đảm bảo kinh phí duy trì các điểm Wifi công cộng cho các Tổ dân phố" (12/2026)`,
    },
    {
      indicator: 'speaker.devices',
      period: '2026',
      comparator: '>',
      target: 0,
      basis: 'plan',
      source: `${BA_NGOI}, Phụ lục IV.13.2: "Triển khai dự án đầu tư, nâng cấp đài truyền thanh cơ sở ứng dụng CNTT-VT" — dự án hoàn thành 12/2026`,
    },
    {
      indicator: 'speaker.availability',
      period: '2026',
      comparator: '>=',
      target: 95,
      basis: 'proposal',
      source: `${BA_NGOI}, Phụ lục IV.13.2: đài truyền thanh cơ sở vận hành — độ sẵn sàng đề xuất`,
    },
    {
      indicator: 'camera.devices',
      period: '2026',
      comparator: '>',
      target: 0,
      basis: 'plan',
      source: `${BA_NGOI}, Phụ lục IV.13.3: "Triển khai dự án đầu tư Hệ thống camera quan sát tầm cao" — dự án hoàn thành 12/2026`,
    },
    {
      indicator: 'camera.snapshotRate',
      period: '2026',
      comparator: '>=',
      target: 95,
      basis: 'proposal',
      source: `${BA_NGOI}, Phụ lục IV.13.3: camera quan sát tầm cao vận hành — tỷ lệ ảnh chụp kiểm tra thành công đề xuất`,
    },
  ],
};

/** The seed list for a ward name ("Phường Ba Ngòi", "phuong ba ngoi" does not match: the plans' own spelling). */
export function seedsFor(wardName: string): SeedTarget[] {
  const key = wardName
    .normalize('NFC')
    .toLowerCase()
    .replace(/^(phường|xã|thị trấn)\s+/, '')
    .trim();
  return PLAN_SEEDS[key] ?? [];
}
