#include "workload/area.h"

#include <algorithm>

#include "ckd/vtoc.h"

namespace pas::workload {

uint32_t TrackArea::size() const {
  uint32_t n = 0;
  for (const auto& [a, b] : ranges) n += b - a + 1;
  return n;
}

std::string TrackArea::ToString() const {
  std::string s;
  for (const auto& [a, b] : ranges) {
    if (!s.empty()) s += ",";
    s += std::to_string(a) + "-" + std::to_string(b);
  }
  return s.empty() ? "(empty)" : s;
}

namespace {

// Removes [cut_a, cut_b] from the ranges.
void Cut(std::vector<std::pair<uint32_t, uint32_t>>& ranges, uint32_t cut_a, uint32_t cut_b) {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  for (auto [a, b] : ranges) {
    if (cut_b < a || cut_a > b) {
      out.emplace_back(a, b);
      continue;
    }
    if (a < cut_a) out.emplace_back(a, cut_a - 1);
    if (b > cut_b) out.emplace_back(cut_b + 1, b);
  }
  ranges = std::move(out);
}

}  // namespace

Result<TrackArea> ResolveArea(const ckd::CkdImage& image,
                              std::optional<std::pair<uint32_t, uint32_t>> tracks) {
  const auto& g = image.geometry();
  PAS_ASSIGN_OR_RETURN(ckd::Vtoc vtoc, ckd::ReadVtoc(image));
  std::optional<std::pair<uint32_t, uint32_t>> vtoc_tracks;
  if (vtoc.present) {
    vtoc_tracks = {ckd::RelativeTrack(g, vtoc.vtoc_extent.begin),
                   ckd::RelativeTrack(g, vtoc.vtoc_extent.end)};
  }
  TrackArea area;
  if (tracks) {
    auto [a, b] = *tracks;
    if (a > b || b >= image.tracks()) {
      return Status::InvalidArgument("--tracks " + std::to_string(a) + "-" + std::to_string(b) +
                                     " is not within the volume's " +
                                     std::to_string(image.tracks()) + " tracks");
    }
    if (a == 0) return Status::InvalidArgument("--tracks must not include track 0 (the label)");
    if (vtoc_tracks && !(b < vtoc_tracks->first || a > vtoc_tracks->second)) {
      return Status::InvalidArgument("--tracks overlaps the VTOC (tracks " +
                                     std::to_string(vtoc_tracks->first) + "-" +
                                     std::to_string(vtoc_tracks->second) + ")");
    }
    if (!vtoc.present) {
      area.ranges.emplace_back(a, b);
      area.source = "--tracks";
      return area;
    }
  }
  if (vtoc.present) {
    const ckd::DataSet* own = nullptr;
    for (const auto& ds : vtoc.datasets) {
      if (ds.name == kWorkloadDataSet) own = &ds;
    }
    if (own == nullptr) {
      return Status::NotFound(std::string("the VTOC lists no data set ") + kWorkloadDataSet);
    }
    for (const auto& e : own->extents) {
      uint32_t a = ckd::RelativeTrack(g, e.begin), b = ckd::RelativeTrack(g, e.end);
      if (a <= b && b < image.tracks()) area.ranges.emplace_back(a, b);
    }
    std::sort(area.ranges.begin(), area.ranges.end());
    Cut(area.ranges, 0, 0);
    if (vtoc_tracks) Cut(area.ranges, vtoc_tracks->first, vtoc_tracks->second);
    area.source = std::string("data set ") + kWorkloadDataSet;
    if (area.size() == 0) {
      return Status::InvalidArgument(std::string("data set ") + kWorkloadDataSet +
                                     " has no usable tracks");
    }
    if (tracks) {
      // Narrowed to --tracks, which must lie inside the data set.
      TrackArea narrowed;
      for (auto [a, b] : area.ranges) {
        const uint32_t lo = std::max(a, tracks->first), hi = std::min(b, tracks->second);
        if (lo <= hi) narrowed.ranges.emplace_back(lo, hi);
      }
      if (narrowed.size() != tracks->second - tracks->first + 1) {
        return Status::InvalidArgument(
            "--tracks " + std::to_string(tracks->first) + "-" + std::to_string(tracks->second) +
            " is not inside data set " + kWorkloadDataSet + " (tracks " + area.ToString() +
            "): on a volume with a VTOC the workload writes only its own data set");
      }
      narrowed.source = std::string("--tracks in data set ") + kWorkloadDataSet;
      return narrowed;
    }
    return area;
  }
  if (image.cylinders() < 2) {
    return Status::InvalidArgument("the volume has no cylinder beyond cylinder 0 to write");
  }
  area.ranges.emplace_back(g.heads, image.tracks() - 1);
  if (vtoc_tracks) Cut(area.ranges, vtoc_tracks->first, vtoc_tracks->second);
  area.source = "cylinder 1 to the end";
  return area;
}

std::vector<uint32_t> OwnedTracks(const TrackArea& area, uint32_t writer, uint32_t total) {
  std::vector<uint32_t> out;
  if (total == 0) return out;
  for (const auto& [a, b] : area.ranges) {
    uint32_t first = a + (writer + total - a % total) % total;
    for (uint64_t t = first; t <= b; t += total) out.push_back(static_cast<uint32_t>(t));
  }
  return out;
}

}  // namespace pas::workload
