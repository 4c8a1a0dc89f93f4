// The workload track format. Layout and rationale: doc/workload.md.
#include "workload/record.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "ckd/track.h"

namespace pas::workload {
namespace {

// Little-endian field access (the record data is ours, not a CKD field).
void Put16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
void Put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
void Put64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }
uint16_t Get16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return v; }
uint32_t Get32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
uint64_t Get64(const uint8_t* p) { uint64_t v; std::memcpy(&v, p, 8); return v; }

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = MakeCrcTable();

uint32_t Crc32cSoftware(const uint8_t* p, size_t n, uint32_t crc) {
  for (size_t i = 0; i < n; ++i) crc = kCrcTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t Crc32cHardware(const uint8_t* p, size_t n,
                                                           uint32_t crc) {
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
  return c32;
}
bool HaveSse42() {
  static const bool have = __builtin_cpu_supports("sse4.2");
  return have;
}
#endif

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t PatternSeed(const WriteId& id, uint16_t rec) {
  uint64_t s = id.seq * 0x100000001B3ull;
  s ^= (uint64_t{id.writer} << 32) | id.track;
  s ^= uint64_t{rec} << 48;
  s ^= uint64_t{id.system_hash} * 0x9E3779B97F4A7C15ull;
  return s;
}

// Fills or checks the payload [kRecordHeaderSize, size - trailer).
void FillPayload(const WriteId& id, uint16_t rec, uint8_t* p, size_t n) {
  uint64_t state = PatternSeed(id, rec);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) Put64(p + i, SplitMix64(state));
  if (i < n) {
    uint64_t v = SplitMix64(state);
    std::memcpy(p + i, &v, n - i);
  }
}

bool PayloadMatches(const WriteId& id, uint16_t rec, const uint8_t* p, size_t n) {
  uint64_t state = PatternSeed(id, rec);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    if (Get64(p + i) != SplitMix64(state)) return false;
  }
  if (i < n) {
    uint64_t v = SplitMix64(state);
    if (std::memcmp(p + i, &v, n - i) != 0) return false;
  }
  return true;
}

constexpr uint32_t kMinRecordSize = kRecordHeaderSize + kRecordTrailerSize + 8;

}  // namespace

uint32_t Crc32c(std::span<const uint8_t> data, uint32_t crc) {
  crc = ~crc;
#if defined(__x86_64__)
  if (HaveSse42()) return ~Crc32cHardware(data.data(), data.size(), crc);
#endif
  return ~Crc32cSoftware(data.data(), data.size(), crc);
}

uint32_t SystemNameHash(std::string_view name) {
  uint32_t h = 2166136261u;
  for (char c : name) {
    h ^= static_cast<uint8_t>(c);
    h *= 16777619u;
  }
  return h;
}

uint32_t EncodeRecord(const WriteId& id, uint16_t rec, uint16_t records, std::span<uint8_t> data) {
  uint8_t* p = data.data();
  const size_t n = data.size();
  Put32(p + 0, kRecordMagic);
  Put16(p + 4, kRecordVersion);
  Put16(p + 6, records);
  Put32(p + 8, id.writer);
  Put32(p + 12, id.system_hash);
  Put32(p + 16, id.track);
  Put16(p + 20, rec);
  Put16(p + 22, static_cast<uint16_t>(std::min<size_t>(n, 0xFFFF)));
  Put64(p + 24, id.seq);
  FillPayload(id, rec, p + kRecordHeaderSize, n - kRecordHeaderSize - kRecordTrailerSize);
  uint32_t crc = Crc32c(data.first(n - kRecordTrailerSize));
  Put32(p + n - kRecordTrailerSize, crc);
  return crc;
}

std::optional<RecordFields> PeekRecordHeader(std::span<const uint8_t> data) {
  const size_t n = data.size();
  if (n < kMinRecordSize) return std::nullopt;
  const uint8_t* p = data.data();
  if (Get32(p) != kRecordMagic || Get16(p + 4) != kRecordVersion ||
      Get16(p + 22) != std::min<size_t>(n, 0xFFFF)) {
    return std::nullopt;
  }
  RecordFields f;
  f.records = Get16(p + 6);
  f.id.writer = Get32(p + 8);
  f.id.system_hash = Get32(p + 12);
  f.id.track = Get32(p + 16);
  f.rec = Get16(p + 20);
  f.id.seq = Get64(p + 24);
  f.crc = Get32(p + n - kRecordTrailerSize);
  return f;
}

