// `pas volume init|info|compare`: create, describe and compare Hercules
// CKD volumes (src/ckd). Messages PAS100-PAS149.
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "ckd/device.h"
#include "ckd/fresh.h"
#include "ckd/image.h"
#include "ckd/label.h"
#include "ckd/volume.h"
#include "engine/copy_engine.h"
#include "engine/io_backend.h"
#include "pas/command.h"

namespace po = boost::program_options;

namespace pas::cli {
namespace {

constexpr int kUsageError = 12;

// PAS101E corrupt, PAS102E I/O, PAS103E invalid argument, PAS106E exists,
// PAS107E not supported, PAS108E not found.
int ReportError(const std::string& image, const Status& s) {
  const char* id = "PAS102E";
  std::string what = "CANNOT BE PROCESSED";
  switch (s.kind()) {
    case Status::Kind::kCorruption:
      id = "PAS101E";
      what = "IS CORRUPT";
      break;
    case Status::Kind::kIoError:
      id = "PAS102E";
      what = "CANNOT BE ACCESSED";
      break;
    case Status::Kind::kInvalidArgument:
      id = "PAS103E";
      what = "INVALID REQUEST";
      break;
    case Status::Kind::kBusy:
      id = "PAS106E";
      what = "ALREADY EXISTS";
      break;
    case Status::Kind::kNotSupported:
      id = "PAS107E";
      what = "IS NOT SUPPORTED";
      break;
    case Status::Kind::kNotFound:
      id = "PAS108E";
      what = "NOT FOUND";
      break;
    default:
      break;
  }
  std::fprintf(stderr, "%s IMAGE %s %s: %s\n", id, image.c_str(), what.c_str(),
               s.message().c_str());
  return kUsageError;
}

int UsageError(const std::string& cmd, const std::string& reason) {
  std::fprintf(stderr, "PAS109E pas volume %s: %s (see pas volume %s --help)\n", cmd.c_str(),
               reason.c_str(), cmd.c_str());
  return kUsageError;
}

// --compress-level: the effort of new track images, kept in the CCKD
// header (zlib 0-9, bzip2's block size 1-9; default -1, the codec's own).
// `c` is the compression asked for (kNone: none, or no --compress).
// -1 when not given; -2 (after a usage message) when out of range.
int CompressLevel(const char* sub, const po::variables_map& vm, ckd::Compression c) {
  if (!vm.count("compress-level")) return -1;
  const int level = vm["compress-level"].as<int>();
  if (c == ckd::Compression::kNone) {
    UsageError(sub, "--compress-level needs --compress zlib or bzip2");
    return -2;
  }
  const int lowest = c == ckd::Compression::kBzip2 ? 1 : 0;
  if (level < lowest || level > 9) {
    UsageError(sub, "--compress-level " + std::to_string(level) + " is not " +
                        std::to_string(lowest) + "-9 for " + std::string(ckd::CompressionName(c)));
    return -2;
  }
  return level;
}

// Parses argv (argv[0] is the subcommand) into `vm`; returns -1 to go on,
// else the exit status (help printed or a usage error).
int Parse(const std::string& cmd, const std::string& synopsis, int argc, char** argv,
          po::options_description& opts, po::positional_options_description& pos,
          po::variables_map& vm) {
  opts.add_options()("help,h", "this help");
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: pas volume " << synopsis << "\n\n" << opts;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    return UsageError(cmd, e.what());
  }
  return -1;
}

int Init(int argc, char** argv) {
  std::string image, model = "3390-1", volser;
  uint32_t cylinders = 0;
  po::options_description opts("pas volume init options");
  opts.add_options()("image", po::value(&image)->required(), "image file to create")(
      "model", po::value(&model), "device model: 3390-1,-2,-3,-9,-27,-54, 3380-1,-2,-3")(
      "volser", po::value(&volser)->required(), "volume serial, 1-6 of A-Z 0-9 @ # $")(
      "cylinders", po::value(&cylinders), "cylinders (default: the model's)")(
      "vtoc", "write an empty VTOC (cylinder 0, tracks 1-4)")(
      "split", "2 GB multi-file form (name_1.ckd, name_2.ckd, ...) when larger than one file")(
      "compress", po::value<std::string>(),
      "a compressed (CCKD) image whose track images are zlib, bzip2 or none (stored as is)")(
      "compress-level", po::value<int>(),
      "compression effort kept in the image: zlib 0-9 (default 6), bzip2 block size 1-9 "
      "(default 5)");
  po::positional_options_description pos;
  pos.add("image", 1);
  po::variables_map vm;
  const int rc = Parse("init",
                       "init IMAGE --model 3390-3 --volser VOL001 [--cylinders N] [--vtoc] "
                       "[--split] [--compress zlib|bzip2|none] [--compress-level N]",
                       argc, argv, opts, pos, vm);
  if (rc >= 0) return rc;
  auto m = ckd::FindModel(model);
  if (!m) return UsageError("init", "unknown model " + model);
  if (!ckd::IsValidVolser(volser)) {
    return UsageError("init", "volser '" + volser + "' is not 1-6 characters A-Z 0-9 @ # $");
  }
  if (cylinders == 0) cylinders = m->cylinders;
  if (cylinders > ckd::kMaxCylinders) return UsageError("init", "more than 65535 cylinders");
  auto g = ckd::GeometryForType(m->device_type);
  Result<ckd::CkdImage> img = Status::InvalidArgument("no image");
  if (!vm.count("compress") && CompressLevel("init", vm, ckd::Compression::kNone) == -2) return kUsageError;
  if (vm.count("compress")) {
    auto c = ckd::ParseCompression(vm["compress"].as<std::string>());
    if (!c.ok()) return UsageError("init", c.status().message());
    if (vm.count("split")) return UsageError("init", "--split and --compress exclude each other");
    const int level = CompressLevel("init", vm, *c);
    if (level == -2) return kUsageError;
    img = ckd::CkdImage::CreateCompressed(image, *g, cylinders, *c, level);
  } else {
    img = ckd::CkdImage::Create(image, *g, cylinders, vm.count("split") > 0);
  }
  if (!img.ok()) return ReportError(image, img.status());
  Status s = ckd::FormatVolume(*img, volser, vm.count("vtoc") > 0);
  if (s.ok()) s = img->Sync();
  if (!s.ok()) return ReportError(image, s);
  // Marked freshly formatted (ckd/fresh.h): a swap to it then formats no
  // empty track. Without the marker (a file system with no user
  // attributes) it is formatted as any other target: slower, not wrong.
  if (!img->compressed()) (void)ckd::MarkFreshlyFormatted(*img);
  std::printf("PAS100I VOLUME %s INITIALIZED: %s, %u CYLINDERS, %zu FILE(S), %s\n", volser.c_str(),
              std::string(ckd::ModelName(m->device_type, cylinders)).c_str(), cylinders,
              img->files().size(), vm.count("vtoc") ? "WITH VTOC" : "NO VTOC");
  for (const auto& f : img->files()) std::printf("  %s\n", f.path.c_str());
  return 0;
}

int Info(int argc, char** argv) {
  std::string image;
  po::options_description opts("pas volume info options");
  opts.add_options()("image", po::value(&image)->required(), "image file (first file of a set)")(
      "json", "print one JSON object");
  po::positional_options_description pos;
  pos.add("image", 1);
  po::variables_map vm;
  const int rc = Parse("info", "info IMAGE [--json]", argc, argv, opts, pos, vm);
  if (rc >= 0) return rc;
  auto info = ckd::DescribeVolume(image);
  if (!info.ok()) return ReportError(image, info.status());
  std::fputs((vm.count("json") ? ckd::VolumeInfoJson(*info) : ckd::VolumeInfoText(*info)).c_str(),
             stdout);
  return 0;
}

int Compare(int argc, char** argv) {
  std::vector<std::string> images;
  size_t max_diffs = 20;
  po::options_description opts("pas volume compare options");
  opts.add_options()("images", po::value(&images)->multitoken(), "IMAGE_A IMAGE_B")(
      "max-diffs", po::value(&max_diffs), "differing tracks listed (default 20)");
  po::positional_options_description pos;
  pos.add("images", 2);
  po::variables_map vm;
  const int rc =
      Parse("compare", "compare IMAGE_A IMAGE_B [--max-diffs N]", argc, argv, opts, pos, vm);
  if (rc >= 0) return rc;
  if (images.size() != 2) return UsageError("compare", "two images are required");
  auto a = ckd::CkdImage::Open(images[0], false);
  if (!a.ok()) return ReportError(images[0], a.status());
  auto b = ckd::CkdImage::Open(images[1], false);
  if (!b.ok()) return ReportError(images[1], b.status());
  auto res = ckd::CompareVolumes(*a, *b, max_diffs);
  if (!res.ok()) return ReportError(images[0], res.status());
  if (res->equal) {
    std::printf("PAS104I VOLUMES %s AND %s ARE EQUAL (%u TRACKS COMPARED)\n", images[0].c_str(),
                images[1].c_str(), res->tracks_compared);
    return 0;
  }
  std::printf("PAS105W VOLUMES %s AND %s DIFFER IN %u OF %u TRACKS\n", images[0].c_str(),
              images[1].c_str(), res->differing_tracks, res->tracks_compared);
  const auto& g = a->geometry();
  for (const auto& d : res->diffs) {
    const ckd::Cchh c = ckd::TrackAddress(g, d.track);
    std::printf("  TRACK %u (CC %u HH %u): %s\n", d.track, c.cyl, c.head, d.reason.c_str());
  }
  if (res->differing_tracks > res->diffs.size()) {
    std::printf("  ... %zu MORE\n", res->differing_tracks - res->diffs.size());
  }
  return 1;
}

int Copy(int argc, char** argv) {
  std::vector<std::string> images;
  std::string compress;
  unsigned threads = 0;
  po::options_description opts("pas volume copy options");
  opts.add_options()("images", po::value(&images)->multitoken(), "SOURCE TARGET")(
      "compress", po::value(&compress),
      "write TARGET as a compressed (CCKD) image: zlib, bzip2 or none (default: uncompressed)")(
      "compress-level", po::value<int>(),
      "compression effort kept in TARGET: zlib 0-9 (default 6), bzip2 block size 1-9 (default 5)")(
      "threads", po::value(&threads), "compression threads (default: one per core)");
  po::positional_options_description pos;
  pos.add("images", 2);
  po::variables_map vm;
  const int rc = Parse("copy",
                       "copy SOURCE TARGET [--compress zlib|bzip2|none] [--compress-level N] "
                       "[--threads N]",
                       argc, argv, opts, pos, vm);
  if (rc >= 0) return rc;
  if (images.size() != 2) return UsageError("copy", "SOURCE and TARGET are required");
  auto src = ckd::CkdImage::Open(images[0], false);
  if (!src.ok()) return ReportError(images[0], src.status());
  Result<ckd::CkdImage> tgt = Status::InvalidArgument("no target");
  if (compress.empty() && CompressLevel("copy", vm, ckd::Compression::kNone) == -2) return kUsageError;
  if (!compress.empty()) {
    auto c = ckd::ParseCompression(compress);
    if (!c.ok()) return UsageError("copy", c.status().message());
    const int level = CompressLevel("copy", vm, *c);
    if (level == -2) return kUsageError;
    tgt = ckd::CkdImage::CreateCompressed(images[1], src->geometry(), src->cylinders(), *c, level);
  } else {
    tgt = ckd::CkdImage::Create(images[1], src->geometry(), src->cylinders(), false);
  }
  if (!tgt.ok()) return ReportError(images[1], tgt.status());
  const auto start = std::chrono::steady_clock::now();
  auto backend = engine::MakeAutoBackend(8);
  engine::CopyOptions co;
  co.tracks_per_request = src->geometry().heads;
  co.compress_threads = threads;
  co.label = images[0];
  engine::CopyEngine eng(*src, *tgt, *backend, co);
  ckd::TrackSet all(src->tracks());
  all.SetRange(0, src->tracks() - 1);
  auto stats = eng.CopyTracks(all);
  Status s = stats.ok() ? eng.SyncTarget() : stats.status();
  if (!s.ok()) return ReportError(images[1], s);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string format =
      tgt->compressed() ? "COMPRESSED " + std::string(ckd::CompressionName(tgt->cckd()->compression()))
                        : std::string("UNCOMPRESSED");
  std::printf("PAS110I VOLUME %s COPIED TO %s (%s): %llu TRACKS, %llu BYTES IN %.3f S\n",
              images[0].c_str(), images[1].c_str(), format.c_str(),
              static_cast<unsigned long long>(stats->tracks_copied),
              static_cast<unsigned long long>(stats->bytes_written), secs);
  return 0;
}

void VolumeUsage(FILE* out) {
  std::fprintf(out,
               "usage: pas volume init IMAGE --model 3390-3 --volser VOL001 [--cylinders N] "
               "[--vtoc] [--split] [--compress zlib|bzip2|none] [--compress-level N]\n"
               "       pas volume info IMAGE [--json]\n"
               "       pas volume copy SOURCE TARGET [--compress zlib|bzip2|none] "
               "[--compress-level N] [--threads N]\n"
               "       pas volume compare IMAGE_A IMAGE_B [--max-diffs N]\n\n"
               "init     create a Hercules CKD volume as dasdinit does (optionally with an empty "
               "VTOC)\n"
               "info     device, model, size, volser, VTOC, data sets, allocated and free tracks\n"
               "compare  record content track by track; exit 0 equal, 1 different, 12 error\n"
               "copy     every track to a new image, compressed (CCKD) or not\n");
}

int VolumeCommand(int argc, char** argv) {
  if (argc < 2) {
    VolumeUsage(stderr);
    return kUsageError;
  }
  const std::string sub = argv[1];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    VolumeUsage(stdout);
    return 0;
  }
  if (sub == "init") return Init(argc - 1, argv + 1);
  if (sub == "info") return Info(argc - 1, argv + 1);
  if (sub == "compare") return Compare(argc - 1, argv + 1);
  if (sub == "copy") return Copy(argc - 1, argv + 1);
  std::fprintf(stderr, "PAS109E pas volume: unknown subcommand '%s'\n", sub.c_str());
  VolumeUsage(stderr);
  return kUsageError;
}

}  // namespace

PAS_COMMAND("volume", "create, describe and compare CKD volumes", VolumeCommand);

}  // namespace pas::cli
