// The message catalogue. Keep the table sorted by ID; doc/messages.md is
// generated from it (`pas messages --markdown > doc/messages.md`).
#include "report/messages.h"

#include <algorithm>
#include <string>

namespace pas::report {
namespace {

constexpr MessageDef kMessages[] = {
    // PAS001-099: the command line.
    {.id = "PAS001E",
     .text = "UNKNOWN COMMAND '{command}'",
     .explanation = "The first argument of pas is not one of its subcommands.",
     .action = "Run `pas help` for the list of subcommands."},
    {.id = "PAS002E",
     .text = "{command}: {reason}",
     .explanation = "A subcommand stopped on an unexpected error; nothing more was done.",
     .action = "Correct the cause named in the message and run the command again."},
    {.id = "PAS003E",
     .text = "INVALID ARGUMENTS FOR {command}: {reason}",
     .explanation = "The command-line arguments could not be understood.",
     .action = "Run `pas COMMAND --help` for the synopsis."},

    // PAS150-199: configuration and systems.
    {.id = "PAS150E",
     .text = "CANNOT LOAD SYSTEM CONFIGURATION: {reason}",
     .explanation = "The system configuration file (--config or $PAS_CONFIG) is missing, "
                    "unreadable or malformed. Nothing was done.",
     .action = "Name a valid configuration file with --config or PAS_CONFIG "
               "(format: doc/config-format.md)."},
    {.id = "PAS151E",
     .text = "UNIT={unit} IS NOT DEFINED ON SYSTEM {system}",
     .explanation = "A unit named by a statement or command is not in the system's configuration.",
     .action = "Check the unit number, or add the device to the configuration file."},

    // PAS200-299: swap, SIMSWAP and monitor.
    {.id = "PAS200I",
     .text = "PAS {function} STARTED FOR VOL={volser} FROM UNIT={source} TO UNIT={target}",
     .explanation = "The job began processing one volume.",
     .action = "None."},
    {.id = "PAS201I",
     .text = "TARGET UNIT={target} VALIDATED FOR VOL={volser}: {device_type} WITH {target_cyls} "
             "CYLINDERS (SOURCE {source_cyls})",
     .explanation = "The target device passed every check (device type, size, offline "
                    "everywhere, not in use, empty when CHECKTARGET=YES).",
     .action = "None."},
    {.id = "PAS202E",
     .text = "TARGET UNIT={target} IS SMALLER THAN SOURCE UNIT={source}: {target_cyls} < "
             "{source_cyls} CYLINDERS",
     .explanation = "A volume can only move to a device at least as large. The volume was "
                    "not processed; nothing was written.",
     .action = "Choose a target with at least as many cylinders as the source."},
    {.id = "PAS203E",
     .text = "TARGET UNIT={target} IS LARGER THAN SOURCE UNIT={source} ({target_cyls} > "
             "{source_cyls} CYLINDERS) AND LARGERSIZE=NO",
     .explanation = "A larger target is accepted only when LARGERSIZE=OK is specified. The "
                    "volume was not processed.",
     .action = "Specify LARGERSIZE=OK on the function statement, or choose a target of "
               "the same size."},
    {.id = "PAS204E",
     .text = "TARGET UNIT={target} IS ONLINE ON SYSTEM {system}",
     .explanation = "The target must be offline on every system. The volume was not processed.",
     .action = "Vary the target offline on that system (`pas vary`) and run the job again."},
    {.id = "PAS205E",
     .text = "TARGET UNIT={target} IS IN USE: {reason}",
     .explanation = "Another operation or process holds the target device. The volume was "
                    "not processed.",
     .action = "Wait for the other operation to end, or choose another target."},
    {.id = "PAS206E",
     .text = "TARGET UNIT={target} IS NOT EMPTY (VOL={target_volser}) AND CHECKTARGET=YES",
     .explanation = "With CHECKTARGET=YES the target must have no valid volume label, or a "
                    "label and an empty VTOC.",
     .action = "Choose an empty target, or omit CHECKTARGET=YES if overwriting it is intended."},
    {.id = "PAS207E",
     .text = "DEVICE TYPE MISMATCH: SOURCE UNIT={source} IS {source_type}, TARGET UNIT={target} "
             "IS {target_type}",
     .explanation = "Source and target must be the same device type.",
     .action = "Choose a target of the source's device type."},
    {.id = "PAS208E",
     .text = "UNIT={unit} CANNOT BE USED: {reason}",
     .explanation = "The image file of the unit could not be opened or is not a valid CKD "
                    "image. The volume was not processed.",
     .action = "Check the image file named in the configuration (dasdls can read it)."},
    {.id = "PAS209E",
     .text = "SOURCE UNIT={source} OF VOL={volser} IS NOT ONLINE ON SYSTEM {system}",
     .explanation = "The job must run on a system that has the source volume online. The "
                    "volume was not processed; nothing was written.",
     .action = "Vary the source online on this system (`pas vary`) or run the job on a "
               "system that has it online."},
    {.id = "PAS220I",
     .text = "SWAP OF VOL={volser} ANNOUNCED ON UNIT={target}; WAITING FOR {count} SYSTEM(S) "
             "TO JOIN",
     .explanation = "The swap request was written to the target's control area; every system "
                    "that has the source online must now join.",
     .action = "None. Monitors (`pas monitor`) must run on every other system sharing the volume."},
    {.id = "PAS221W",
     .text = "WAITING FOR SYSTEM(S) {systems} TO JOIN SWAP OF VOL={volser} (RETRY {retry})",
     .explanation = "NONRESPONDING=MSG: these systems have the source online and have not "
                    "joined; the request is announced again.",
     .action = "Start the monitor on the named systems, or vary the source offline there."},
    {.id = "PAS222E",
     .text = "SYSTEM(S) {systems} DID NOT JOIN SWAP OF VOL={volser} WITHIN {seconds} SECONDS",
     .explanation = "NONRESPONDING=FAIL: a system with the source online did not join in "
                    "time. The volume failed; every system stays on the source.",
     .action = "Start the monitor on the named systems and run the job again, or use "
               "NONRESPONDING=RETRY."},
    {.id = "PAS223W",
     .text = "WAITING FOR {count} SYSTEM(S) TO JOIN SWAP OF VOL={volser} (RETRY {retry})",
     .explanation = "NONRESPONDING=RETRY: some systems with the source online have not joined; "
                    "the request is announced again until STOPAFTER.",
     .action = "Start the monitor on every system sharing the volume; NONRESPONDING=MSG names them."},
    {.id = "PAS224E",
     .text = "VOL={volser} NOT FINISHED WITHIN STOPAFTER={minutes} MINUTES",
     .explanation = "The volume was failed cleanly; every system stays on the source.",
     .action = "Run the job again with a larger STOPAFTER, or when the systems can join."},
    {.id = "PAS225I",
     .text = "SYSTEM {system} EXCLUDED FROM SWAP OF VOL={volser}",
     .explanation = "An EXCLUDE statement names a system whose registration is stale; it is "
                    "not waited for.",
     .action = "None."},
    {.id = "PAS226E",
     .text = "SYSTEM {system} CANNOT BE EXCLUDED: A LIVE PROCESS HAS VOL={volser} ONLINE",
     .explanation = "EXCLUDE is allowed only for systems with no live process using the volume; "
                    "excluding a live one could lose writes. The volume failed.",
     .action = "Start the monitor on that system, or vary the volume offline there."},
    {.id = "PAS230I",
     .text = "COPY PASS STARTED FOR VOL={volser}: {tracks} TRACKS TO COPY",
     .explanation = "The first pass copies every allocated track of the source.",
     .action = "None."},
    {.id = "PAS231I",
     .text = "COPY PASS ENDED FOR VOL={volser}: {tracks} TRACKS IN {seconds} SECONDS ({rate} MB/S)",
     .explanation = "The first pass is done; tracks changed meanwhile are recopied next.",
     .action = "None."},
    {.id = "PAS232I",
     .text = "RECOPY PASS {pass} FOR VOL={volser}: {tracks} UPDATED TRACKS",
     .explanation = "Tracks written by the systems during the previous pass are copied again.",
     .action = "None."},
    {.id = "PAS233I",
     .text = "{system} (SERIAL# {serial}) ACKNOWLEDGES THE SWAP OF VOL={volser} AND HAS JOINED "
             "IN SWAP OF UNIT={source} TO {target}",
     .explanation = "A system that has the source online installed its intercept and joined "
                    "the swap.",
     .action = "None."},
    {.id = "PAS234I",
     .text = "{system} (SERIAL# {serial}) ACKNOWLEDGES THE SWAP OF VOL={volser} - UNIT={source} "
             "TO {target}",
     .explanation = "The system where the job runs takes part in the swap itself.",
     .action = "None."},
    {.id = "PAS235I",
     .text = "VOL={volser} QUIESCED ON {count} SYSTEM(S); FINAL COPY OF {tracks} TRACKS",
     .explanation = "I/O to the volume is held on every system while the last changed tracks "
                    "are copied.",
     .action = "None."},
    {.id = "PAS236I",
     .text = "SWAP OF VOL={volser} COMMITTED TO UNIT={target}",
     .explanation = "The decision to swap is durable: every system will use the target, even "
                    "if the job dies now.",
     .action = "None."},
    {.id = "PAS237I",
     .text = "{system} SWAPPED UNIT={source} TO {target} FOR VOL={volser}; I/O PAUSED {pause_ms} MS",
     .explanation = "That system now directs the volume's I/O to the target.",
     .action = "None."},
    {.id = "PAS238W",
     .text = "WRITES OUTPACE THE COPY OF VOL={volser}: PACING WRITERS (PASS {pass}, {tracks} "
             "UPDATED TRACKS)",
     .explanation = "The changed-track set stopped shrinking; writers are slowed so the copy "
                    "converges.",
     .action = "None; expect slower writes to the volume until the swap."},
    {.id = "PAS239I",
     .text = "OLD SOURCE UNIT={source} RELABELLED {new_volser}",
     .explanation = "After the swap the old source gets a new volume label so it cannot be "
                    "mistaken for the volume.",
     .action = "None. The old device may be reused or removed."},
    {.id = "PAS240E",
     .text = "SWAP OF VOL={volser} FAILED: {reason}",
     .explanation = "The volume was not swapped; every system stays on the source, which is "
                    "unchanged. Condition code 8.",
     .action = "Correct the cause and run the job again for this volume."},
    {.id = "PAS241I",
     .text = "PAS SUCCESSFULLY COMPLETED SWAP OF VOL={volser} TO UNIT={target}",
     .explanation = "Every system now uses the target device for the volume.",
     .action = "None."},
    {.id = "PAS242I",
     .text = "PAS SUCCESSFULLY COMPLETED SWAPDUMP OF VOL={volser} TO UNIT={target}",
     .explanation = "The target holds a point-in-time copy of the volume at the quiesce point; "
                    "every system resumed on the source.",
     .action = "None."},
    {.id = "PAS243E",
     .text = "SWAP OF VOL={volser} ABORTED: {reason}; ALL SYSTEMS RESUMED ON UNIT={source}",
     .explanation = "The swap was abandoned before commit; the source is unchanged and in use "
                    "everywhere.",
     .action = "Correct the cause and run the job again."},
    {.id = "PAS244I",
     .text = "{system} REMOVED ITS INTERCEPT FROM UNIT={unit}",
     .explanation = "The system no longer records changed tracks for the unit.",
     .action = "None."},
    {.id = "PAS245E",
     .text = "SYSTEM {system} STOPPED RESPONDING DURING SWAP OF VOL={volser}",
     .explanation = "A joined system died or lost its lock; before commit the swap is aborted, "
                    "after commit the others complete it.",
     .action = "Check that system; restart its monitor."},
    {.id = "PAS246W",
     .text = "SWAP OF VOL={volser} IS COMMITTED BUT {what} FAILED: {reason}",
     .explanation = "The swap itself is complete and durable; a step after the commit (the "
                    "relabel of the old source, the moved marker, waiting for a system to "
                    "confirm) did not finish. Condition code 4.",
     .action = "Check the named step; the volume is on the target on every system."},
    {.id = "PAS250I",
     .text = "VOL={volser} {phase} PASS {pass} {percent}% ({done} OF {total} TRACKS), {dirty} "
             "UPDATED, {rate} MB/S, ETA {eta}",
     .explanation = "Periodic progress of a volume (printed when output is not a terminal).",
     .action = "None."},
    {.id = "PAS260I",
     .text = "SIMSWAP VOL={volser}: SOURCE UNIT={source} ({source_type}, {source_cyls} CYL) "
             "TARGET UNIT={target} ({target_type}, {target_cyls} CYL)",
     .explanation = "SIMSWAP found the volume and its target.",
     .action = "None."},
    {.id = "PAS261I",
     .text = "SIMSWAP VOL={volser}: SYSTEM {system} HAS UNIT={source} ONLINE; MONITOR {state}",
     .explanation = "A system that would have to join the swap, and whether its monitor is up.",
     .action = "None when the monitor is up; otherwise start it before the SWAP."},
    {.id = "PAS262W",
     .text = "SIMSWAP VOL={volser}: SYSTEM {system} HAS UNIT={source} ONLINE BUT NO MONITOR IS "
             "RUNNING",
     .explanation = "A SWAP now would wait for (or fail on) this system.",
     .action = "Start `pas monitor` on that system before the SWAP."},
    {.id = "PAS263I",
     .text = "SIMSWAPMON VOL={volser}: {system} JOINED AND LEFT IN {ms} MS",
     .explanation = "The monitor installed and removed its intercept: it would take part in a SWAP.",
     .action = "None."},
    {.id = "PAS264E",
     .text = "SIMSWAP OF VOL={volser} FOUND ERRORS: A SWAP WOULD FAIL",
     .explanation = "The messages before this one say what would fail.",
     .action = "Correct the named problems before running the SWAP."},
    {.id = "PAS265I",
     .text = "SIMSWAP OF VOL={volser} COMPLETED: A SWAP WOULD RUN",
     .explanation = "Every check a SWAP needs passed. Nothing was written.",
     .action = "None."},
    {.id = "PAS270I",
     .text = "MONITOR STARTED ON SYSTEM {system} FOR UNITS {units}",
     .explanation = "The monitor watches these offline target units for swap requests.",
     .action = "None."},
    {.id = "PAS271I",
     .text = "MONITOR ON SYSTEM {system} ENDED: {reason}",
     .explanation = "The monitor stopped (all units swapped, DURATION reached, or stopped).",
     .action = "None."},
    {.id = "PAS272W",
     .text = "MONITOR ON SYSTEM {system}: SWAP JOB FOR VOL={volser} DIED BEFORE COMMIT; RESUMED "
             "ON UNIT={source}",
     .explanation = "The job ended without a decision; this system removed its intercept and "
                    "continues on the unchanged source.",
     .action = "Run the job again."},
    {.id = "PAS273I",
     .text = "MONITOR ON SYSTEM {system}: COMPLETED SWAP OF VOL={volser} TO UNIT={target} AFTER "
             "THE JOB ENDED",
     .explanation = "The decision was commit; this system completed its part of the swap.",
     .action = "None."},
    {.id = "PAS274E",
     .text = "MONITOR ON SYSTEM {system}: {reason}",
     .explanation = "The monitor could not do its work for the reason given.",
     .action = "Correct the cause and restart the monitor."},

    // PAS300-349: control statements and MOUNT resolution.
    {.id = "PAS300I",
     .text = "PAS CONTROL STATEMENTS FROM {source}",
     .explanation = "Heads the listing of the statements as read.",
     .action = "None."},
    {.id = "PAS301E",
     .text = "INPUT IS NOT TEXT: BYTE X'{byte}'",
     .explanation = "The statement input holds a NUL, control or non-ASCII byte. Nothing runs "
                    "(condition code 12).",
     .action = "Give a plain text file of control statements."},
    {.id = "PAS302E",
     .text = "INPUT TOO LARGE: {what} EXCEEDS {limit} BYTES",
     .explanation = "The input, one of its lines or a continued statement is larger than any "
                    "deck needs. Nothing runs.",
     .action = "Check that the right file was given."},
    {.id = "PAS303E",
     .text = "UNKNOWN STATEMENT {statement}",
     .explanation = "The statement name is not one pas knows. Nothing runs.",
     .action = "Use SWAP, SWAPDUMP, SIMSWAP, SIMSWAPMON, MONITOR, MOUNT or EXCLUDE."},
    {.id = "PAS304E",
     .text = "UNKNOWN OPERAND {operand} ON {statement} STATEMENT",
     .explanation = "The operand is not valid on this statement. Nothing runs.",
     .action = "Correct the operand; the message lists the valid ones."},
    {.id = "PAS305E",
     .text = "INVALID VALUE {value} FOR {operand}",
     .explanation = "The operand's value is not one of those allowed. Nothing runs.",
     .action = "Use one of the values listed in the message."},
    {.id = "PAS306E",
     .text = "VALUE {value} OF {operand} IS OUT OF RANGE {min}-{max}",
     .explanation = "A numeric operand is outside its range. Nothing runs.",
     .action = "Give a value within the range."},
    {.id = "PAS307E",
     .text = "{statement} STATEMENT REQUIRES TYPE={type}",
     .explanation = "Function statements need TYPE=FULL, MONITOR needs TYPE=SWAP. Nothing runs.",
     .action = "Add the TYPE operand."},
    {.id = "PAS308E",
     .text = "{statement} STATEMENT BEFORE ANY FUNCTION STATEMENT",
     .explanation = "MOUNT and EXCLUDE follow a function statement (SWAP, SWAPDUMP, SIMSWAP, "
                    "SIMSWAPMON, MONITOR). Nothing runs.",
     .action = "Put the function statement first."},
    {.id = "PAS309E",
     .text = "SECOND FUNCTION STATEMENT {statement}: ONLY ONE IS ALLOWED (FIRST AT LINE {first_line})",
     .explanation = "A deck holds exactly one function statement. Nothing runs.",
     .action = "Remove or comment out (`*` in column 1) all function statements but one."},
    {.id = "PAS310E",
     .text = "DUPLICATE VOL={volser} (FIRST AT LINE {first_line})",
     .explanation = "A volume can be mounted once per job. Nothing runs.",
     .action = "Remove the duplicate MOUNT."},
    {.id = "PAS311E",
     .text = "DUPLICATE SWAPUNIT={unit} (FIRST AT LINE {first_line})",
     .explanation = "Two MOUNTs name the same target unit. Nothing runs.",
     .action = "Give each volume its own target unit."},
    {.id = "PAS312E",
     .text = "SWAPUNIT={unit} IS NOT 4 HEX DIGITS",
     .explanation = "A unit is 4 hexadecimal digits; `*` stands for the digit of the source "
                    "unit in the same position. Nothing runs.",
     .action = "Write the unit as 4 characters 0-9, A-F or *."},
    {.id = "PAS313E",
     .text = "SOURCE AND TARGET OF VOL={volser} ARE THE SAME UNIT={unit}",
     .explanation = "The SWAPUNIT resolves to the unit that holds the volume. Nothing runs.",
     .action = "Name a different, offline target unit."},
    {.id = "PAS314E",
     .text = "UNTERMINATED CONTINUATION: {statement} STATEMENT ENDS WITH A COMMA AT END OF INPUT",
     .explanation = "A trailing comma continues a statement on the next line, but there is none. "
                    "Nothing runs.",
     .action = "Remove the trailing comma or add the rest of the statement."},
    {.id = "PAS315E",
     .text = "{statement} STATEMENT HAS NO MOUNT STATEMENT",
     .explanation = "A function statement or MONITOR needs at least one MOUNT. Nothing runs.",
     .action = "Add MOUNT statements for the volumes or units."},
    {.id = "PAS316E",
     .text = "PAS DID NOT FIND REQUESTED MOUNT SWAP VOL={volser}",
     .explanation = "No unit of the system's configuration holds a volume with this label.",
     .action = "Check the volser and that its unit is in the configuration."},
    {.id = "PAS317E",
     .text = "MISSING OPERAND {operand} ON {statement} STATEMENT",
     .explanation = "A required operand is absent. Nothing runs.",
     .action = "Add the operand."},
    {.id = "PAS318E",
     .text = "DUPLICATE OPERAND {operand} ON {statement} STATEMENT",
     .explanation = "An operand may appear once per statement. Nothing runs.",
     .action = "Remove the duplicate."},
    {.id = "PAS319E",
     .text = "SYNTAX ERROR: {problem}",
     .explanation = "The statement cannot be split into KEYWORD=value operands. Nothing runs.",
     .action = "Write operands as KEYWORD=value separated by commas; lists as (A,B)."},
    {.id = "PAS320W",
     .text = "OPERAND {operand} HAS NO MEANING ON THIS PLATFORM AND IS IGNORED",
     .explanation = "An FDRPAS operand accepted for compatibility. Condition code 4.",
     .action = "None, or remove the operand."},
    {.id = "PAS321E",
     .text = "NO FUNCTION STATEMENT IN INPUT",
     .explanation = "The input holds no statement (only blanks or comments). Nothing runs.",
     .action = "Add a function statement and its MOUNTs."},
    {.id = "PAS322E",
     .text = "OPERAND {operand} IS NOT VALID ON {statement} UNDER {function}",
     .explanation = "The operand is known but not with this function (for example a SWAPUNIT "
                    "list outside MONITOR). Nothing runs.",
     .action = "Correct the statement as the message says."},
    {.id = "PAS323E",
     .text = "INVALID VOLSER {volser}",
     .explanation = "A volser is 1 to 6 characters A-Z, 0-9, @, # or $. Nothing runs.",
     .action = "Correct the volser."},
    {.id = "PAS325I",
     .text = "VOL={volser} FOUND ON UNIT={source}, TARGET UNIT={target}",
     .explanation = "The MOUNT was resolved against the system's configuration.",
     .action = "None."},
    {.id = "PAS326E",
     .text = "TARGET UNIT={target} OF VOL={volser} IS NOT DEFINED ON SYSTEM {system}",
     .explanation = "The resolved SWAPUNIT is not in the system's configuration.",
     .action = "Correct the SWAPUNIT or add the device to the configuration."},
    {.id = "PAS327E",
     .text = "VOL={volser} FOUND ON MORE THAN ONE UNIT: {units}",
     .explanation = "Several units carry the same volume label; the source is ambiguous.",
     .action = "Relabel or vary offline the unintended copies."},
    {.id = "PAS328W",
     .text = "UNIT={unit} SKIPPED WHILE SEARCHING FOR VOLUMES: {reason}",
     .explanation = "The unit's image could not be read; a volume on it cannot be found.",
     .action = "Check the image file of the unit."},
    {.id = "PAS329I",
     .text = "STATEMENTS VALID: {function} OF {count} VOLUME(S), MAXTASKS={max_tasks}",
     .explanation = "The deck was validated; the summary of what runs follows.",
     .action = "None."},
    {.id = "PAS330I",
     .text = "{function} VOL={volser} TO SWAPUNIT={unit} (STATEMENT AT LINE {line})",
     .explanation = "One volume the job processes.",
     .action = "None."},
    {.id = "PAS331I",
     .text = "MONITOR UNITS {units}, DYNMON={dynmon}, DURATION={duration}",
     .explanation = "What a MONITOR deck watches.",
     .action = "None."},
    {.id = "PAS332E",
     .text = "CANNOT READ CONTROL STATEMENTS FROM {source}: {reason}",
     .explanation = "The statement file could not be read. Nothing runs.",
     .action = "Check the file name and permissions."},
    {.id = "PAS333E",
     .text = "{function} CANNOT RUN: {reason}",
     .explanation = "The statements are valid but the job could not start. Nothing was written.",
     .action = "Correct the cause named in the message."},

    // PAS500+: history, reports, miscellaneous.
    {.id = "PAS500I",
     .text = "NO OPERATIONS RECORDED IN {path}",
     .explanation = "The history is empty.",
     .action = "None."},
    {.id = "PAS501W",
     .text = "{count} UNREADABLE HISTORY LINE(S) IN {path} IGNORED",
     .explanation = "Lines torn by a crash while they were written, or damaged, are skipped.",
     .action = "None; the other records are intact."},
    {.id = "PAS502E",
     .text = "CANNOT READ HISTORY {path}: {reason}",
     .explanation = "The history file exists but cannot be read.",
     .action = "Check the state directory (--state-dir, PAS_STATE_DIR) and its permissions."},
    {.id = "PAS503W",
     .text = "CANNOT RECORD HISTORY IN {path}: {reason}",
     .explanation = "The operation itself was not affected, but it is missing from the history.",
     .action = "Check the state directory and free space."},
    {.id = "PAS504E",
     .text = "CANNOT WRITE JSON REPORT {path}: {reason}",
     .explanation = "The --json file could not be written; the printed report is complete.",
     .action = "Check the path and permissions."},
};

constexpr bool SortedUnique() {
  for (size_t i = 1; i < std::size(kMessages); ++i) {
    if (!(kMessages[i - 1].id < kMessages[i].id)) return false;
  }
  return true;
}
static_assert(SortedUnique(), "message catalogue must be sorted by ID without duplicates");

std::string Fill(std::string_view text, auto&& lookup) {
  std::string out;
  out.reserve(text.size() + 32);
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '{') {
      size_t close = text.find('}', i + 1);
      if (close != std::string_view::npos) {
        std::string_view name = text.substr(i + 1, close - i - 1);
        const std::string* value = lookup(name);
        if (value != nullptr) {
          out += *value;
        } else {
          out.append(text.substr(i, close - i + 1));
        }
        i = close + 1;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

std::string WithId(std::string_view id, std::string body) {
  std::string out(id);
  out += ' ';
  out += body;
  return out;
}

}  // namespace

std::span<const MessageDef> Catalogue() { return kMessages; }

const MessageDef* FindMessage(std::string_view id) {
  auto it = std::lower_bound(std::begin(kMessages), std::end(kMessages), id,
                             [](const MessageDef& m, std::string_view k) { return m.id < k; });
  if (it == std::end(kMessages) || it->id != id) return nullptr;
  return &*it;
}

std::string FormatText(std::string_view text,
                       std::span<const std::pair<std::string, std::string>> args) {
  return Fill(text, [&](std::string_view name) -> const std::string* {
    for (const auto& [k, v] : args) {
      if (k == name) return &v;
    }
    return nullptr;
  });
}

std::string Format(std::string_view id, std::span<const std::pair<std::string, std::string>> args) {
  const MessageDef* m = FindMessage(id);
  if (m == nullptr) return "PAS999S UNDEFINED MESSAGE " + std::string(id);
  return WithId(id, FormatText(m->text, args));
}

std::string Format(std::string_view id, std::initializer_list<Arg> args) {
  const MessageDef* m = FindMessage(id);
  if (m == nullptr) return "PAS999S UNDEFINED MESSAGE " + std::string(id);
  return WithId(id, Fill(m->text, [&](std::string_view name) -> const std::string* {
                  for (const Arg& a : args) {
                    if (a.name == name) return &a.value;
                  }
                  return nullptr;
                }));
}

std::string CatalogueMarkdown() {
  std::string out =
      "# pas messages\n\n"
      "Every operator-facing message of pas, generated from the catalogue in\n"
      "`src/report/messages.cc` by `pas messages --markdown` (a test fails when this\n"
      "file and the catalogue differ). An ID is `PASnnns`: the number and the\n"
      "severity, I information, W warning (condition code 4), E error (the volume\n"
      "or the job fails: condition code 8 or 12), S severe.\n\n"
      "Values in braces (`{volser}`) are filled in when the message is issued.\n\n"
      "| range | area |\n|---|---|\n"
      "| PAS001-099 | command line |\n"
      "| PAS100-149 | volumes (CKD images, labels, VTOC) |\n"
      "| PAS150-199 | system configuration |\n"
      "| PAS200-299 | swap, SIMSWAP, monitor |\n"
      "| PAS300-349 | control statements, MOUNT resolution |\n"
      "| PAS400-449 | CALCDASD |\n"
      "| PAS500-599 | history, reports |\n";
  for (const MessageDef& m : kMessages) {
    out += "\n## ";
    out += m.id;
    out += "\n\n```\n";
    out += m.id;
    out += ' ';
    out += m.text;
    out += "\n```\n\n";
    out += "**Explanation.** ";
    out += m.explanation;
    out += "\n\n**User action.** ";
    out += m.action;
    out += "\n";
  }
  return out;
}

}  // namespace pas::report
