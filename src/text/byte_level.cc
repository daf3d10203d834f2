#include "text/byte_level.h"

#include <array>

#include "text/unicode.h"

namespace inferd::text::byte_level {
namespace {

struct Tables {
  std::array<char32_t, 256> to_char{};
  std::array<int16_t, 512> to_byte{};  // alphabet code points are < 0x144
  Tables() {
    to_byte.fill(-1);
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
                       (b >= 0xAE && b <= 0xFF);
      char32_t cp = printable ? static_cast<char32_t>(b)
                              : static_cast<char32_t>(256 + n++);
      to_char[b] = cp;
      to_byte[cp] = static_cast<int16_t>(b);
    }
  }
};

const Tables& GetTables() {
  static const Tables tables;
  return tables;
}

}  // namespace

char32_t CharForByte(uint8_t byte) { return GetTables().to_char[byte]; }

int ByteForChar(char32_t cp) {
  return cp < 512 ? GetTables().to_byte[cp] : -1;
}

std::string Encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) unicode::Append(CharForByte(b), &out);
  return out;
}

std::optional<std::string> Decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    int len;
    char32_t cp = unicode::Decode(text, i, &len);
    int b = ByteForChar(cp);
    if (b < 0) return std::nullopt;
    out.push_back(static_cast<char>(b));
    i += len;
  }
  return out;
}

}  // namespace inferd::text::byte_level
