// Workload verification. Decision rules: doc/workload.md.
#include "workload/verify.h"

#include <map>
#include <vector>

#include "workload/record.h"

namespace pas::workload {

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
        problem(VerifyProblem::Kind::kTorn, v.detail);
        break;
      case TrackVerdict::Kind::kIntact:
        if (v.id.seq < e->seq) {
          problem(VerifyProblem::Kind::kLost, "image seq " + std::to_string(v.id.seq) +
                                                  " < journal seq " + std::to_string(e->seq));
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
