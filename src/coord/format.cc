#include "coord/format.h"

#include <algorithm>
#include <cstring>

namespace pas::coord {
namespace {

constexpr char kHeaderMagic[8] = {'P', 'A', 'S', 'C', 'T', 'L', 'H', 'D'};
constexpr char kWatcherMagic[8] = {'P', 'A', 'S', 'C', 'T', 'L', 'W', 'A'};
constexpr char kParticipantMagic[8] = {'P', 'A', 'S', 'C', 'T', 'L', 'P', 'T'};

struct CrcTable {
  uint32_t t[256];
  constexpr CrcTable() : t() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
  }
};
constexpr CrcTable kCrcTable;

// Little-endian writer into a fixed buffer; the offsets are the format.
class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& b) : b_(b) {}
  void Bytes(size_t off, const void* p, size_t n) { std::memcpy(b_.data() + off, p, n); }
  void U8(size_t off, uint8_t v) { b_[off] = v; }
  void U16(size_t off, uint16_t v) {
    for (int i = 0; i < 2; ++i) b_[off + i] = uint8_t(v >> (8 * i));
  }
  void U32(size_t off, uint32_t v) {
    for (int i = 0; i < 4; ++i) b_[off + i] = uint8_t(v >> (8 * i));
  }
  void U64(size_t off, uint64_t v) {
    for (int i = 0; i < 8; ++i) b_[off + i] = uint8_t(v >> (8 * i));
  }
  // NUL-padded string of at most size-1 bytes.
  bool Str(size_t off, size_t size, const std::string& s) {
    if (s.size() >= size || s.find('\0') != std::string::npos) return false;
    std::memcpy(b_.data() + off, s.data(), s.size());
    return true;
  }

 private:
  std::vector<uint8_t>& b_;
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> b) : b_(b) {}
  uint8_t U8(size_t off) const { return b_[off]; }
  uint16_t U16(size_t off) const { return uint16_t(b_[off] | (b_[off + 1] << 8)); }
  uint32_t U32(size_t off) const {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | b_[off + i];
    return v;
  }
  uint64_t U64(size_t off) const {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | b_[off + i];
    return v;
  }
  // A NUL-padded printable string field; false when not terminated inside
  // the field, when a byte after the NUL is not NUL, or a byte is not printable.
  bool Str(size_t off, size_t size, std::string* out) const {
    size_t n = 0;
    while (n < size && b_[off + n] != 0) ++n;
    if (n == size) return false;
    for (size_t i = n; i < size; ++i)
      if (b_[off + i] != 0) return false;
    for (size_t i = 0; i < n; ++i)
      if (b_[off + i] < 0x20 || b_[off + i] > 0x7E) return false;
    out->assign(reinterpret_cast<const char*>(b_.data() + off), n);
    return true;
  }

 private:
  std::span<const uint8_t> b_;
};

bool AllZero(std::span<const uint8_t> b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t c) { return c == 0; });
}

// Common checks: size, never written, magic, version, CRC in the last 4 bytes.
Status CheckBlock(std::span<const uint8_t> b, size_t size, const char (&magic)[8], const char* what) {
  if (b.size() != size) {
    return Status::Corruption(std::string(what) + ": block is " + std::to_string(b.size()) +
                              " bytes, expected " + std::to_string(size));
  }
  if (AllZero(b)) return Status::NotFound(std::string(what) + ": never written");
  if (std::memcmp(b.data(), magic, 8) != 0) return Status::Corruption(std::string(what) + ": bad magic");
  Reader r(b);
  uint32_t stored = r.U32(size - 4);
  uint32_t computed = Crc32c(b.first(size - 4));
  if (stored != computed) return Status::Corruption(std::string(what) + ": CRC mismatch");
  if (r.U32(8) != kFormatVersion) {
    return Status::Corruption(std::string(what) + ": unsupported version " + std::to_string(r.U32(8)));
  }
  return Status::Ok();
}

void Seal(std::vector<uint8_t>& b) {
  Writer w(b);
  w.U32(b.size() - 4, Crc32c(std::span<const uint8_t>(b).first(b.size() - 4)));
}