Result<RecordFields> DecodeRecord(std::span<const uint8_t> data) {
  const size_t n = data.size();
  if (n < kMinRecordSize) {
    return Status::Corruption("record of " + std::to_string(n) + " bytes is too short");
  }
  const uint8_t* p = data.data();
  if (Get32(p) != kRecordMagic) return Status::Corruption("no workload magic");
  if (Get16(p + 4) != kRecordVersion) {
    return Status::Corruption("workload record version " + std::to_string(Get16(p + 4)));
  }
  if (Get16(p + 22) != std::min<size_t>(n, 0xFFFF)) {
    return Status::Corruption("record length field " + std::to_string(Get16(p + 22)) +
                              " but data length " + std::to_string(n));
  }
  const RecordFields f = *PeekRecordHeader(data);
  if (Crc32c(data.first(n - kRecordTrailerSize)) != f.crc) {
    return Status::Corruption("checksum mismatch");
  }
  if (!PayloadMatches(f.id, f.rec, p + kRecordHeaderSize,
                      n - kRecordHeaderSize - kRecordTrailerSize)) {
    return Status::Corruption("payload differs from its pattern");
  }
  return f;
}

uint32_t RecordsPerWorkloadTrack(const ckd::DeviceGeometry& g) {
  const uint32_t overhead = ckd::kHomeAddressSize + ckd::kCountSize + 8 + ckd::kEndOfTrackSize;
  const uint32_t fit = (g.slot_size - overhead) / (ckd::kCountSize + kRecordDataLength);
  return std::min(fit, kMaxRecordsPerTrack);
}

Result<uint32_t> BuildWorkloadTrack(const ckd::DeviceGeometry& g, const WriteId& id,
                                    std::span<uint8_t> slot) {
  const uint16_t records = static_cast<uint16_t>(RecordsPerWorkloadTrack(g));
  ckd::TrackBuilder builder(g, id.track);
  std::array<uint8_t, kRecordDataLength> data;
  uint32_t track_crc = 0;
  for (uint16_t r = 1; r <= records; ++r) {
    uint32_t crc = EncodeRecord(id, r, records, data);
    uint8_t crc_bytes[4];
    Put32(crc_bytes, crc);
    track_crc = Crc32c(crc_bytes, track_crc);
    PAS_RETURN_IF_ERROR(builder.AddRecord(static_cast<uint8_t>(r), {}, data));
  }
  PAS_RETURN_IF_ERROR(builder.Finish(slot));
  return track_crc;
}

TrackVerdict InspectTrack(const ckd::DeviceGeometry& g, uint32_t track,
                          std::span<const uint8_t> slot) {
  TrackVerdict v;
  auto parsed = ckd::ParseTrack(slot, g, track);
  if (!parsed.ok()) {
    // A slot that is not a well-formed track: never written (zero) is
    // foreign; anything else that had been a workload track is torn, but
    // without a parse we cannot tell, so say what is wrong.
    v.kind = ckd::IsZeroSlot(slot) ? TrackVerdict::Kind::kForeign : TrackVerdict::Kind::kTorn;
    v.detail = ckd::IsZeroSlot(slot) ? "never written (zero slot)"
                                     : "malformed track: " + parsed.status().message();
    return v;
  }
  std::vector<RecordFields> fields;
  bool any_magic = false;
  std::string first_error;
  for (const auto& rv : parsed->records) {
    if (rv.rec == 0) continue;
    if (rv.data.size() >= 4 && Get32(rv.data.data()) == kRecordMagic) any_magic = true;
    auto f = DecodeRecord(rv.data);
    if (!f.ok()) {
      if (first_error.empty()) {
        first_error = "record " + std::to_string(rv.rec) + ": " + f.status().message();
      }
      continue;
    }
    fields.push_back(*f);
  }
  if (fields.empty() && !any_magic) {
    v.kind = TrackVerdict::Kind::kForeign;
    v.detail = parsed->records.size() <= 1 ? "empty track (no workload records)"
                                           : "no workload records";
    return v;
  }
  v.kind = TrackVerdict::Kind::kTorn;
  if (!fields.empty()) v.id = fields.front().id;
  if (!first_error.empty()) {
    v.detail = first_error;
    return v;
  }
  const RecordFields& first = fields.front();
  uint32_t track_crc = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    const RecordFields& f = fields[i];
    if (f.id.seq != first.id.seq || f.id.writer != first.id.writer ||
        f.id.system_hash != first.id.system_hash) {
      v.detail = "record " + std::to_string(f.rec) + " is from write seq " +
                 std::to_string(f.id.seq) + " writer " + std::to_string(f.id.writer) +
                 ", record " + std::to_string(first.rec) + " from seq " +
                 std::to_string(first.id.seq) + " writer " + std::to_string(first.id.writer);
      return v;
    }
    if (f.id.track != track) {
      v.detail = "record " + std::to_string(f.rec) + " says track " + std::to_string(f.id.track);
      return v;
    }
    if (f.rec != i + 1 || f.records != first.records) {
      v.detail = "record numbering broken at record " + std::to_string(f.rec);
      return v;
    }
    uint8_t crc_bytes[4];
    Put32(crc_bytes, f.crc);
    track_crc = Crc32c(crc_bytes, track_crc);
  }
  if (fields.size() != first.records) {
    v.detail = std::to_string(fields.size()) + " of " + std::to_string(first.records) +
               " records present";
    return v;
  }
  v.kind = TrackVerdict::Kind::kIntact;
  v.checksum = track_crc;
  return v;
}

}  // namespace pas::workload
