#pragma once

// UTF-8 well-formedness, for text that must be UTF-8 when it leaves the
// server: JSON (RFC 8259) bodies quote what clients sent (a model name, an
// id), and a client may send bytes that are not UTF-8.
//
// Well-formed is Unicode's definition (table 3-7): no overlong forms, no
// surrogates, nothing past U+10FFFF. ToValidUtf8 replaces each maximal
// invalid subpart with U+FFFD, as the WHATWG decoder (TextDecoder,
// fatal=false) and text::unicode::DecodeLossy do, so a browser and the
// server agree on what a repaired string says.
//
// Written here rather than taken from a library because common/ links
// none that has it (utf8proc belongs to text/, and Abseil has no public
// validator); text/unicode.h forwards to these.
//
// Stateless; thread-safe.

#include <string>
#include <string_view>

namespace inferd {

bool IsValidUtf8(std::string_view text);

// `text` with every maximal invalid subpart replaced by U+FFFD; `text` as
// it is when it is already valid.
std::string ToValidUtf8(std::string_view text);

}  // namespace inferd
