#include "hercules/guest.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "ckd/image.h"
#include "ckd/track.h"

namespace pas::hercules {

// Defined in the file the build generates from guest.bin.
extern const unsigned char kGuestBinary[];
extern const unsigned long kGuestBinarySize;

namespace {

constexpr uint32_t kEyeCatcher = 0xD7C1E2C7;  // C'PASG'
constexpr uint32_t kParamMagic = 0xD7C1E2D7;  // C'PASP'

uint32_t Be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
void PutBe32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

Status WriteWhole(const std::string& path, const void* data, size_t size) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno("create " + tmp);
  const char* p = static_cast<const char*>(data);
  size_t left = size;
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = Status::FromErrno("write " + tmp);
      ::close(fd);
      return s;
    }
    p += n;
    left -= size_t(n);
  }
  if (::close(fd) != 0) return Status::FromErrno("close " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Status::FromErrno("rename " + tmp);
  return Status::Ok();
}

}  // namespace

std::span<const uint8_t> GuestImage() { return {kGuestBinary, size_t(kGuestBinarySize)}; }

Result<std::string> InstallGuest(const std::string& where, const GuestParams& p) {
  if (GuestImage().empty())
    return Status::NotSupported("the guest was not built: s390x-linux-gnu-as was missing at build time "
                                "(install binutils-s390x-linux-gnu, e.g. with scripts/deps.sh, and rebuild)");
  if (p.tracks == 0 || p.data_length < 32 || p.data_length > 16384)
    return Status::InvalidArgument("guest parameters: tracks must be > 0 and the data length 32-16384");
  std::error_code ec;
  const std::string dir = std::filesystem::absolute(where, ec).lexically_normal().string();
  if (ec) return Status::IoError("guest directory " + where + ": " + ec.message());
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("create " + dir + ": " + ec.message());
  uint8_t block[kParamLength] = {};
  PutBe32(block, kParamMagic);
  block[4] = uint8_t(p.device >> 8);
  block[5] = uint8_t(p.device);
  block[7] = 1;  // layout version
  PutBe32(block + 8, p.first_track);
  PutBe32(block + 12, p.tracks);
  PutBe32(block + 16, p.data_length);
  PutBe32(block + 20, p.delay_us);
  PAS_RETURN_IF_ERROR(WriteWhole(dir + "/guest.bin", GuestImage().data(), GuestImage().size()));
  PAS_RETURN_IF_ERROR(WriteWhole(dir + "/guest-params.bin", block, sizeof block));
  char ins[64];
  std::snprintf(ins, sizeof ins, "guest.bin 0x0\nguest-params.bin 0x%X\n", kParamAddress);
  PAS_RETURN_IF_ERROR(WriteWhole(dir + "/guest.ins", ins, std::strlen(ins)));
  return dir + "/guest.ins";
}

std::string GuestStateName(uint32_t state) {
  switch (state) {
    case 0: return "NOT STARTED";
    case 1: return "SCANNING SUBCHANNELS";
    case 2: return "WRITING";
    case 0xE0: return "FAILED: BAD PARAMETER BLOCK";
    case 0xE1: return "FAILED: DEVICE NOT FOUND";
    case 0xE2: return "FAILED: MSCH";
    case 0xE3: return "FAILED: SSCH CC3 (DEVICE NOT OPERATIONAL)";
    case 0xE4: return "FAILED: TSCH CC3 (DEVICE NOT OPERATIONAL)";
    default: return "UNKNOWN STATE " + std::to_string(state);
  }
}

Result<std::vector<uint8_t>> ParseStorageDisplay(std::string_view display, uint32_t address,
                                                 uint32_t length) {
  std::vector<uint8_t> out(length);
  std::vector<bool> seen(length, false);
  size_t pos = 0;
  while ((pos = display.find("R:", pos)) != std::string_view::npos) {
    size_t eol = display.find('\n', pos);
    std::string_view line = display.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos += 2;
    // R:AAAAAAAA:K:kk=XXXXXXXX XXXXXXXX XXXXXXXX XXXXXXXX  chars
    if (line.size() < 11 || line[10] != ':') continue;
    uint32_t at = 0;
    bool ok = true;
    for (size_t i = 2; i < 10; ++i) {
      if (!std::isxdigit(static_cast<unsigned char>(line[i]))) ok = false;
      at = at * 16 + uint32_t(std::isdigit(static_cast<unsigned char>(line[i])) ? line[i] - '0'
                                                                                 : std::toupper(line[i]) - 'A' + 10);
    }
    size_t eq = line.find('=');
    if (!ok || eq == std::string_view::npos) continue;
    // Up to 4 words of 8 hex digits separated by single blanks.
    size_t i = eq + 1;
    for (int word = 0; word < 4 && i + 8 <= line.size(); ++word) {
      for (int b = 0; b < 4; ++b) {
        char h = line[i + 2 * b], l = line[i + 2 * b + 1];
        if (!std::isxdigit(static_cast<unsigned char>(h)) || !std::isxdigit(static_cast<unsigned char>(l))) {
          ok = false;
          break;
        }
        auto nib = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::toupper(c) - 'A' + 10; };
        uint32_t a = at + uint32_t(word * 4 + b);
        if (a >= address && a < address + length) {
          out[a - address] = uint8_t(nib(h) << 4 | nib(l));
          seen[a - address] = true;
        }
      }
      if (!ok) break;
      i += 8;
      if (i < line.size() && line[i] == ' ') ++i;
      else break;
    }
  }
  for (uint32_t i = 0; i < length; ++i)
    if (!seen[i]) {
      char what[96];
      std::snprintf(what, sizeof what, "the storage display does not show address %X", address + i);
      return Status::InvalidArgument(what);
    }
  return out;
}

