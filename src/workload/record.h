// The workload's self-describing track format: every track a workload
// writer owns is rewritten whole with records whose data says who wrote
// them, where, and in which write (sequence number), with a payload derived
// from (writer, track, sequence) and a CRC32C over all of it. A torn, stale
// or foreign track is detectable from the track alone. Format:
// doc/workload.md.
//
// Pure functions over caller-owned buffers: thread-safe by construction.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ckd/device.h"

namespace pas::workload {

inline constexpr uint32_t kRecordMagic = 0x57534150;  // "PASW" little-endian
inline constexpr uint16_t kRecordVersion = 1;
inline constexpr uint32_t kRecordHeaderSize = 32;
inline constexpr uint32_t kRecordTrailerSize = 4;  // CRC32C
inline constexpr uint32_t kRecordDataLength = 4096;
inline constexpr uint32_t kMaxRecordsPerTrack = 12;

// CRC32C (Castagnoli), hardware-accelerated where the CPU has SSE4.2.
uint32_t Crc32c(std::span<const uint8_t> data, uint32_t crc = 0);

// FNV-1a 32 of a system name (the "system hash" of a record).
uint32_t SystemNameHash(std::string_view name);

// Identity of one workload write of one track.
struct WriteId {
  uint32_t writer = 0;       // global writer id
  uint32_t system_hash = 0;  // SystemNameHash of the writing system
  uint32_t track = 0;        // relative track
  uint64_t seq = 0;          // the writer's sequence number (monotonic)
};

// The fields of one record, decoded.
struct RecordFields {
  WriteId id;
  uint16_t rec = 0;          // record number (1..)
  uint16_t records = 0;      // records in the track
  uint32_t crc = 0;
};

// Fills `data` (at least kRecordHeaderSize + kRecordTrailerSize + 8 bytes)
// as record `rec` of `records` of the write `id`. Returns the record's CRC.
uint32_t EncodeRecord(const WriteId& id, uint16_t rec, uint16_t records, std::span<uint8_t> data);

// Decodes and checks a record's data: magic, version, CRC, and the payload
// pattern. Corruption saying what is wrong otherwise.
Result<RecordFields> DecodeRecord(std::span<const uint8_t> data);

// The write id a record's header names, read without checking the CRC or
// the payload (only the magic, version and length): for a record that does
// not decode, what it claims to be. Nullopt when it is no workload header.
std::optional<RecordFields> PeekRecordHeader(std::span<const uint8_t> data);

// Records of kRecordDataLength bytes the workload puts on one track of `g`.
uint32_t RecordsPerWorkloadTrack(const ckd::DeviceGeometry& g);

// Builds the whole track image of the write `id` into `slot` (exactly
// g.slot_size bytes). Returns the track checksum (CRC32C over the record
// CRCs in record order), the value journaled for the write.
Result<uint32_t> BuildWorkloadTrack(const ckd::DeviceGeometry& g, const WriteId& id,
                                    std::span<uint8_t> slot);

// What a track slot holds, from the workload's point of view.
struct TrackVerdict {
  enum class Kind {
    kIntact,   // every record valid, one write id, the expected count
    kTorn,     // workload records, but a bad CRC, mixed writes or missing records
    kForeign,  // not a workload track (never written, empty, other data)
  };
  Kind kind = Kind::kForeign;
  WriteId id;             // valid for kIntact (and the first good record of kTorn)
  uint32_t checksum = 0;  // track checksum for kIntact
  std::string detail;     // why, for kTorn / kForeign
};

// Inspects a slot read from `track`. Never fails: malformed slots are
// kForeign or kTorn with the reason in `detail`.
TrackVerdict InspectTrack(const ckd::DeviceGeometry& g, uint32_t track,
                          std::span<const uint8_t> slot);

}  // namespace pas::workload
