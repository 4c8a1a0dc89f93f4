# Turns the guest binary IN (may be empty: no s390x assembler) into the C++
# source OUT that defines pas::hercules::kGuestBinary / kGuestBinarySize.
# Run with cmake -DIN=... -DOUT=... -P embed_guest.cmake.
set(bytes "")
set(size 0)
if(IN AND EXISTS "${IN}")
  file(READ "${IN}" hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR size "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
endif()
file(WRITE "${OUT}.tmp" "// Generated from src/hercules/guest.s by cmake/embed_guest.cmake.\n"
  "namespace pas::hercules {\n"
  "extern const unsigned char kGuestBinary[];\nextern const unsigned long kGuestBinarySize;\n"
  "const unsigned char kGuestBinary[] = {\n${bytes}0};\n"
  "const unsigned long kGuestBinarySize = ${size};\n}\n")
file(RENAME "${OUT}.tmp" "${OUT}")
