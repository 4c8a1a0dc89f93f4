// Fuzz target: the coordination-area block decoders (src/coord/format.h).
//
// Input: byte 0 selects the block (low 2 bits: header, watcher slot,
// participant block, bitmap region) and, with bit 7, has the CRC-32C of the
// block recomputed into its last 4 bytes so that the field checks behind
// the CRC are reached; for a bitmap, bytes 1-4 are the track count
// (little-endian). The rest is the block.
// Checked beyond "no crash, leak or UB": a block that decodes encodes again,
// the encoding decodes, and encoding is stable (encode(decode(encode(x)))
// is encode(x)); a decoded bitmap re-encodes to the bytes it came from.
//
// PAS_FUZZ_WRITE_SEEDS=DIR coord_fuzz writes the seed corpus (valid blocks
// of every kind, made with the encoders) into DIR and exits.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <span>
#include <vector>

#include "coord/format.h"

using namespace pas::coord;

namespace {

void FixCrc(std::vector<uint8_t>& b, size_t block_size) {
  if (b.size() != block_size) return;
  const uint32_t crc = Crc32c(std::span<const uint8_t>(b).first(b.size() - 4));
  for (int i = 0; i < 4; ++i) b[b.size() - 4 + i] = static_cast<uint8_t>(crc >> (8 * i));
}

template <typename Block, typename Decode, typename Encode>
void RoundTrip(const std::vector<uint8_t>& bytes, Decode decode, Encode encode) {
  auto first = decode(std::span<const uint8_t>(bytes));
  if (!first.ok()) return;
  auto enc1 = encode(*first);
  if (!enc1.ok()) std::abort();
  auto second = decode(std::span<const uint8_t>(*enc1));
  if (!second.ok()) std::abort();
  auto enc2 = encode(*second);
  if (!enc2.ok() || *enc2 != *enc1) std::abort();
}

void WriteSeed(const std::string& dir, const std::string& name, uint8_t selector,
               const std::vector<uint8_t>& block) {
  FILE* f = std::fopen((dir + "/" + name).c_str(), "wb");
  if (f == nullptr) std::abort();
  std::fputc(selector, f);
  std::fwrite(block.data(), 1, block.size(), f);
  std::fclose(f);
}

void WriteSeeds(const std::string& dir) {
  Header h;
  h.job_id = 0x1234567890ABCDEFull;
  h.function = JobFunction::kSwap;
  h.state = JobState::kQuiesce;
  h.tracks = 150;
  h.cylinders = 10;
  h.heads = 15;
  h.device_type = 0x3390;
  h.source_devnum = 0x1887;
  h.target_devnum = 0xB880;
  h.harvest_seq = 3;
  h.quiesce_seq = 1;
  h.job_pid = 4242;
  h.created_us = 1700000000000000;
  h.updated_us = 1700000000500000;
  h.volser = "VM1887";
  h.job_system = "VMLAB63B";
  h.expected = {"VMLAB63B", "VMLAB63C"};
  h.source_path = "/vols/vm1887.ckd";
  h.target_path = "/vols/vmb880.ckd";
  WriteSeed(dir, "header-quiesce", 0, *EncodeHeader(h));
  h.function = JobFunction::kSimSwapMon;
  h.state = JobState::kAnnounced;
  h.expected = {"SYSA"};
  WriteSeed(dir, "header-simswapmon", 0, *EncodeHeader(h));

  WatcherSlot w{.pid = 99, .system = "VMLAB63C", .serial = "04E2062818", .devnum = 0xB880,
                .started_us = 1700000000000000};
  WriteSeed(dir, "watcher", 1, *EncodeWatcherSlot(w));

  ParticipantBlock p;
  p.index = 1;
  p.job_id = h.job_id;
  p.state = ParticipantState::kQuiesced;
  p.pid = 77;
  p.source_devnum = 0x1887;
  p.target_devnum = 0xB880;
  p.harvest_ack = 3;
  p.quiesce_ack = 1;
  p.bitmap_count = 5;
  p.bitmap_crc = 0xDEADBEEF;
  p.harvests = 3;
  p.tracks_handed = 40;
  p.longest_pause_us = 1200;
  p.joined_us = 1700000000100000;
  p.updated_us = 1700000000400000;
  p.system = "VMLAB63C";
  p.serial = "04E2062818";
  WriteSeed(dir, "participant-quiesced", 2, *EncodeParticipantBlock(p));
  p.state = ParticipantState::kDeclined;
  p.note = "UNIT B880 IS ONLINE";
  WriteSeed(dir, "participant-declined", 2, *EncodeParticipantBlock(p));

  const uint32_t tracks = 150;
  std::vector<uint64_t> words((tracks + 63) / 64, 0);
  words[0] = 0x8000000000000011ull;
  words[2] = 0x3F;
  std::vector<uint8_t> bitmap = {static_cast<uint8_t>(tracks), 0, 0, 0};
  std::vector<uint8_t> enc = EncodeBitmap(words, tracks);
  bitmap.insert(bitmap.end(), enc.begin(), enc.end());
  WriteSeed(dir, "bitmap-150", 3, bitmap);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  if (const char* dir = std::getenv("PAS_FUZZ_WRITE_SEEDS"); dir != nullptr) {
    WriteSeeds(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t sel = data[0];
  std::vector<uint8_t> b(data + 1, data + size);
  switch (sel & 3) {
    case 0:
      if (sel & 0x80) FixCrc(b, kHeaderSize);
      RoundTrip<Header>(b, DecodeHeader, EncodeHeader);
      break;
    case 1:
      if (sel & 0x80) FixCrc(b, kWatcherSlotSize);
      RoundTrip<WatcherSlot>(b, DecodeWatcherSlot, EncodeWatcherSlot);
      break;
    case 2:
      if (sel & 0x80) FixCrc(b, kParticipantBlockSize);
      RoundTrip<ParticipantBlock>(b, DecodeParticipantBlock, EncodeParticipantBlock);
      break;
    case 3: {
      if (b.size() < 4) return 0;
      const uint32_t tracks = (uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 |
                               uint32_t{b[3]} << 24) % (kMaxTracks + 2);
      std::span<const uint8_t> region(b.data() + 4, b.size() - 4);
      auto words = DecodeBitmap(region, tracks);
      if (!words.ok()) return 0;
      if (EncodeBitmap(*words, tracks) != std::vector<uint8_t>(region.begin(), region.end())) {
        std::abort();
      }
      break;
    }
  }
  return 0;
}
