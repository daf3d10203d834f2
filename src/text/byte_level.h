#pragma once

// GPT-2's byte-to-character alphabet: every byte 0..255 stands for one
// printable code point (printable Latin-1 maps to itself, the rest to
// U+0100 and up), so byte-level BPE vocabularies are written as text ("Ġ" is
// the space byte).
//
// Thread-safe: constant tables.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace inferd::text::byte_level {

// The code point standing for `byte`.
char32_t CharForByte(uint8_t byte);

// The byte that `cp` stands for, or -1 when `cp` is outside the alphabet.
int ByteForChar(char32_t cp);

// UTF-8 text of the alphabet characters for `bytes`.
std::string Encode(std::string_view bytes);

// Raw bytes of an alphabet string; nullopt when a character is outside it.
std::optional<std::string> Decode(std::string_view text);

}  // namespace inferd::text::byte_level