// Header field offsets (doc/coordination-area.md).
enum HeaderOff : size_t {
  kHMagic = 0, kHVersion = 8, kHLength = 12, kHJobId = 16, kHFunction = 24, kHState = 25,
  kHExpectedCount = 26, kHFlags = 27, kHTracks = 28, kHCylinders = 32, kHHeads = 36,
  kHDeviceType = 38, kHSourceDev = 40, kHTargetDev = 42, kHHarvestSeq = 44, kHQuiesceSeq = 48,
  kHJobPid = 52, kHCreated = 56, kHUpdated = 64, kHVolser = 72, kHJobSystem = 80,
  kHExpected = 96, kHSourcePath = 96 + kMaxParticipants * kNameSize /* 608 */,
  kHTargetPath = kHSourcePath + kPathSize /* 1632 */, kHPaceUs = kHTargetPath + kPathSize /* 2656 */,
  kHSourceIno = kHPaceUs + 4 /* 2660 */, kHSourceSize = kHSourceIno + 8, kHTargetIno = kHSourceSize + 8,
  kHTargetSize = kHTargetIno + 8, kHReservedStart = kHTargetSize + 8 /* 2692 */,
  kHReservedEnd = kHeaderSize - 4,
};
static_assert(kHReservedStart <= kHReservedEnd);

enum WatcherOff : size_t {
  kWMagic = 0, kWVersion = 8, kWPid = 12, kWSystem = 16, kWSerial = 32, kWStarted = 48, kWDevnum = 56,
};

enum ParticipantOff : size_t {
  kPMagic = 0, kPVersion = 8, kPIndex = 12, kPJobId = 16, kPState = 24, kPPid = 28, kPSourceDev = 32,
  kPTargetDev = 34, kPHarvestAck = 36, kPQuiesceAck = 40, kPBitmapCount = 44, kPBitmapCrc = 48,
  kPHarvests = 52, kPTracksHanded = 56, kPLongestPause = 64, kPJoined = 72, kPUpdated = 80,
  kPSystem = 88, kPSerial = 104, kPNote = 120,
};
static_assert(kPNote + kNoteSize <= kParticipantBlockSize - 4);

bool ValidVolser(const std::string& v) {
  if (v.empty() || v.size() > 6) return false;
  return std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' || c == '#' || c == '$';
  });
}

}  // namespace

const char* JobFunctionName(JobFunction f) {
  switch (f) {
    case JobFunction::kSwap: return "SWAP";
    case JobFunction::kSwapDump: return "SWAPDUMP";
    case JobFunction::kSimSwapMon: return "SIMSWAPMON";
  }
  return "?";
}

const char* JobStateName(JobState s) {
  switch (s) {
    case JobState::kAnnounced: return "ANNOUNCED";
    case JobState::kCopy: return "COPY";
    case JobState::kRecopy: return "RECOPY";
    case JobState::kQuiesce: return "QUIESCE";
    case JobState::kFinal: return "FINAL";
    case JobState::kDecided: return "DECIDED";
    case JobState::kDone: return "DONE";
    case JobState::kFailed: return "FAILED";
  }
  return "?";
}

const char* ParticipantStateName(ParticipantState s) {
  switch (s) {
    case ParticipantState::kJoined: return "JOINED";
    case ParticipantState::kDeclined: return "DECLINED";
    case ParticipantState::kQuiesced: return "QUIESCED";
    case ParticipantState::kSwapped: return "SWAPPED";
    case ParticipantState::kResumed: return "RESUMED";
    case ParticipantState::kLeft: return "LEFT";
  }
  return "?";
}

int Header::ParticipantIndex(const std::string& system) const {
  for (size_t i = 0; i < expected.size(); ++i)
    if (expected[i] == system) return static_cast<int>(i);
  return -1;
}

