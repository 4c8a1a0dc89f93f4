// The CKD device table and geometry: 3390 and 3380 models as a named-field
// constexpr table, CCHH <-> relative track, and the record-capacity formula.
// Everything here is constexpr data or a pure function: thread-safe.
// Format facts: doc/ckd-format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace pas::ckd {

struct DeviceGeometry {
  uint16_t device_type;        // 0x3390, 0x3380
  uint8_t header_devtype;      // dh_devtyp byte in the Hercules header: 0x90, 0x80
  uint32_t heads;              // tracks per cylinder (15)
  uint32_t track_capacity;     // maximum R1 data length: 56664 (3390), 47476 (3380)
  uint32_t slot_size;          // Hercules track slot: 56832 (3390), 47616 (3380)
  uint32_t max_cyls_per_file;  // cylinders in one file of a 2 GB multi-file set: 2519, 3006
  uint16_t devtk;              // DS4DEVTK: 58786 (3390), 47968 (3380)
};

inline constexpr DeviceGeometry k3390Geometry{.device_type = 0x3390,
                                              .header_devtype = 0x90,
                                              .heads = 15,
                                              .track_capacity = 56664,
                                              .slot_size = 56832,
                                              .max_cyls_per_file = 2519,
                                              .devtk = 58786};
inline constexpr DeviceGeometry k3380Geometry{.device_type = 0x3380,
                                              .header_devtype = 0x80,
                                              .heads = 15,
                                              .track_capacity = 47476,
                                              .slot_size = 47616,
                                              .max_cyls_per_file = 3006,
                                              .devtk = 47968};

struct DeviceModel {
  std::string_view name;   // "3390-9"
  uint16_t device_type;    // 0x3390
  uint32_t cylinders;      // primary cylinders
  uint32_t alt_cylinders;  // Hercules alternates (dasdinit -a)
};

inline constexpr DeviceModel kDeviceModels[] = {
    {.name = "3390-1", .device_type = 0x3390, .cylinders = 1113, .alt_cylinders = 1},
    {.name = "3390-2", .device_type = 0x3390, .cylinders = 2226, .alt_cylinders = 1},
    {.name = "3390-3", .device_type = 0x3390, .cylinders = 3339, .alt_cylinders = 1},
    {.name = "3390-9", .device_type = 0x3390, .cylinders = 10017, .alt_cylinders = 3},
    {.name = "3390-27", .device_type = 0x3390, .cylinders = 32760, .alt_cylinders = 3},
    {.name = "3390-54", .device_type = 0x3390, .cylinders = 65520, .alt_cylinders = 3},
    {.name = "3380-1", .device_type = 0x3380, .cylinders = 885, .alt_cylinders = 1},
    {.name = "3380-2", .device_type = 0x3380, .cylinders = 1770, .alt_cylinders = 1},
    {.name = "3380-3", .device_type = 0x3380, .cylinders = 2655, .alt_cylinders = 1},
};

// Largest cylinder count a Hercules CKD image can hold (16-bit CC).
inline constexpr uint32_t kMaxCylinders = 65535;

// The geometry of a device type (0x3390, 0x3380), or nullopt.
std::optional<DeviceGeometry> GeometryForType(uint16_t device_type);
// The geometry for a header devtype byte (0x90, 0x80), or nullopt.
std::optional<DeviceGeometry> GeometryForHeaderByte(uint8_t devtyp);
// "3390-3" -> the model; also accepts "3390" (model -1) and "3380". nullopt if unknown.
std::optional<DeviceModel> FindModel(std::string_view name);
// The standard model with exactly this many cylinders, or nullopt (non-standard size).
std::optional<DeviceModel> ModelForCylinders(uint16_t device_type, uint32_t cylinders);
// "3390-9" for standard sizes, "3390" otherwise.
std::string_view ModelName(uint16_t device_type, uint32_t cylinders);

struct Cchh {
  uint32_t cyl = 0;
  uint32_t head = 0;
  friend bool operator==(const Cchh&, const Cchh&) = default;
};

constexpr uint32_t RelativeTrack(const DeviceGeometry& g, Cchh a) {
  return a.cyl * g.heads + a.head;
}
constexpr Cchh TrackAddress(const DeviceGeometry& g, uint32_t track) {
  return Cchh{.cyl = track / g.heads, .head = track % g.heads};
}

// Records of key length `kl` and data length `dl` that fit on one track
// (Hercules capacity formula 2 for 3390, formula 1 for 3380). 0 if none fit.
uint32_t RecordsPerTrack(const DeviceGeometry& g, uint32_t kl, uint32_t dl);

}  // namespace pas::ckd
