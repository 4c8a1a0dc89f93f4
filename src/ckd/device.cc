// The device table and capacity formulas. See device.h and
// doc/ckd-format.md ("Geometry and record capacity").
#include "ckd/device.h"

namespace pas::ckd {

namespace {

constexpr uint32_t CeilDiv(uint32_t a, uint32_t b) { return (a + b - 1) / b; }

// 3390: Hercules capacity formula 2 in 34-byte cells; 1729 cells a track.
uint32_t Records3390(uint32_t kl, uint32_t dl) {
  const uint32_t di = CeilDiv(dl + 6, 232);
  uint32_t cells = 19 + CeilDiv(dl + 6 + 6 * di, 34);
  if (kl > 0) {
    const uint32_t ki = CeilDiv(kl + 6, 232);
    cells += 9 + CeilDiv(kl + 6 + 6 * ki, 34);
  }
  return 1729 / cells;
}

// 3380: Hercules capacity formula 1 in 32-byte units; 47968 bytes a track.
uint32_t Records3380(uint32_t kl, uint32_t dl) {
  uint32_t bytes = 32 * CeilDiv(dl + 492, 32);
  if (kl > 0) bytes += 32 * CeilDiv(kl + 236, 32);
  return 47968 / bytes;
}

}  // namespace

std::optional<DeviceGeometry> GeometryForType(uint16_t device_type) {
  if (device_type == k3390Geometry.device_type) return k3390Geometry;
  if (device_type == k3380Geometry.device_type) return k3380Geometry;
  return std::nullopt;
}

std::optional<DeviceGeometry> GeometryForHeaderByte(uint8_t devtyp) {
  if (devtyp == k3390Geometry.header_devtype) return k3390Geometry;
  if (devtyp == k3380Geometry.header_devtype) return k3380Geometry;
  return std::nullopt;
}

std::optional<DeviceModel> FindModel(std::string_view name) {
  if (name == "3390") name = "3390-1";
  if (name == "3380") name = "3380-1";
  for (const DeviceModel& m : kDeviceModels) {
    if (m.name == name) return m;
  }
  return std::nullopt;
}

std::optional<DeviceModel> ModelForCylinders(uint16_t device_type, uint32_t cylinders) {
  for (const DeviceModel& m : kDeviceModels) {
    if (m.device_type == device_type && m.cylinders == cylinders) return m;
  }
  return std::nullopt;
}

std::string_view ModelName(uint16_t device_type, uint32_t cylinders) {
  if (auto m = ModelForCylinders(device_type, cylinders)) return m->name;
  if (device_type == 0x3390) return "3390";
  if (device_type == 0x3380) return "3380";
  return "unknown";
}

uint32_t RecordsPerTrack(const DeviceGeometry& g, uint32_t kl, uint32_t dl) {
  if (kl > 255 || dl > g.track_capacity) return 0;
  if (g.device_type == 0x3390) return Records3390(kl, dl);
  if (g.device_type == 0x3380) return Records3380(kl, dl);
  return 0;
}

}  // namespace pas::ckd
