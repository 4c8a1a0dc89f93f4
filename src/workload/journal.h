// The workload journal: one text line per acknowledged track write
// ("TRACK WRITER SEQ CHECKSUM"), appended with a single O_APPEND write(2)
// after the host I/O API acknowledged the write, so a line is never
// interleaved with another writer's and never precedes its write. Each
// writer process has its own file `BASE.wG` (G = global writer id); readers
// accept the base name and find them. Format: doc/workload.md.
//
// A JournalWriter is owned by one writer process (not shared); reading is
// a pure function of the files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace pas::workload {

// Identifies the run in the journal's header line.
struct JournalHeader {
  std::string system;        // LPARNAME of the writing system
  uint32_t system_hash = 0;  // SystemNameHash(system)
  std::string unit;          // "1887"
  uint32_t writer = 0;       // global writer id
  uint32_t total_writers = 0;
  uint32_t first_track = 0, last_track = 0;  // the workload area
  std::string image;         // image path when the run started
};

struct JournalEntry {
  uint32_t track = 0;
  uint32_t writer = 0;
  uint64_t seq = 0;
  uint32_t checksum = 0;  // the track checksum (workload/record.h)
  uint32_t system_hash = 0;  // of the journal's header before the line (0: none)
  // Where it came from, for messages.
  std::string file;
  int line = 0;
};

// The journal file of writer `writer` for base name `base`: "BASE.wG".
std::string WriterJournalPath(const std::string& base, uint32_t writer);

class JournalWriter {
 public:
  // Opens (creating if needed, O_APPEND) `path` and appends the header line.
  // IoError when it cannot.
  static Result<JournalWriter> Open(const std::string& path, const JournalHeader& header);
  JournalWriter(JournalWriter&&) noexcept;
  JournalWriter& operator=(JournalWriter&&) noexcept;
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;
  ~JournalWriter();

  // Appends one line with a single write(2). Blocks on the file system only.
  // IoError on failure or a short write.
  Status Append(uint32_t track, uint32_t writer, uint64_t seq, uint32_t checksum);

 private:
  JournalWriter() = default;
  int fd_ = -1;
};

// The journal files named by `names`: each name itself if it is a file,
// plus every "NAME.wG" file beside it. NotFound (naming it) when a name
// matches no file.
Result<std::vector<std::string>> ExpandJournalNames(const std::vector<std::string>& names);

struct JournalContents {
  std::vector<JournalEntry> entries;
  std::vector<JournalHeader> headers;
  // The file ended in a line without its newline (the writer was killed
  // during the append); that line was ignored.
  bool incomplete_tail = false;
};

// Reads one journal file. InvalidArgument "file:line: ..." for a malformed
// line other than an unterminated last one; IoError when unreadable.
Result<JournalContents> ReadJournal(const std::string& path);

}  // namespace pas::workload
