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

    // PAS100-149: volumes (ckd).
    {.id = "PAS100I",
     .text = "VOLUME {volser} INITIALIZED: {model}, {cylinders} CYLINDERS, {files} FILE(S), "
             "{vtoc}",
     .explanation = "`pas volume init` created the image (every file of a multi-file set is "
                    "listed after the message) and wrote track 0 (and an empty VTOC with "
                    "--vtoc).",
     .action = "None."},
    {.id = "PAS101E",
     .text = "IMAGE {image} IS CORRUPT: {reason}",
     .explanation = "The image is not a valid Hercules CKD image, or a structure in it is "
                    "malformed: the device header (magic, heads, track size, device type, "
                    "file sequence), the file size (truncated), a member of a multi-file set, "
                    "a track (home address, count fields, end-of-track marker), the VOL1 "
                    "label or the VTOC (Format-4, extents, DSCB chain), or in a compressed "
                    "(CCKD) image the CCKD header, an L1 or L2 entry pointing outside the file "
                    "or into other tables or images, a track image that is truncated or does "
                    "not inflate, or a free-space chain that loops. The reason names the "
                    "file, the track and the field. Nothing was written.",
     .action = "Check that the path names the right image and that it was not truncated or "
               "overwritten; restore it from a copy, or re-create it with `pas volume init`."},
    {.id = "PAS102E",
     .text = "IMAGE {image} CANNOT BE ACCESSED: {reason}",
     .explanation = "The image file could not be opened, read or created (no such file, a "
                    "directory, permissions, I/O error). Nothing was written.",
     .action = "Correct the path or the permissions named in the reason and run the command "
               "again."},
    {.id = "PAS103E",
     .text = "IMAGE {image} INVALID REQUEST: {reason}",
     .explanation = "The operation asked of the image is not valid for it (for example a "
                    "track or size out of range).",
     .action = "Correct the arguments named in the reason."},
    {.id = "PAS104I",
     .text = "VOLUMES {image_a} AND {image_b} ARE EQUAL ({tracks} TRACKS COMPARED)",
     .explanation = "`pas volume compare` found the same record content on every track (zero "
                    "fill after the end-of-track marker is ignored). Exit status 0.",
     .action = "None."},
    {.id = "PAS105W",
     .text = "VOLUMES {image_a} AND {image_b} DIFFER IN {differing} OF {tracks} TRACKS",
     .explanation = "`pas volume compare` found tracks whose content differs; the first "
                    "differing tracks follow with their cylinder, head and reason. Exit "
                    "status 1.",
     .action = "If the volumes should be equal (a copy and its source), find out what wrote "
               "to one of them."},
    {.id = "PAS106E",
     .text = "IMAGE {image} ALREADY EXISTS: {reason}",
     .explanation = "`pas volume init` does not overwrite: a file of the image (or of its "
                    "multi-file set) exists.",
     .action = "Remove the old image first or choose another name."},
    {.id = "PAS107E",
     .text = "IMAGE {image} IS NOT SUPPORTED: {reason}",
     .explanation = "The image uses a form pas does not handle (for example a VTOC change "
                    "that needs a Format-7 conversion, a compressed shadow file (sf=), a "
                    "64-bit CCKD64 image, or a big-endian compressed image to be written).",
     .action = "Use an image of a supported form (doc/ckd-format.md)."},
    {.id = "PAS108E",
     .text = "IMAGE {image} NOT FOUND: {reason}",
     .explanation = "Something the operation needs is not on the volume (for example a VTOC "
                    "to add a data set to).",
     .action = "Create the volume with the needed structure (for example `pas volume init "
               "--vtoc`)."},
    {.id = "PAS109E",
     .text = "pas {command}: {reason} (see pas {command} --help)",
     .explanation = "The arguments of `pas volume` or `pas demo` could not be understood: an "
                    "unknown subcommand or option, a missing image, a bad model, volser or "
                    "size.",
     .action = "Run the command with --help for its synopsis."},

    {.id = "PAS110I",
     .text = "VOLUME {source} COPIED TO {target} ({format}): {tracks} TRACKS, {bytes} BYTES IN "
             "{seconds} S",
     .explanation = "`pas volume copy` copied every track of the source volume to a new image "
                    "through the copy engine (compressed images are inflated and compressed "
                    "by a pool of worker threads) and synced it.",
     .action = "None."},

    {.id = "PAS111E",
     .text = "UNIT {unit} IMAGE {image} HAS SHADOW FILES ({option}): A VOLUME WITH SHADOWS "
             "CANNOT BE MIGRATED; MERGE THEM INTO THE BASE IMAGE (HERCULES SF+ / SFC) AND "
             "REMOVE THE SF= OPTION",
     .explanation = "The configuration names shadow files (the Hercules sf= option) for the "
                    "source or target unit of a MOUNT: the volume's current content is spread "
                    "over the base image and the shadows, which pas does not read or write. "
                    "That volume fails; nothing was written.",
     .action = "Merge the shadows into the base image with Hercules (sf+ then sfc, or "
               "sfd/sfk to check) while the volume is not in use, remove sf= from the "
               "device statement, and run the job again."},

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
    {.id = "PAS152E",
     .text = "{file}:{line}: UNKNOWN DEVICE TYPE {type}",
     .explanation = "A device statement names a device type that is neither a DASD type pas "
                    "knows nor a Hercules device type it ignores.",
     .action = "Correct the device type (3390 or 3380 for volumes pas manages)."},
    {.id = "PAS153E",
     .text = "{file}:{line}: DEVICE TYPE {type} IS NOT SUPPORTED (3390 AND 3380 ONLY)",
     .explanation = "A device statement names a DASD type other than 3390 and 3380.",
     .action = "Use 3390 or 3380 images, or remove the statement."},
    {.id = "PAS154E",
     .text = "{file}:{line}: INVALID UNIT {unit} (1-4 HEXADECIMAL DIGITS)",
     .explanation = "A unit number (or a CPUSERIAL value) is not hexadecimal or is too long.",
     .action = "Write units as 1-4 hexadecimal digits (1887, B880-B88F) and CPUSERIAL in "
               "hexadecimal."},
    {.id = "PAS155E",
     .text = "{file}:{line}: REVERSED {what} RANGE {range}",
     .explanation = "A unit range or a cylinder range ends before it begins.",
     .action = "Write the range as FIRST-LAST with FIRST not above LAST."},
    {.id = "PAS156E",
     .text = "{file}:{line}: DUPLICATE UNIT {unit} (FIRST DEFINED AT LINE {first_line})",
     .explanation = "Two device statements define the same unit.",
     .action = "Remove one of them or correct the unit number."},
    {.id = "PAS157E",
     .text = "{file}:{line}: {statement} NAMES {unit}, WHICH IS NOT A DASD UNIT DEFINED IN "
             "THE CONFIGURATION",
     .explanation = "An OFFLINE, CPOWNED, ATTACH or ALLOC statement names a unit that no "
                    "3390/3380 device statement defines.",
     .action = "Define the unit with a device statement, or correct the unit number."},
    {.id = "PAS158E",
     .text = "{file}:{line}: INVALID ALLOCATION TYPE {type} (PAGE, SPOOL, TDISK, DRCT OR "
             "PERM)",
     .explanation = "An ALLOC statement names an allocation type CALCDASD does not know.",
     .action = "Use PAGE, SPOOL, TDISK, DRCT or PERM."},
    {.id = "PAS159E",
     .text = "{file}:{line}: INVALID CYLINDER RANGE {range} (DECIMAL FIRST-LAST)",
     .explanation = "An ALLOC cylinder range is not two decimal numbers FIRST-LAST, or goes "
                    "beyond cylinder 65535.",
     .action = "Write the range as decimal cylinders FIRST-LAST within the volume."},
    {.id = "PAS160E",
     .text = "{file}: NO LPARNAME (OR SYSNAME) STATEMENT",
     .explanation = "Every system configuration must name its system; pas uses the name in "
                    "the coordination area and in every message.",
     .action = "Add `LPARNAME name` (1-8 characters) to the configuration file."},
    {.id = "PAS161E",
     .text = "{file}:{line}: INVALID {what} {name} (1-8 LETTERS, DIGITS, $#@_-)",
     .explanation = "A system name (LPARNAME/SYSNAME) or an ATTACH userid is empty, too long "
                    "or holds other characters.",
     .action = "Use 1-8 letters, digits or $ # @ _ -."},
    {.id = "PAS162E",
     .text = "{file}:{line}: SYSTEM NAME {name} CONFLICTS WITH {previous}",
     .explanation = "The configuration names its system twice, differently.",
     .action = "Keep one LPARNAME (or SYSNAME) statement."},
    {.id = "PAS163E",
     .text = "{file}:{line}: UNIT {unit} IS ALREADY ATTACHED AT LINE {first_line}",
     .explanation = "Two ATTACH statements attach the same unit.",
     .action = "Keep one ATTACH statement per unit."},
    {.id = "PAS164E",
     .text = "{file}:{line}: ALLOCATION {range} ON UNIT {unit} OVERLAPS {other}",
     .explanation = "Two ALLOC statements of one unit cover the same cylinders.",
     .action = "Correct the cylinder ranges so that they do not overlap."},
    {.id = "PAS165E",
     .text = "{file}:{line}: A {type} DEVICE STATEMENT NAMES ONE UNIT, NOT {units}",
     .explanation = "A device statement for a volume names a unit range; each image file "
                    "belongs to one unit.",
     .action = "Write one device statement per unit, each with its own image."},
    {.id = "PAS166E",
     .text = "{file}:{line}: UNIT {unit} IS {reason}",
     .explanation = "A unit is both attached to a guest and CP-owned (or otherwise given two "
                    "incompatible uses).",
     .action = "Keep one use per unit."},
    {.id = "PAS167E",
     .text = "{file}:{line}: ALLOC NAMES UNIT {unit}, {reason}",
     .explanation = "An ALLOC statement names a unit that is not CP-owned; CP allocations "
                    "exist only on CP-owned volumes.",
     .action = "Add the unit to CPOWNED, or remove the ALLOC statement."},
    {.id = "PAS168E",
     .text = "NO CONFIGURATION FILE: GIVE --config FILE OR SET PAS_CONFIG",
     .explanation = "The command needs the system configuration and neither --config nor "
                    "$PAS_CONFIG names it.",
     .action = "Give --config FILE or set PAS_CONFIG."},
    {.id = "PAS169E",
     .text = "{file}:{line}: {reason}",
     .explanation = "A configuration statement has the wrong number of operands or an "
                    "unterminated quoted string.",
     .action = "Correct the statement (doc/config-format.md)."},
    {.id = "PAS170E",
     .text = "{command}: {reason}",
     .explanation = "The arguments of `pas workload`, `pas vary`, `pas display` or `pas "
                    "intercept` could not be understood (unknown subcommand or option, a unit "
                    "or range that is not hexadecimal, a bad track range).",
     .action = "Run the command with --help for its synopsis."},
    {.id = "PAS171E",
     .text = "{reason}",
     .explanation = "The system configuration could not be loaded, or the system's runtime "
                    "state (unit table, online registry) could not be opened; the reason "
                    "carries the configuration message ID and file:line.",
     .action = "Correct the configuration file or the runtime directory named in the reason."},
    {.id = "PAS172E",
     .text = "UNIT {unit} IS NOT DEFINED IN {file}",
     .explanation = "The unit (or no unit of the range) named on the command line is defined "
                    "in the system configuration.",
     .action = "Check the unit number against the configuration."},
    {.id = "PAS173E",
     .text = "{reason}",
     .explanation = "`pas workload verify` could not use a journal: no file matches the name, "
                    "a line is malformed (file:line named), or the image could not be "
                    "checked.",
     .action = "Name the journal base used with `pas workload run --journal`; a journal must "
               "not be edited."},
    {.id = "PAS174E",
     .text = "IMAGE {image}: {reason}",
     .explanation = "`pas workload verify` could not open the image to check (missing, not a "
                    "CKD image, truncated). Nothing was written.",
     .action = "Name the image the workload wrote to (or the target it was copied to)."},
    {.id = "PAS175I",
     .text = "VERIFY OF {image} PASSED: {tracks} TRACKS FROM {entries} JOURNALED WRITES IN {n} "
             "JOURNALS ALL PRESENT AND INTACT ({newer} NEWER ON DISK, {cut} CUT SHORT IN FLIGHT)",
     .explanation = "Every track the journals say was acknowledged holds the last "
                    "acknowledged content. NEWER ON DISK: tracks holding a complete write "
                    "whose journal line was never appended (the writer was killed after the "
                    "write). CUT SHORT IN FLIGHT: tracks holding the start of a write that "
                    "was never acknowledged over the last acknowledged one (the writer was "
                    "killed during the write).",
     .action = "None."},
    {.id = "PAS176E",
     .text = "TRACK {track}: LOST WRITE: {detail}",
     .explanation = "A track holds older content than the last write the journal says was "
                    "acknowledged: an acknowledged write is missing.",
     .action = "Report it: an acknowledged write must never be lost. Keep the image and the "
               "journals."},
    {.id = "PAS177E",
     .text = "TRACK {track}: TORN OR FOREIGN CONTENT: {detail}",
     .explanation = "A track of the workload area does not hold a valid workload record "
                    "(checksum wrong, or a record no journal knows).",
     .action = "Report it with the image and the journals."},
    {.id = "PAS178E",
     .text = "VERIFY OF {image} FAILED: {lost} LOST, {torn} TORN, {overwritten} OVERWRITTEN BY "
             "ANOTHER WRITER OF {tracks} TRACKS CHECKED",
     .explanation = "Summary of a failed verification; the problems are listed before it. "
                    "Exit status 1.",
     .action = "See PAS176E, PAS177E and PAS763E."},
    {.id = "PAS179I",
     .text = "WORKLOAD ON UNIT={unit} VOL={volser} SYSTEM={system}: {writers} WRITERS "
             "({detail})",
     .explanation = "`pas workload run` started its writer processes on the unit. The detail "
                    "names the global writer ids, the share this system holds (claimed on the "
                    "volume unless --system-index was given), the area and the journal.",
     .action = "None."},
    {.id = "PAS180I",
     .text = "WORKLOAD ENDED ON UNIT={unit}: WRITES={writes} ELAPSED={elapsed} "
             "WRITES/S={rate} {latency}",
     .explanation = "The workload writers finished; the write count and latency are shown.",
     .action = "None."},
    {.id = "PAS181E",
     .text = "UNIT={unit} {reason}",
     .explanation = "A workload writer failed (a write through the host I/O API was refused "
                    "or failed). Exit status 8.",
     .action = "Look at the reason; a write refused while a unit is quiesced or offline is "
               "reported here."},
    {.id = "PAS182W",
     .text = "{file}: LAST LINE INCOMPLETE (WRITER ENDED DURING AN APPEND), IGNORED",
     .explanation = "A writer was killed while appending its journal line; that write was "
                    "never acknowledged, so it is not checked.",
     .action = "None."},
    {.id = "PAS183I",
     .text = "UNIT {unit} NOW {state} ON SYSTEM {system}",
     .explanation = "`pas vary` changed the unit's state on this system.",
     .action = "None."},
    {.id = "PAS184E",
     .text = "UNIT {unit} {action} FAILED ON SYSTEM {system}: {reason}",
     .explanation = "`pas vary` or `pas intercept` could not change the unit (for example a "
                    "target is in use, or an intercept is already installed).",
     .action = "Correct the cause named in the reason."},
    {.id = "PAS185I",
     .text = "{time} SYSTEM {system} UNIT STATUS",
     .explanation = "`pas display` lists the units of the system with their state, image and "
                    "volser.",
     .action = "None."},
    {.id = "PAS186I",
     .text = "INTERCEPT {action} UNIT {unit} OF SYSTEM {system}",
     .explanation = "`pas intercept` installed or removed the dirty-track intercept of a "
                    "unit.",
     .action = "None."},
    {.id = "PAS187I",
     .text = "UNIT {unit} {state} ON SYSTEM {system}{detail}",
     .explanation = "`pas intercept` quiesced or resumed the unit's I/O; the drain time or "
                    "pause is shown.",
     .action = "None."},
    {.id = "PAS188I",
     .text = "UNIT {unit}: {count} DIRTY TRACKS HARVESTED",
     .explanation = "`pas intercept harvest` handed over the tracks written since the last "
                    "harvest.",
     .action = "None."},
    {.id = "PAS189E",
     .text = "UNIT={unit}: {reason}",
     .explanation = "`pas workload run` could not start or run its writers.",
     .action = "Correct the cause named in the reason."},
    {.id = "PAS190E",
     .text = "RUNTIME DIRECTORY {dir}: {reason}",
     .explanation = "The system's runtime directory (unit table, online registry, decision "
                    "records) cannot be created or used.",
     .action = "Check $PAS_RUNTIME_DIR (or the default) and its permissions."},
    {.id = "PAS191E",
     .text = "DECISION RECORD {path}: {reason}",
     .explanation = "A swap decision record could not be written or read, or holds unknown "
                    "contents.",
     .action = "Do not edit decision records; check the file system holding the coordination "
               "files."},
    {.id = "PAS192E",
     .text = "UNIT TABLE {path} OF SYSTEM {system}: {reason}",
     .explanation = "The system's shared unit table does not match the configuration or "
                    "cannot be used.",
     .action = "Stop the programs using the system, then run the command again so the table "
               "is rebuilt."},
    {.id = "PAS193E",
     .text = "{reason}",
     .explanation = "A host I/O request or unit-table entry is invalid (a track beyond the "
                    "volume, a bad system name, an image path too long).",
     .action = "Correct the request or the configuration named in the reason."},
    {.id = "PAS194I",
     .text = "REBUILDING UNIT TABLE ({reason})",
     .explanation = "The system's unit table was missing or did not match the configuration "
                    "and is rebuilt.",
     .action = "None."},
    {.id = "PAS195E",
     .text = "{what} {path}: ALL {slots} SLOTS ARE IN USE",
     .explanation = "Too many processes use the system's unit table or online registry at "
                    "once.",
     .action = "End unneeded pas processes of the system."},
    {.id = "PAS196E",
     .text = "UNIT {unit} IS OFFLINE",
     .explanation = "I/O was requested on a unit that is offline on this system.",
     .action = "Vary the unit online (`pas vary UNIT online`) first."},
    {.id = "PAS197E",
     .text = "ONLINE REGISTRY {path}: {reason}",
     .explanation = "The registry of units online on each system cannot be opened, read or "
                    "written, or is not a pas registry.",
     .action = "Check the file named; do not edit it."},
    {.id = "PAS198E",
     .text = "UNIT {unit}: {reason}",
     .explanation = "A quiesce could not be obtained or I/O did not drain in time, or the "
                    "unit is already quiesced by another holder.",
     .action = "Retry; if I/O never drains, look for a hung writer on the unit."},
    {.id = "PAS199W",
     .text = "UNIT {unit} QUIESCE HOLDER DIED; {outcome}",
     .explanation = "The process that quiesced the unit died; the unit followed the swap "
                    "decision if there was one, else it was resumed on its device.",
     .action = "None: the unit is running again. Find out why the holder died."},

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
    {.id = "PAS210E",
     .text = "THE PAS INTERCEPT LIBRARY libpas-intercept.so WAS NOT FOUND (TRIED {paths})",
     .explanation = "`pas exec` preloads libpas-intercept.so into the program it runs. It "
                    "looks at $PAS_INTERCEPT_LIB, else beside the pas executable, else in "
                    "LIBDIR/pas of the installation. The program was not started.",
     .action = "Build or install the library (the CMake target pas_intercept_preload), or "
               "point PAS_INTERCEPT_LIB at it."},
    {.id = "PAS211E",
     .text = "CANNOT RUN {command}: {reason}",
     .explanation = "`pas exec` could not execute the program (not found, not executable). "
                    "Exit status 12.",
     .action = "Correct the command name or its PATH."},
    {.id = "PAS212E",
     .text = "PAS INTERCEPT OF SYSTEM {system}: {reason}",
     .explanation = "The intercept inside a program started by `pas exec` could not load the "
                    "system configuration or attach the system's unit table. When the "
                    "configuration loaded, every open of one of its images fails (EIO) so no "
                    "write can bypass the units; otherwise the intercept is inactive.",
     .action = "Correct the cause named in the reason (the configuration file, the runtime "
               "directory, a unit table of another configuration) and start the program again."},
    {.id = "PAS213E",
     .text = "MMAP OF THE IMAGE OF UNIT {unit} (DESCRIPTOR {fd}) REFUSED",
     .explanation = "A program under `pas exec` tried to map an image into memory. Writes "
                    "through a mapping cannot be tracked, so the mapping fails with ENODEV.",
     .action = "Use read and write calls on images (Hercules does)."},
    {.id = "PAS214E",
     .text = "UNIT {unit}: {reason}",
     .explanation = "A program under `pas exec` opened an image of a unit that is offline in "
                    "its system for writing (refused with EBUSY: an offline unit may be a "
                    "swap target), or did I/O on a unit that was varied offline (EIO). "
                    "Read-only opens of offline units pass.",
     .action = "Vary the unit online (`pas vary`) or open the image read-only."},
    {.id = "PAS215E",
     .text = "UNIT {unit}: {reason}",
     .explanation = "The intercept could not register an image in its online registry, open "
                    "the unit's image, follow the unit to its new image after a swap, make the "
                    "program reopen the unit at a swap, or find a free I/O slot in the unit "
                    "table; or it refused a write open of a compressed (CCKD) image by a "
                    "program it cannot make reopen the unit (only Hercules can be), or by a "
                    "second process of the system. The open or I/O fails (EIO, EBUSY, "
                    "EOPNOTSUPP or EMFILE); nothing is written behind the unit's back.",
     .action = "Correct the cause named in the reason; see `pas display` for the unit. A "
               "compressed volume is written live only by one Hercules per system "
               "(doc/cckd-live.md)."},
    {.id = "PAS216I",
     .text = "CONFIGURATION FILE {file} OF SYSTEM {system} REWRITTEN: UNIT {source} NOW NAMES THE "
             "TARGET IMAGE, UNIT {target} THE OLD SOURCE",
     .explanation = "After a committed SWAP the system's configuration file was rewritten "
                    "atomically so that a system (a Hercules) started with it uses the volume's "
                    "new image; the two device statements exchanged their image names. The "
                    "previous file is kept beside it as FILE.prev.",
     .action = "None."},
    {.id = "PAS217W",
     .text = "SYSTEM {system}: {what} WAS NOT UPDATED AFTER THE SWAP: {reason}",
     .explanation = "The swap is complete and every system uses the target, but the "
                    "configuration file (or the unit table) could not be changed to name the "
                    "target image for the unit. A system started later with that file would "
                    "name the old source, which is relabelled and whose registry points at "
                    "the target.",
     .action = "Correct the cause named in the reason and edit the configuration file: the "
               "source unit's device statement must name the target image."},
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
    {.id = "PAS238I",
     .text = "WRITES OUTPACE THE COPY OF VOL={volser}: PACING WRITERS (PASS {pass}, {tracks} "
             "UPDATED TRACKS, {pace_ms} MS ADDED PER WRITE)",
     .explanation = "The changed-track set stopped shrinking: the systems dirty tracks at least "
                    "as fast as the copy cleans them, so recopying alone would never converge. "
                    "Every participant now adds the stated delay after each write to the "
                    "volume (at most 5 ms, raised pass by pass while the set still does not "
                    "shrink) until the swap or the end of the job. Pacing is the job's flow "
                    "control, not a fault: the swap completes with condition code 0, and "
                    "PAS247I and the PACED statistic say how much the writers were slowed.",
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
    {.id = "PAS247I",
     .text = "RECOPY OF VOL={volser} ENDED AFTER {passes} PASS(ES): {reason}; WRITERS {paced}",
     .explanation = "How the recopy passes ended before the quiesce: NO UPDATES, FEW UPDATES "
                    "(the dirty set is small enough for the final copy), SET STOPPED SHRINKING "
                    "(but copies within the 20 ms pause budget, so the writers are not slowed), "
                    "SET STOPPED SHRINKING AT THE LARGEST PACE, or PASS LIMIT. WRITERS tells whether the writers were "
                    "paced and by how much (PAS238I). {passes} counts every pass before the quiesce, "
                    "the first copy pass included, as PAS232I, PAS250I and the PASSES statistic "
                    "number them; the final copy under quiesce is the next pass and is bounded "
                    "by the last set.",
     .action = "None."},
    {.id = "PAS248I",
     .text = "UNIT {unit} FOLLOWS ITS VOLUME FROM {source} TO {target}",
     .explanation = "The volume was swapped while no process of this system had the unit open, "
                    "so the swap job did not wait for this system. The unit table still named the "
                    "old source; the first pas process of the system that attached afterwards "
                    "pointed the unit at the target recorded in the source's online registry.",
     .action = "None: the unit uses the volume's new device."},
    {.id = "PAS249I",
     .text = "TARGET OF VOL={volser}: {formatted} EMPTY TRACKS FORMATTED IN {seconds} SECONDS, "
             "{empty} ALREADY EMPTY",
     .explanation = "Tracks the source does not allocate are written as empty tracks on the "
                    "target, not copied. A target made by pas volume init that nothing has "
                    "written since (its freshly-formatted marker still matches the file) already "
                    "holds empty tracks from cylinder 1 on; those are counted as already empty "
                    "and not written. Formatting a target that held other data costs the time "
                    "shown.",
     .action = "None. To migrate a mostly empty volume quickly, make the target with pas volume "
               "init just before the job."},
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

    // PAS280-289: safety refusals and operator cancellation.
    {.id = "PAS280E",
     .text = "TARGET UNIT={target} IMAGE {target_image} IS THE SOURCE UNIT={source} IMAGE "
             "{source_image}: {target_file} IS THE SAME FILE AS {source_file}",
     .explanation = "The target image and the source image are one file under two names (a "
                    "symbolic link, a hard link, another path), or the two multi-file sets "
                    "share a file: identity is the device and inode of every file, not the "
                    "path. Copying would overwrite the volume with itself and relabel it. "
                    "Nothing was written.",
     .action = "Name a target image that is a different file from every file of the "
               "source."},
    {.id = "PAS281E",
     .text = "{file}:{line}: UNIT {unit} IMAGE {image} IS THE SAME FILE AS UNIT {other} IMAGE "
             "{other_image} (LINE {first_line})",
     .explanation = "Two device statements of one configuration name one image file (by device "
                    "and inode, through symbolic and hard links, for every file of a "
                    "multi-file set). One image cannot be two units: a SWAP to one of them "
                    "would overwrite the other. The configuration is refused.",
     .action = "Give each unit its own image file."},
    {.id = "PAS282E",
     .text = "VOL={volser} CANCELLED BY {by}; EVERY SYSTEM RETURNS TO THE SOURCE",
     .explanation = "The operator stopped the job: SIGINT or SIGTERM to `pas run` (the signal "
                    "is named), or `pas cancel` for the volume or the job. A volume that had "
                    "not committed fails like any failed volume: SOURCE is recorded, every "
                    "system resumes on the source and removes its intercept, and the history "
                    "records it as CANCELLED with condition code 8. A volume that had already "
                    "committed completes its swap.",
     .action = "Run the job again when ready."},
    {.id = "PAS283I",
     .text = "CANCEL OF {what} REQUESTED ({path})",
     .explanation = "`pas cancel` left its request where the running job polls for it; the job "
                    "acts at its next step (within about a second while it waits or copies).",
     .action = "None; the job's output shows PAS282E when it acts."},
    {.id = "PAS284I",
     .text = "UNIT {unit} VARIED {state} BY THE CHANGED OFFLINE STATEMENT OF {config}",
     .explanation = "An OFFLINE statement for the unit was added to or removed from the "
                    "configuration since the system's unit table was built; the unit is now "
                    "online or offline as the configuration says (a unit varied by hand keeps "
                    "its state while the statement is unchanged). Its online registry records "
                    "the new state.",
     .action = "None."},
    {.id = "PAS285E",
     .text = "CONTROL FILE {path} REFUSED: {reason}",
     .explanation = "A file pas keeps beside an image or in its runtime or state directory "
                    "(online registry, coordination area, decision record, history, unit "
                    "table, cancel request) or one of those directories is a symbolic link, "
                    "not a regular file, owned by another user than this one, root or the "
                    "image's owner, or writable by group or others. Another user could steer "
                    "pas through it (forge where a volume moved, or make pas write where they "
                    "point), so it is not used. Nothing was written through it.",
     .action = "Remove the file (or correct its owner and mode) after checking who made it; "
               "keep pas's directories private."},

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

    // PAS400-449: CALCDASD.
    {.id = "PAS401E",
     .text = "UNIT {unit} IMAGE {image} NOT COUNTED: {reason}",
     .explanation = "CALCDASD could not open or read the unit's image (missing, unreadable). "
                    "The unit is left out of the totals; exit status 8.",
     .action = "Correct the image path in the configuration, or restore the image."},
    {.id = "PAS402E",
     .text = "UNIT {unit} IMAGE {image} NOT COUNTED: {reason}",
     .explanation = "The unit's image is not a valid CKD image or its track 0 is malformed. "
                    "The unit is left out of the totals; exit status 8.",
     .action = "Check the image with `pas volume info`."},
    {.id = "PAS403W",
     .text = "UNIT {unit} HAS NO VOL1 LABEL",
     .explanation = "The volume is unlabelled; it is counted with all its tracks.",
     .action = "None, or label the volume."},
    {.id = "PAS404W",
     .text = "UNIT {unit} VTOC UNREADABLE, ALL TRACKS COUNTED AS ALLOCATED: {reason}",
     .explanation = "The VTOC is malformed; the migration estimate counts every track of the "
                    "volume.",
     .action = "Check the volume with `pas volume info`."},
    {.id = "PAS405W",
     .text = "UNIT {unit} ALLOC {type} {first}-{last} {where} THE LAST CYLINDER {cylinders}, "
             "{outcome}",
     .explanation = "An ALLOC range of the configuration goes beyond the volume's last "
                    "cylinder; it is cut or ignored.",
     .action = "Correct the ALLOC statement to the volume's real size."},
    {.id = "PAS406W",
     .text = "UNIT {unit}: {count} MALFORMED TRACKS IN {type} AREA {first}-{last}, COUNTED AS "
             "USED",
     .explanation = "Tracks of a CP allocation could not be parsed; they are counted as used.",
     .action = "Check the volume; the estimate errs on the safe side."},
    {.id = "PAS407E",
     .text = "NO DASD UNIT IN {what} THE CONFIGURATION {file}",
     .explanation = "The configuration (or the range asked for) holds no 3390 or 3380 unit to "
                    "count.",
     .action = "Give a unit range that holds DASD, or add device statements."},
    {.id = "PAS408E",
     .text = "{reason} (calcdasd (HELP for the syntax)",
     .explanation = "The CALCDASD arguments could not be understood (unknown option, bad unit "
                    "range, bad rate).",
     .action = "Run `calcdasd (HELP` for the syntax."},
    {.id = "PAS409E",
     .text = "UNIT {unit} IS A {config_type} IN THE CONFIGURATION BUT IMAGE {image} HOLDS A "
             "{image_type}",
     .explanation = "The configuration's device type for the unit differs from the image's "
                    "header. The unit is not counted; exit status 8.",
     .action = "Correct the device statement or the image path."},
    {.id = "PAS410E",
     .text = "CANNOT WRITE {path}: {reason}",
     .explanation = "The JSON report file could not be written.",
     .action = "Name a writable path with --json."},
    {.id = "PAS411E",
     .text = "CALCDASD FAILED: {reason}",
     .explanation = "CALCDASD stopped on an unexpected error.",
     .action = "Report the message."},

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
     .explanation = "The --json file could not be written; the printed report is complete. "
                    "The job ends with condition code 8 at least, since what asked for the "
                    "file will not find it.",
     .action = "Check the path and permissions."},
    {.id = "PAS520I",
     .text = "{time} SYSTEM {system}: {count} SWAP JOB(S) RUNNING",
     .explanation = "`pas status` lists the swap jobs running on the system, one line per volume "
                    "in progress: job, function, start time, volume, units, phase, pass, percent "
                    "of the pass, dirty tracks, copy rate and the estimated time to the end of "
                    "the pass.",
     .action = "None."},
    {.id = "PAS521I",
     .text = "{time} SYSTEM {system}: NO SWAP JOB IS RUNNING",
     .explanation = "`pas status` found no live swap job of the system in the runtime "
                    "directory.",
     .action = "None. A job of another user, or one that uses another PAS_RUNTIME_DIR, is "
               "not seen."},
    {.id = "PAS522E",
     .text = "CANNOT READ THE JOB STATUS OF SYSTEM {system}: {reason}",
     .explanation = "The status board of the system in the runtime directory could not be "
                    "read.",
     .action = "Check PAS_RUNTIME_DIR and the permissions of the runtime directory."},
    // PAS680-689: the test guest under Hercules (`pas guest`).
    {.id = "PAS680E",
     .text = "THE TEST GUEST IS NOT AVAILABLE: {reason}",
     .explanation = "pas was built without the ESA/390 test guest because the s390x assembler "
                    "(Debian binutils-s390x-linux-gnu) was missing at build time.",
     .action = "Install binutils-s390x-linux-gnu (scripts/deps.sh does) and rebuild."},
    {.id = "PAS681E",
     .text = "THE GUEST CANNOT BE INSTALLED IN {dir}: {reason}",
     .explanation = "`pas guest install` could not write guest.bin, guest-params.bin or guest.ins.",
     .action = "Check that the directory exists and is writable."},
    {.id = "PAS682I",
     .text = "GUEST ON PORT {port}: {state}, {writes} WRITES COMPLETED, {errors} ERRORS, LONGEST WRITE "
             "{ms} MS (AT WRITE {at}), RUN {run}",
     .explanation = "The test guest's counters, read from the storage of the Hercules whose HTTP "
                    "console listens on the port. A write is completed when the guest saw channel "
                    "end and device end for it; the longest write is measured by the guest with its "
                    "TOD clock, from its SSCH to that status.",
     .action = "None."},
    {.id = "PAS683I",
     .text = "GUEST INSTALLED: DEVICE {device}, TRACKS {first}-{last}, {length}-BYTE RECORDS; START IT "
             "WITH THE CONSOLE COMMAND: ipl {ins}",
     .explanation = "`pas guest install` wrote the load files of the test guest.",
     .action = "Give the ipl command to Hercules (in its HERCULES_RC script or over its console)."},
    {.id = "PAS684E",
     .text = "ACKNOWLEDGED GUEST WRITES ARE MISSING ON {image}: {reason}",
     .explanation = "A track of the guest's range does not hold the last write the guest saw "
                    "complete for it (or, with --point-in-time, the image is not the state after "
                    "one count of writes), or the image cannot be read, or a record is torn. "
                    "Variants of the message say which.",
     .action = "Keep the images and the Hercules log; this is a defect if a swap ran."},
    {.id = "PAS685I",
     .text = "EVERY ONE OF THE {writes} WRITES THE GUEST SAW COMPLETE IS ON {image} (TRACKS {first}-{last})",
     .explanation = "`pas guest verify` found the last completed write of every track of the range "
                    "on the image.",
     .action = "None."},
    {.id = "PAS686E",
     .text = "HERCULES CONSOLE ON PORT {port} DOES NOT ANSWER: {reason}",
     .explanation = "No Hercules HTTP console answered on the port, or its reply held no storage "
                    "display.",
     .action = "Check that Hercules runs with HTTPPORT port NOAUTH in its configuration."},
    {.id = "PAS687I",
     .text = "{image} IS THE GUEST'S VOLUME AFTER EXACTLY {writes} WRITES (TRACKS {first}-{last})",
     .explanation = "`pas guest verify --point-in-time` found the image to be a point-in-time copy: "
                    "every track of the range holds what it held after the guest's write number "
                    "{writes}, which the guest had started.",
     .action = "None."},
    // PAS760-769: the workload and the VTOC.
    {.id = "PAS760I",
     .text = "DATA SET PAS.WORKLOAD ALLOCATED ON VOL={volser}: TRACKS {first}-{last} ({tracks} "
             "TRACKS)",
     .explanation = "`pas workload run` found a VTOC on the volume without the workload's own "
                    "data set and allocated it in free space through the VTOC (a Format-1 "
                    "DSCB, the free space updated), with --allocate tracks or up to 150. The "
                    "workload writes only inside it.",
     .action = "None. Delete the data set with the system's own tools when it is no longer "
               "wanted."},
    {.id = "PAS761E",
     .text = "UNIT={unit}: NO ROOM FOR DATA SET PAS.WORKLOAD: {reason}",
     .explanation = "The volume has a VTOC that lists no PAS.WORKLOAD and has no free extent "
                    "large enough for it (--allocate tracks, or one track per writer of every "
                    "system), or its VTOC has no free DSCB. The workload never writes over "
                    "another data set, so it did not start. Nothing was written. Exit status "
                    "12.",
     .action = "Allocate PAS.WORKLOAD yourself, free space on the volume, or give a smaller "
               "--allocate or fewer --writers."},
    {.id = "PAS762E",
     .text = "UNIT={unit}: WORKLOAD SHARE OVERLAPS A RUNNING WORKLOAD: {reason}",
     .explanation = "Another `pas workload run` (of this or another system) is running on the "
                    "volume with a share that this run's would overlap: it divides the same "
                    "tracks differently (another --systems or --writers), it holds the "
                    "--system-index given, or every share is taken. The run was refused "
                    "before any writer started; nothing was written. Exit status 12.",
     .action = "Give every system writing the volume the same --systems (the number of "
               "systems writing) and --writers, and let each claim its share (no "
               "--system-index), or wait for the running workload to end."},
    {.id = "PAS763E",
     .text = "TRACK {track}: OVERWRITTEN BY ANOTHER WRITER: {detail}",
     .explanation = "`pas workload verify`: the track holds an intact write that is newer than "
                    "the journal's last write of it but was made by another writer or system "
                    "whose journal was not given: another workload wrote over this one's "
                    "track. This is not a lost write.",
     .action = "Give the other workload's journals too, or keep workloads that share a volume "
               "on disjoint shares (doc/workload.md, \"Shares\")."},
    {.id = "PAS999S",
     .text = "UNDEFINED MESSAGE {id}",
     .explanation = "pas tried to issue a message that is not in its catalogue: a defect.",
     .action = "Report the message ID."},
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
      "| PAS150-199 | system configuration (150-169), workload and unit commands (170-189), host I/O (190-199) |\n"
      "| PAS200-299 | swap, SIMSWAP, monitor |\n"
      "| PAS300-349 | control statements, MOUNT resolution |\n"
      "| PAS400-449 | CALCDASD |\n"
      "| PAS500-599 | history, reports |\n"
      "| PAS680-689 | the test guest under Hercules (`pas guest`) |\n";
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
