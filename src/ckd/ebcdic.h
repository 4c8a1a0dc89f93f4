// EBCDIC (code page 037) <-> ASCII conversion for the text fields of CKD
// volumes: volsers, data set names, record keys. Pure functions over a
// constant table: thread-safe. Characters with no ASCII equivalent map to
// '.'; ASCII characters with no EBCDIC equivalent map to EBCDIC blank.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pas::ckd {

inline constexpr uint8_t kEbcdicBlank = 0x40;

char EbcdicToAsciiChar(uint8_t c);
uint8_t AsciiToEbcdicChar(char c);
std::string EbcdicToAscii(std::span<const uint8_t> bytes);
std::vector<uint8_t> AsciiToEbcdic(std::string_view text);
// Writes `text` as EBCDIC into `out`, blank-padded (truncated if longer).
void AsciiToEbcdicPadded(std::string_view text, std::span<uint8_t> out);

}  // namespace pas::ckd