uint32_t Crc32c(std::span<const uint8_t> bytes, uint32_t crc) {
  crc = ~crc;
  for (uint8_t b : bytes) crc = kCrcTable.t[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

Result<std::vector<uint8_t>> EncodeHeader(const Header& h) {
  if (h.job_id == 0) return Status::InvalidArgument("coordination header: job id 0");
  if (h.expected.size() > kMaxParticipants) {
    return Status::InvalidArgument("coordination header: more than " + std::to_string(kMaxParticipants) +
                                   " systems");
  }
  if (h.tracks == 0 || h.tracks > kMaxTracks) {
    return Status::InvalidArgument("coordination header: " + std::to_string(h.tracks) + " tracks");
  }
  if (!ValidVolser(h.volser)) return Status::InvalidArgument("coordination header: bad volser");
  std::vector<uint8_t> b(kHeaderSize, 0);
  Writer w(b);
  w.Bytes(kHMagic, kHeaderMagic, 8);
  w.U32(kHVersion, kFormatVersion);
  w.U32(kHLength, kHeaderSize);
  w.U64(kHJobId, h.job_id);
  w.U8(kHFunction, static_cast<uint8_t>(h.function));
  w.U8(kHState, static_cast<uint8_t>(h.state));
  w.U8(kHExpectedCount, static_cast<uint8_t>(h.expected.size()));
  w.U32(kHTracks, h.tracks);
  w.U32(kHCylinders, h.cylinders);
  w.U16(kHHeads, h.heads);
  w.U16(kHDeviceType, h.device_type);
  w.U16(kHSourceDev, h.source_devnum);
  w.U16(kHTargetDev, h.target_devnum);
  w.U32(kHHarvestSeq, h.harvest_seq);
  w.U32(kHQuiesceSeq, h.quiesce_seq);
  w.U32(kHJobPid, h.job_pid);
  w.U32(kHPaceUs, h.pace_us);
  w.U64(kHSourceIno, h.source_id.ino);
  w.U64(kHSourceSize, h.source_id.size);
  w.U64(kHTargetIno, h.target_id.ino);
  w.U64(kHTargetSize, h.target_id.size);
  w.U64(kHCreated, static_cast<uint64_t>(h.created_us));
  w.U64(kHUpdated, static_cast<uint64_t>(h.updated_us));
  bool ok = w.Str(kHVolser, 8, h.volser) && w.Str(kHJobSystem, kNameSize, h.job_system) &&
            w.Str(kHSourcePath, kPathSize, h.source_path) && w.Str(kHTargetPath, kPathSize, h.target_path);
  for (size_t i = 0; ok && i < h.expected.size(); ++i) {
    ok = !h.expected[i].empty() && w.Str(kHExpected + i * kNameSize, kNameSize, h.expected[i]);
  }
  if (!ok || h.source_path.empty() || h.target_path.empty()) {
    return Status::InvalidArgument("coordination header: a name or path is empty or too long");
  }
  Seal(b);
  return b;
}

Result<Header> DecodeHeader(std::span<const uint8_t> bytes) {
  PAS_RETURN_IF_ERROR(CheckBlock(bytes, kHeaderSize, kHeaderMagic, "coordination header"));
  Reader r(bytes);
  auto bad = [](const std::string& field) {
    return Status::Corruption("coordination header: bad " + field);
  };
  Header h;
  if (r.U32(kHLength) != kHeaderSize) return bad("length");
  h.job_id = r.U64(kHJobId);
  if (h.job_id == 0) return bad("job id");
  uint8_t f = r.U8(kHFunction);
  if (f < 1 || f > 3) return bad("function");
  h.function = static_cast<JobFunction>(f);
  uint8_t s = r.U8(kHState);
  if (s < 1 || s > 8) return bad("state");
  h.state = static_cast<JobState>(s);
  uint8_t count = r.U8(kHExpectedCount);
  if (count > kMaxParticipants) return bad("expected system count");
  if (r.U8(kHFlags) != 0) return bad("flags");
  h.tracks = r.U32(kHTracks);
  if (h.tracks == 0 || h.tracks > kMaxTracks) return bad("tracks");
  h.cylinders = r.U32(kHCylinders);
  h.heads = r.U16(kHHeads);
  h.device_type = r.U16(kHDeviceType);
  h.source_devnum = r.U16(kHSourceDev);
  h.target_devnum = r.U16(kHTargetDev);
  h.harvest_seq = r.U32(kHHarvestSeq);
  h.quiesce_seq = r.U32(kHQuiesceSeq);
  h.job_pid = r.U32(kHJobPid);
  h.pace_us = r.U32(kHPaceUs);
  h.source_id = {r.U64(kHSourceIno), r.U64(kHSourceSize)};
  h.target_id = {r.U64(kHTargetIno), r.U64(kHTargetSize)};
  h.created_us = static_cast<int64_t>(r.U64(kHCreated));
  h.updated_us = static_cast<int64_t>(r.U64(kHUpdated));
  if (!r.Str(kHVolser, 8, &h.volser) || !ValidVolser(h.volser)) return bad("volser");
  if (!r.Str(kHJobSystem, kNameSize, &h.job_system)) return bad("job system");
  for (uint32_t i = 0; i < kMaxParticipants; ++i) {
    std::string name;
    if (!r.Str(kHExpected + i * kNameSize, kNameSize, &name)) return bad("expected system name");
    if (i < count) {
      if (name.empty()) return bad("expected system name");
      h.expected.push_back(std::move(name));
    } else if (!name.empty()) {
      return bad("unused expected system slot");
    }
  }
  if (!r.Str(kHSourcePath, kPathSize, &h.source_path) || h.source_path.empty()) return bad("source path");
  if (!r.Str(kHTargetPath, kPathSize, &h.target_path) || h.target_path.empty()) return bad("target path");
  for (size_t i = kHReservedStart; i < kHReservedEnd; ++i)
    if (bytes[i] != 0) return bad("reserved bytes");
  return h;
}

Result<std::vector<uint8_t>> EncodeWatcherSlot(const WatcherSlot& ws) {
  std::vector<uint8_t> b(kWatcherSlotSize, 0);
  Writer w(b);
  w.Bytes(kWMagic, kWatcherMagic, 8);
  w.U32(kWVersion, kFormatVersion);
  w.U32(kWPid, ws.pid);
  if (ws.system.empty() || !w.Str(kWSystem, kNameSize, ws.system) || !w.Str(kWSerial, kNameSize, ws.serial)) {
    return Status::InvalidArgument("watcher slot: system or serial empty or too long");
  }
  w.U64(kWStarted, static_cast<uint64_t>(ws.started_us));
  w.U16(kWDevnum, ws.devnum);
  Seal(b);
  return b;
}

Result<WatcherSlot> DecodeWatcherSlot(std::span<const uint8_t> bytes) {
  PAS_RETURN_IF_ERROR(CheckBlock(bytes, kWatcherSlotSize, kWatcherMagic, "watcher slot"));
  Reader r(bytes);
  WatcherSlot ws;
  ws.pid = r.U32(kWPid);
  if (!r.Str(kWSystem, kNameSize, &ws.system) || ws.system.empty()) {
    return Status::Corruption("watcher slot: bad system");
  }
  if (!r.Str(kWSerial, kNameSize, &ws.serial)) return Status::Corruption("watcher slot: bad serial");
  ws.started_us = static_cast<int64_t>(r.U64(kWStarted));
  ws.devnum = r.U16(kWDevnum);
  for (size_t i = kWDevnum + 2; i < kWatcherSlotSize - 4; ++i)
    if (bytes[i] != 0) return Status::Corruption("watcher slot: reserved bytes");
  return ws;
}

Result<std::vector<uint8_t>> EncodeParticipantBlock(const ParticipantBlock& p) {
  if (p.index >= kMaxParticipants) return Status::InvalidArgument("participant block: index out of range");
  if (p.job_id == 0) return Status::InvalidArgument("participant block: job id 0");
  std::vector<uint8_t> b(kParticipantBlockSize, 0);
  Writer w(b);
  w.Bytes(kPMagic, kParticipantMagic, 8);
  w.U32(kPVersion, kFormatVersion);
  w.U32(kPIndex, p.index);
  w.U64(kPJobId, p.job_id);
  w.U8(kPState, static_cast<uint8_t>(p.state));
  w.U32(kPPid, p.pid);
  w.U16(kPSourceDev, p.source_devnum);
  w.U16(kPTargetDev, p.target_devnum);
  w.U32(kPHarvestAck, p.harvest_ack);
  w.U32(kPQuiesceAck, p.quiesce_ack);
  w.U32(kPBitmapCount, p.bitmap_count);
  w.U32(kPBitmapCrc, p.bitmap_crc);
  w.U32(kPHarvests, p.harvests);
  w.U64(kPTracksHanded, p.tracks_handed);
  w.U64(kPLongestPause, p.longest_pause_us);
  w.U64(kPJoined, static_cast<uint64_t>(p.joined_us));
  w.U64(kPUpdated, static_cast<uint64_t>(p.updated_us));
  std::string note = p.note.substr(0, kNoteSize - 1);
  for (char& c : note)
    if (c < 0x20 || c > 0x7E) c = '?';
  if (p.system.empty() || !w.Str(kPSystem, kNameSize, p.system) || !w.Str(kPSerial, kNameSize, p.serial) ||
      !w.Str(kPNote, kNoteSize, note)) {
    return Status::InvalidArgument("participant block: system or serial empty or too long");
  }
  Seal(b);
  return b;
}

Result<ParticipantBlock> DecodeParticipantBlock(std::span<const uint8_t> bytes) {
  PAS_RETURN_IF_ERROR(CheckBlock(bytes, kParticipantBlockSize, kParticipantMagic, "participant block"));
  Reader r(bytes);
  auto bad = [](const std::string& field) { return Status::Corruption("participant block: bad " + field); };
  ParticipantBlock p;
  p.index = r.U32(kPIndex);
  if (p.index >= kMaxParticipants) return bad("index");
  p.job_id = r.U64(kPJobId);
  if (p.job_id == 0) return bad("job id");
  uint8_t s = r.U8(kPState);
  if (s < 1 || s > 6) return bad("state");
  p.state = static_cast<ParticipantState>(s);
  for (size_t i = kPState + 1; i < kPPid; ++i)
    if (bytes[i] != 0) return bad("reserved bytes");
  p.pid = r.U32(kPPid);
  p.source_devnum = r.U16(kPSourceDev);
  p.target_devnum = r.U16(kPTargetDev);
  p.harvest_ack = r.U32(kPHarvestAck);
  p.quiesce_ack = r.U32(kPQuiesceAck);
  p.bitmap_count = r.U32(kPBitmapCount);
  if (p.bitmap_count > kMaxTracks) return bad("bitmap count");
  p.bitmap_crc = r.U32(kPBitmapCrc);
  p.harvests = r.U32(kPHarvests);
  p.tracks_handed = r.U64(kPTracksHanded);
  p.longest_pause_us = r.U64(kPLongestPause);
  p.joined_us = static_cast<int64_t>(r.U64(kPJoined));
  p.updated_us = static_cast<int64_t>(r.U64(kPUpdated));
  if (!r.Str(kPSystem, kNameSize, &p.system) || p.system.empty()) return bad("system");
  if (!r.Str(kPSerial, kNameSize, &p.serial)) return bad("serial");
  if (!r.Str(kPNote, kNoteSize, &p.note)) return bad("note");
  for (size_t i = kPNote + kNoteSize; i < kParticipantBlockSize - 4; ++i)
    if (bytes[i] != 0) return bad("reserved bytes");
  return p;
}

size_t BitmapBytes(uint32_t tracks) { return (size_t{tracks} + 63) / 64 * 8; }

std::vector<uint8_t> EncodeBitmap(const std::vector<uint64_t>& words, uint32_t tracks) {
  std::vector<uint8_t> b(BitmapBytes(tracks), 0);
  Writer w(b);
  size_t n = std::min(words.size(), b.size() / 8);
  for (size_t i = 0; i < n; ++i) {
    uint64_t v = words[i];
    if (i == b.size() / 8 - 1 && tracks % 64 != 0) v &= (uint64_t{1} << (tracks % 64)) - 1;
    w.U64(i * 8, v);
  }
  return b;
}

Result<std::vector<uint64_t>> DecodeBitmap(std::span<const uint8_t> bytes, uint32_t tracks) {
  if (tracks > kMaxTracks || bytes.size() != BitmapBytes(tracks)) {
    return Status::Corruption("bitmap region: wrong size");
  }
  Reader r(bytes);
  std::vector<uint64_t> words(bytes.size() / 8);
  for (size_t i = 0; i < words.size(); ++i) words[i] = r.U64(i * 8);
  if (!words.empty() && tracks % 64 != 0 && (words.back() >> (tracks % 64)) != 0) {
    return Status::Corruption("bitmap region: bit set beyond the last track");
  }
  return words;
}

}  // namespace pas::coord
