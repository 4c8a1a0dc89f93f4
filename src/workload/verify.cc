// Workload verification. Decision rules: doc/workload.md.
#include "workload/verify.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "ckd/track.h"
#include "workload/record.h"

namespace pas::workload {

namespace {

// A write that was in flight when its writer was killed: write(2) of a
// track slot stops between pages when a fatal signal arrives, so the slot
// holds a prefix of the new write and the rest of the last acknowledged
// one. True when the slot is exactly that, byte for byte: the first record
// names a write newer than the journal's (its header is read unverified,
// since the cut may fall inside that very record), and the slot equals that
// write's track image up to some byte and the journal's write (rebuilt
// from the journal entry, its checksum matching) from there on. Anything
// else that does not decode stays TORN.
bool IsCutShortInFlightWrite(const ckd::DeviceGeometry& g, uint32_t track,
                             std::span<const uint8_t> slot, const JournalEntry& e) {
  auto parsed = ckd::ParseTrack(slot, g, track);
  if (!parsed.ok()) return false;
  std::optional<RecordFields> newer;
  for (const auto& rv : parsed->records) {
    if (rv.rec == 0) continue;
    newer = PeekRecordHeader(rv.data);
    break;
  }
  if (!newer || newer->id.seq <= e.seq || newer->id.track != track) return false;
  const WriteId acknowledged{.writer = e.writer,
                            .system_hash = e.system_hash != 0 ? e.system_hash
                                                              : newer->id.system_hash,
                            .track = track,
                            .seq = e.seq};
  std::vector<uint8_t> newer_slot(slot.size()), acknowledged_slot(slot.size());
  if (!BuildWorkloadTrack(g, newer->id, newer_slot).ok()) return false;
  auto checksum = BuildWorkloadTrack(g, acknowledged, acknowledged_slot);
  if (!checksum.ok() || *checksum != e.checksum) return false;
  const size_t cut = static_cast<size_t>(
      std::mismatch(slot.begin(), slot.end(), newer_slot.begin()).first - slot.begin());
  if (cut == 0 || cut == slot.size()) return false;
  return std::equal(slot.begin() + static_cast<long>(cut), slot.end(),
                    acknowledged_slot.begin() + static_cast<long>(cut));
}

}  // namespace

Result<VerifyReport> VerifyImage(const ckd::CkdImage& image,
                                 const std::vector<JournalEntry>& entries) {
  VerifyReport report;
  report.entries = entries.size();
  // The last acknowledged write of each track: the highest sequence number
  // (sequence numbers only grow, per writer and across runs).
  std::map<uint32_t, const JournalEntry*> last;
  for (const auto& e : entries) {
    if (e.track >= image.tracks()) {
      return Status::InvalidArgument(e.file + ":" + std::to_string(e.line) + ": track " +
                                     std::to_string(e.track) + " is beyond the image (" +
                                     std::to_string(image.tracks()) + " tracks)");
    }
    auto [it, inserted] = last.try_emplace(e.track, &e);
    if (!inserted && e.seq > it->second->seq) it->second = &e;
  }
  report.tracks_checked = static_cast<uint32_t>(last.size());
  const auto& g = image.geometry();
  std::vector<uint8_t> slot(image.slot_size());
  for (const auto& [track, e] : last) {
    PAS_RETURN_IF_ERROR(image.ReadTrack(track, slot));
    TrackVerdict v = InspectTrack(g, track, slot);
    auto problem = [&](VerifyProblem::Kind kind, std::string detail) {
      report.problems.push_back(
          VerifyProblem{.kind = kind, .track = track, .expected = *e, .detail = std::move(detail)});
    };
    switch (v.kind) {
      case TrackVerdict::Kind::kForeign:
        problem(VerifyProblem::Kind::kLost, "image holds no workload write (" + v.detail + ")");
        break;
      case TrackVerdict::Kind::kTorn:
        if (IsCutShortInFlightWrite(g, track, slot, *e)) {
          ++report.torn_in_flight;
        } else {
          problem(VerifyProblem::Kind::kTorn, v.detail);
        }
        break;
      case TrackVerdict::Kind::kIntact:
        if (v.id.seq < e->seq) {
          problem(VerifyProblem::Kind::kLost, "image seq " + std::to_string(v.id.seq) +
                                                  " < journal seq " + std::to_string(e->seq));
        } else if (v.id.seq > e->seq &&
                   (v.id.writer != e->writer ||
                    (e->system_hash != 0 && v.id.system_hash != e->system_hash))) {
          char buf[160];
          std::snprintf(buf, sizeof buf,
                        "image holds seq %llu of writer %u (system hash %08x), newer than the "
                        "journal's seq %llu of writer %u (system hash %08x)",
                        static_cast<unsigned long long>(v.id.seq), v.id.writer, v.id.system_hash,
                        static_cast<unsigned long long>(e->seq), e->writer, e->system_hash);
          problem(VerifyProblem::Kind::kOverwritten, buf);
        } else if (v.id.seq > e->seq) {
          ++report.newer_on_disk;
        } else if (v.id.writer != e->writer || v.checksum != e->checksum) {
          char buf[128];
          std::snprintf(buf, sizeof buf,
                        "seq %llu matches but writer %u checksum %08x != journal writer %u "
                        "checksum %08x",
                        static_cast<unsigned long long>(v.id.seq), v.id.writer, v.checksum,
                        e->writer, e->checksum);
          problem(VerifyProblem::Kind::kTorn, buf);
        }
        break;
    }
  }
  return report;
}

}  // namespace pas::workload