GuestCounters DecodeCounters(std::span<const uint8_t> b) {
  GuestCounters c;
  if (b.size() < kCounterLength) return c;
  c.started = Be32(&b[0]) == kEyeCatcher;
  c.state = Be32(&b[4]);
  c.writes = Be32(&b[8]);
  c.errors = Be32(&b[12]);
  c.run_id = uint64_t{Be32(&b[16])} << 32 | Be32(&b[20]);
  c.seq = Be32(&b[24]);
  c.longest_us = Be32(&b[28]);
  c.longest_at = Be32(&b[32]);
  c.last_error = Be32(&b[36]);
  c.subchannel = Be32(&b[40]);
  c.retries = Be32(&b[44]);
  return c;
}

GuestParams DecodeParams(std::span<const uint8_t> b) {
  GuestParams p;
  if (b.size() < kParamLength) return p;
  p.device = uint16_t(b[4] << 8 | b[5]);
  p.first_track = Be32(&b[8]);
  p.tracks = Be32(&b[12]);
  p.data_length = Be32(&b[16]);
  p.delay_us = Be32(&b[20]);
  return p;
}

Result<std::vector<uint32_t>> ReadGuestSequences(const std::string& path, const GuestParams& params,
                                                 uint64_t run_id) {
  PAS_ASSIGN_OR_RETURN(ckd::CkdImage img, ckd::CkdImage::Open(path, false));
  if (uint64_t{params.first_track} + params.tracks > img.tracks())
    return Status::InvalidArgument("the guest's tracks " + std::to_string(params.first_track) + "-" +
                                   std::to_string(params.first_track + params.tracks - 1) + " are not on " + path);
  std::vector<uint32_t> seqs(params.tracks, 0);
  std::vector<uint8_t> slot(img.slot_size());
  for (uint32_t i = 0; i < params.tracks; ++i) {
    const uint32_t track = params.first_track + i;
    PAS_RETURN_IF_ERROR(img.ReadTrack(track, slot));
    PAS_ASSIGN_OR_RETURN(ckd::ParsedTrack t, ckd::ParseTrack(slot, img.geometry(), track));
    for (const ckd::RecordView& r : t.records) {
      if (r.rec != 1 || r.data.size() != params.data_length) continue;
      const uint8_t* d = r.data.data();
      if (Be32(d) != kEyeCatcher) continue;
      const uint64_t rid = uint64_t{Be32(d + 4)} << 32 | Be32(d + 8);
      if (rid != run_id) break;  // a record of an earlier run
      const uint32_t seq = Be32(d + 12), at = Be32(d + 16);
      const uint32_t tail_seq = Be32(d + r.data.size() - 8), tail_id = Be32(d + r.data.size() - 4);
      if (tail_seq != seq || tail_id != uint32_t(run_id))
        return Status::Corruption("track " + std::to_string(track) + ": torn guest record (sequence " +
                                  std::to_string(seq) + " at the start, " + std::to_string(tail_seq) + " at the end)");
      if (at != track)
        return Status::Corruption("track " + std::to_string(track) + " holds the guest record for track " +
                                  std::to_string(at));
      seqs[i] = seq;
      break;
    }
  }
  return seqs;
}

uint32_t LastSequenceFor(uint32_t index, uint32_t tracks, uint32_t writes) {
  // Write k (k = 1, 2, ...) has sequence number k and goes to index (k-1) mod tracks.
  if (tracks == 0 || writes < index + 1) return 0;
  return index + 1 + (writes - (index + 1)) / tracks * tracks;
}

std::string CheckAfterStop(const std::vector<uint32_t>& seqs, uint32_t writes) {
  const uint32_t n = uint32_t(seqs.size());
  std::string problems;
  int shown = 0, bad = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t want = LastSequenceFor(i, n, writes);
    const bool in_flight = seqs[i] == writes + 1 && writes % n == i;
    if (seqs[i] == want || in_flight) continue;
    ++bad;
    if (shown++ < 5)
      problems += "track index " + std::to_string(i) + " holds sequence " + std::to_string(seqs[i]) + ", expected " +
                  std::to_string(want) + (writes % n == i ? " or " + std::to_string(writes + 1) : "") + "; ";
  }
  if (bad == 0) return "";
  return std::to_string(bad) + " of " + std::to_string(n) + " tracks wrong after " + std::to_string(writes) +
         " completed writes: " + problems;
}

Result<uint32_t> CheckPointInTime(const std::vector<uint32_t>& seqs) {
  const uint32_t n = uint32_t(seqs.size());
  uint32_t k = 0;
  for (uint32_t s : seqs) k = std::max(k, s);
  for (uint32_t i = 0; i < n; ++i)
    if (seqs[i] != LastSequenceFor(i, n, k))
      return Status::Corruption("not a point-in-time copy: the newest record is write " + std::to_string(k) +
                                " but track index " + std::to_string(i) + " holds write " + std::to_string(seqs[i]) +
                                " instead of " + std::to_string(LastSequenceFor(i, n, k)));
  return k;
}

}  // namespace pas::hercules
